import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { createActivities } from '../../src/activities';
import { ActivityContext } from '../../src/activities/context';
import { reportActivities } from '../../src/activities/report';
import { ExitCode } from '../../src/cli/exit-codes';
import { FailureType } from '../../src/failures';
import type { ModelCatalog } from '../../src/gemini/catalog';
import type { GeminiGateway } from '../../src/gemini/gateway';
import type { BatchSummary } from '../../src/types';
import { useHostilePack } from '../support/hostile-pack';
import { failureOf } from '../support/application-failure';
import { runCli } from '../support/run-cli';

/**
 * Issue point 7: a webhook is http(s) only, at the command line and in the config; a redirect is
 * not followed; the URL (a secret itself, often) is in no error message. On the code this started
 * from, `--webhook 'not a url'` passed the CLI, a 307 sent the summary on to wherever it pointed,
 * and a failure named the receiver's host.
 */

const summary: BatchSummary = {
  batchId: 'b-1',
  total: 1,
  succeeded: 1,
  failed: 0,
  skipped: 0,
  notVideos: [],
  usage: { promptTokens: 1, outputTokens: 1, thoughtsTokens: 0, totalTokens: 2 },
  costUsd: 0,
  failures: [],
  outputs: [],
  skippedVideos: [],
  listsTruncated: false,
  startedAt: '2026-11-22T05:30:00.000Z',
};

interface Receiver {
  url: string;
  hits: Array<{ method?: string; body: string }>;
  close(): Promise<void>;
}

