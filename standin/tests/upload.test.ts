/**
 * The resumable upload protocol on the wire: start, chunks with offsets, `query` to resume after a
 * crash mid-chunk, cancel, size limits; and uploaded bytes are never kept in memory.
 */
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { startGeminiStandin, type GeminiStandin } from '..';

const key = 'AIzaSy-upload-test-key';
let standin: GeminiStandin;

beforeAll(async () => {
  standin = await startGeminiStandin({ processingMs: 0, keys: [{ name: 'uploader', value: key }] });
});

afterAll(async () => {
  await standin.close();
});

beforeEach(() => {
  standin.resetStats();
  standin.clearFaults();
});

async function start(
  size: number | undefined,
  displayName = 'Raw upload.mp4',
): Promise<{ res: Response; uploadUrl: string }> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-goog-api-key': key,
    'x-goog-upload-protocol': 'resumable',
    'x-goog-upload-command': 'start',
    'x-goog-upload-header-content-type': 'video/mp4',
  };
  if (size !== undefined) headers['x-goog-upload-header-content-length'] = String(size);
  const res = await fetch(`${standin.url}/upload/v1beta/files`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ file: { displayName } }),
  });
  return { res, uploadUrl: res.headers.get('x-goog-upload-url') ?? '' };
}

function send(uploadUrl: string, command: string, offset: number | undefined, body?: Buffer): Promise<Response> {
  const headers: Record<string, string> = { 'x-goog-upload-command': command };
  if (offset !== undefined) headers['x-goog-upload-offset'] = String(offset);
  return fetch(uploadUrl, { method: 'POST', headers, body });
}

/** Sends the first `partial` bytes of a chunk, then kills the connection, like a crashed client. */
function crashMidChunk(uploadUrl: string, offset: number, chunk: Buffer, partial: number): Promise<void> {
  return new Promise((resolve) => {
    const req = request(uploadUrl, {
      method: 'POST',
      headers: {
        'x-goog-upload-command': 'upload',
        'x-goog-upload-offset': String(offset),
        'content-length': String(chunk.length),
      },
    });
    req.on('error', () => resolve());
    req.write(chunk.subarray(0, partial), () => {
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 50);
    });
  });
}

test('start answers with the upload URL and the protocol headers', async () => {
  const { res, uploadUrl } = await start(1000);
  expect(res.status).toBe(200);
  expect(uploadUrl).toMatch(
    new RegExp(`^${standin.url}/upload/v1beta/files\\?upload_id=[\\w-]+&upload_protocol=resumable$`),
  );
  expect(res.headers.get('x-goog-upload-status')).toBe('active');
  expect(res.headers.get('x-goog-upload-chunk-granularity')).toBe('8388608');
  expect(await res.text()).toBe('');
});

test('resume after a crash mid-chunk: query reports the bytes received, the rest completes the file', async () => {
  const data = randomBytes(300_000);
  const { uploadUrl } = await start(data.length, 'Resumed.mp4');

  const first = await send(uploadUrl, 'upload', 0, data.subarray(0, 100_000));
  expect(first.status).toBe(200);
  expect(first.headers.get('x-goog-upload-status')).toBe('active');

  await crashMidChunk(uploadUrl, 100_000, data.subarray(100_000, 200_000), 40_000);
  await new Promise((r) => setTimeout(r, 50));

  const query = await send(uploadUrl, 'query', undefined);
  expect(query.status).toBe(200);
  expect(query.headers.get('x-goog-upload-status')).toBe('active');
  const received = Number(query.headers.get('x-goog-upload-size-received'));
  expect(received).toBeGreaterThan(100_000);
  expect(received).toBeLessThanOrEqual(140_000);

  // A wrong offset is refused and tells where to resume.
  const wrong = await send(uploadUrl, 'upload', 100_000, data.subarray(100_000, 200_000));
  expect(wrong.status).toBe(400);
  expect(wrong.headers.get('x-goog-upload-size-received')).toBe(String(received));

  const last = await send(uploadUrl, 'upload, finalize', received, data.subarray(received));
  expect(last.status).toBe(200);
  expect(last.headers.get('x-goog-upload-status')).toBe('final');
  const { file } = (await last.json()) as {
    file: { name: string; sizeBytes: string; sha256Hash: string; displayName: string };
  };
  expect(file.sizeBytes).toBe('300000');
  expect(file.displayName).toBe('Resumed.mp4');
  expect(file.sha256Hash).toBe(Buffer.from(createHash('sha256').update(data).digest('hex')).toString('base64'));

  // After the end, query and a repeated finalize both answer final with the file.
  const after = await send(uploadUrl, 'query', undefined);
  expect(after.headers.get('x-goog-upload-status')).toBe('final');
  expect(((await after.json()) as { file: { name: string } }).file.name).toBe(file.name);

  const stats = standin.stats();
  expect(stats.totals['upload.query']).toBe(2);
  expect(stats.byVideo['Resumed.mp4']).toMatchObject({ uploadsStarted: 1, uploadsCompleted: 1 });
  expect(stats.byStatus['499']).toBe(1);
});