async function receiver(answer: (res: http.ServerResponse) => void): Promise<Receiver> {
  const hits: Receiver['hits'] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      hits.push({ method: req.method, body });
      answer(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const notify = (url: string) =>
  reportActivities(new ActivityContext({ gemini: {} as GeminiGateway, catalog: {} as ModelCatalog })).notifyWebhook({
    url,
    summary,
  });

describe('the webhook activity', () => {
  const secret = 'tok-9f8e7d6c5b4a';

  test('a redirect is not followed: the place it points to gets nothing; the message names neither', async () => {
    const elsewhere = await receiver((res) => res.end('ok'));
    const first = await receiver((res) => {
      res.writeHead(307, { location: `${elsewhere.url}/stolen` });
      res.end();
    });
    try {
      const url = `${first.url}/hook/${secret}?token=${secret}`;
      const failure = await failureOf(notify(url));
      expect(first.hits).toHaveLength(1);
      expect(elsewhere.hits).toEqual([]);
      expect(failure.nonRetryable).toBe(true);
      expect(failure.message).toContain('the webhook answered with a redirect (307); redirects are not followed');
      for (const leak of [secret, first.url.replace('http://', ''), elsewhere.url.replace('http://', '')])
        expect(failure.message).not.toContain(leak);
    } finally {
      await first.close();
      await elsewhere.close();
    }
  });

  test('a receiver that fails, or none at all: the message says "the webhook", never its address', async () => {
    const failing = await receiver((res) => {
      res.writeHead(500);
      res.end();
    });
    const url = `${failing.url}/hook?token=${secret}`;
    try {
      const failure = await failureOf(notify(url));
      expect(failure.message).toBe('the webhook answered 500');
    } finally {
      await failing.close();
    }
    const gone = await failureOf(notify(url)); // closed now: nobody listens
    expect(gone.message).toMatch(/^the webhook could not be reached \(/);
    expect(gone.message).not.toContain(secret);
    expect(gone.message).not.toContain(failing.url.replace('http://', ''));
  });

  test('the JSON body: the batch summary with event "batch.finished"', async () => {
    const ok = await receiver((res) => res.end());
    try {
      await notify(`${ok.url}/hook`);
      expect(JSON.parse(ok.hits[0].body)).toEqual({ event: 'batch.finished', ...summary });
    } finally {
      await ok.close();
    }
  });

  test('a worker refuses a non-http webhook before any request (point 2): InputNotAllowed', async () => {
    const activities = createActivities({
      gemini: {} as GeminiGateway,
      catalog: {} as ModelCatalog,
      policy: { outputRoots: [os.tmpdir()], templateDirs: [] },
    });
    const failure = await failureOf(activities.notifyWebhook({ url: 'file:///etc/passwd', summary }));
    expect(failure.type).toBe(FailureType.InputNotAllowed);
    expect(failure.message).toBe(
      'This worker does not call the webhook: the webhook must be an http:// or https:// address, not file:.',
    );
  });
});

describe('--webhook and "webhookUrl" are checked before anything runs', () => {
  const pack = useHostilePack();

  test.each([
    ['not a url', 'the webhook is not a URL'],
    ['file:///etc/passwd', 'the webhook must be an http:// or https:// address, not file:'],
    ['data:text/plain,hello', 'the webhook must be an http:// or https:// address, not data:'],
  ])('--webhook %j: exit 2, "%s"', async (url, message) => {
    const { code, stderr } = await runCli('start-batch', pack().videos, '--dry-run', '--webhook', url);
    expect(code).toBe(ExitCode.usage);
    expect(stderr).toContain(`--webhook: ${message}`);
  });

  test('a config with a file: webhook is a configuration error (exit 3) that does not repeat the URL', async () => {
    fs.writeFileSync(
      process.env.LESSON_FORGE_CONFIG as string,
      JSON.stringify({ webhookUrl: 'file:///home/me/secret-token' }),
    );
    const { code, stderr } = await runCli('start-batch', pack().videos, '--dry-run');
    expect(code).toBe(ExitCode.configuration);
    expect(stderr).toContain('webhookUrl: the webhook must be an http:// or https:// address, not file:');
    expect(stderr).not.toContain('secret-token');
  });
});

describe('the webhook is named in a batch, never its URL (it often carries a token)', () => {
  const pack = useHostilePack();
  const secretUrl = 'https://hooks.example.org/collect?token=s3cr3t';

  test('--webhook <url>: the dry run plans a batch that names a variable of this process, not the URL', async () => {
    const { code, stdout } = await runCli('start-batch', pack().videos, '--dry-run', '--json', '--webhook', secretUrl);
    expect(code).toBe(ExitCode.ok);
    expect(stdout).not.toContain('s3cr3t');
  });

  test('--webhook <url> with no worker in this process, or on a schedule, is refused with what to do instead', async () => {
    process.env.TEMPORAL_ADDRESS = '127.0.0.1:1';
    try {
      const client = await runCli('start-batch', pack().videos, '--no-wait', '--webhook', secretUrl);
      expect(client.code).toBe(ExitCode.usage);
      expect(client.stderr).toContain('--webhook <url> needs a worker in this process');
      expect(client.stderr).toContain('--webhook-env <name>');
    } finally {
      delete process.env.TEMPORAL_ADDRESS;
    }
    const schedule = await runCli(
      'schedule',
      'create',
      'nightly',
      pack().videos,
      '--every',
      '1h',
      '--webhook',
      secretUrl,
    );
    expect(schedule.code).toBe(ExitCode.usage);
    expect(schedule.stderr).toContain('--webhook <url> does not apply to a schedule');
    expect(`${schedule.stderr}${schedule.stdout}`).not.toContain('s3cr3t');
  });

  test('the worker reads a named webhook from its environment or its own config; an unknown name fails for good', async () => {
    const hits: string[] = [];
    const fetchStub = (async (url: string | URL | Request) => {
      hits.push(String(url));
      return new Response('{}', { status: 200 });
    }) as typeof fetch;
    const activities = (webhookUrl?: string) =>
      reportActivities(
        new ActivityContext({ gemini: {} as GeminiGateway, catalog: {} as ModelCatalog, fetch: fetchStub, webhookUrl }),
      );
    process.env.LF_UNIT_HOOK = 'http://127.0.0.1:9/from-env';
    await activities().notifyWebhook({ webhook: { env: 'LF_UNIT_HOOK' }, summary });
    await activities('http://127.0.0.1:9/from-config').notifyWebhook({ webhook: { config: true }, summary });
    expect(hits).toEqual(['http://127.0.0.1:9/from-env', 'http://127.0.0.1:9/from-config']);
    const failure = await failureOf(activities().notifyWebhook({ webhook: { env: 'LF_UNSET_HOOK' }, summary }));
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('the environment variable LF_UNSET_HOOK is not set on this worker');
    delete process.env.LF_UNIT_HOOK;
  });
});