test('size limits: 0 bytes, over 2 GB, more or fewer bytes than declared', async () => {
  expect((await start(0)).res.status).toBe(400);
  const huge = await start(2 * 1024 ** 3 + 1);
  expect(huge.res.status).toBe(400);
  expect(((await huge.res.json()) as { error: { status: string } }).error.status).toBe('INVALID_ARGUMENT');

  const short = await start(1000);
  const res = await send(short.uploadUrl, 'upload, finalize', 0, Buffer.alloc(600));
  expect(res.status).toBe(400);

  const long = await start(1000);
  expect((await send(long.uploadUrl, 'upload, finalize', 0, Buffer.alloc(1200))).status).toBe(400);

  standin.configure({ maxFileBytes: 5000 });
  try {
    const undeclared = await start(undefined);
    expect((await send(undeclared.uploadUrl, 'upload', 0, Buffer.alloc(4000))).status).toBe(200);
    expect((await send(undeclared.uploadUrl, 'upload, finalize', 4000, Buffer.alloc(4000))).status).toBe(400);
  } finally {
    standin.configure({ maxFileBytes: 2 * 1024 ** 3 });
  }

  const empty = await start(undefined);
  expect((await send(empty.uploadUrl, 'upload, finalize', 0, Buffer.alloc(0))).status).toBe(400);
});

test('cancel ends a session; unknown sessions answer 404; start needs a key', async () => {
  const { uploadUrl } = await start(100);
  const cancel = await send(uploadUrl, 'cancel', undefined);
  expect(cancel.headers.get('x-goog-upload-status')).toBe('cancelled');
  expect((await send(uploadUrl, 'upload, finalize', 0, Buffer.alloc(100))).status).toBe(400);
  expect(
    (
      await send(
        `${standin.url}/upload/v1beta/files?upload_id=nope&upload_protocol=resumable`,
        'upload',
        0,
        Buffer.alloc(1),
      )
    ).status,
  ).toBe(404);
  const noKey = await fetch(`${standin.url}/upload/v1beta/files`, {
    method: 'POST',
    headers: { 'x-goog-upload-protocol': 'resumable', 'x-goog-upload-command': 'start' },
    body: '{}',
  });
  expect(noKey.status).toBe(403);
});

test('uploaded bytes are counted and hashed, never buffered', async () => {
  const total = 256 * 1024 * 1024;
  const block = randomBytes(1024 * 1024);
  const { uploadUrl } = await start(total, 'Streamed.mp4');
  const before = process.memoryUsage().arrayBuffers;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
  }, 5);
  const status = await new Promise<string | undefined>((resolve, reject) => {
    const req = request(uploadUrl, {
      method: 'POST',
      headers: {
        'x-goog-upload-command': 'upload, finalize',
        'x-goog-upload-offset': '0',
        'content-length': String(total),
      },
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.headers['x-goog-upload-status'] as string | undefined);
    });
    req.on('error', reject);
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        sent += block.length;
        if (!req.write(block)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
  clearInterval(sampler);
  expect(status).toBe('final');
  // Holding the upload would need 256 MiB; streaming needs socket buffers (and whatever GC has not yet freed).
  expect(peak - before).toBeLessThan(128 * 1024 * 1024);
  expect(standin.stats().bytesUploaded).toBe(total);
});
