/**
 * The HTTP server: routes REST calls to handlers, checks keys, adds latency, writes answers
 * (JSON or server-sent events), and records every request in the stats and the log.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleControl } from './control';
import { apiError, HttpError, internal, invalidArgument, modelNotFound } from './errors';
import { fileIdOf } from './files-store';
import { deleteFile, getFile, listFiles } from './files';
import { countTokens } from './generate';
import { extraControls, extraRoute, generateWithCache, handleExtraControl } from './extra-routes';
import { requestKey } from './keys';
import { ResetSignal, StandinState, type Reply, type RequestCtx } from './state';
import type { GeminiStandin, RouteName, StandinOptions } from './types';
import { ClientAbort, startUpload, uploadCommand } from './upload';

const maxJsonBytes = 64 * 1024 * 1024;

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (buf: Buffer) => {
      size += buf.length;
      if (size <= maxJsonBytes) chunks.push(buf);
    });
    req.on('end', () => {
      if (size > maxJsonBytes)
        return reject(apiError(413, 'INVALID_ARGUMENT', 'Request payload size exceeds the limit: 67108864 bytes.'));
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch (err) {
        reject(invalidArgument(`Invalid JSON payload received. ${(err as Error).message}`));
      }
    });
    req.on('error', reject);
  });
}

interface Route {
  name: RouteName;
  apiVersion: string;
  run: (ctx: RequestCtx, state: StandinState) => Promise<Reply> | Reply;
  /** false: no API key needed (upload chunks are authorised by their upload id). */
  needsKey: boolean;
}

function route(method: string, url: URL): Route | undefined {
  const extra = extraRoute(method, url);
  if (extra) return { ...extra, run: (ctx, s) => extra.run(ctx, s, () => readJson(ctx.req)) };
  const path = url.pathname;
  let m = /^\/upload\/(v1beta|v1|v1alpha)\/files$/.exec(path);
  if (m && method === 'POST') {
    const apiVersion = m[1];
    const uploadId = url.searchParams.get('upload_id');
    if (uploadId)
      return { name: 'upload.chunk', apiVersion, needsKey: false, run: (ctx, s) => uploadCommand(s, ctx, uploadId) };
    return {
      name: 'upload.start',
      apiVersion,
      needsKey: true,
      run: async (ctx, s) => startUpload(s, ctx, await readJson(ctx.req)),
    };
  }
  m = /^\/(v1beta|v1|v1alpha)\/files$/.exec(path);
  if (m && method === 'GET')
    return { name: 'files.list', apiVersion: m[1], needsKey: true, run: (ctx, s) => listFiles(s, ctx) };
  m = /^\/(v1beta|v1|v1alpha)\/files\/([^/:]+)$/.exec(path);
  if (m && (method === 'GET' || method === 'DELETE')) {
    const id = fileIdOf(`files/${m[2]}`) ?? m[2];
    return method === 'GET'
      ? { name: 'files.get', apiVersion: m[1], needsKey: true, run: (ctx, s) => getFile(s, ctx, id) }
      : { name: 'files.delete', apiVersion: m[1], needsKey: true, run: (ctx, s) => deleteFile(s, ctx, id) };
  }
  m = /^\/(v1beta|v1|v1alpha)\/models\/([^/:]+):(generateContent|streamGenerateContent|countTokens)$/.exec(path);
  if (m && method === 'POST') {
    const [, apiVersion, model, verb] = m;
    if (verb === 'countTokens')
      return {
        name: 'countTokens',
        apiVersion,
        needsKey: true,
        run: async (ctx, s) => countTokens(s, ctx, model, await readJson(ctx.req)),
      };
    const stream = verb === 'streamGenerateContent';
    return {
      name: 'generate',
      apiVersion,
      needsKey: true,
      run: async (ctx, s) => generateWithCache(s, ctx, model, await readJson(ctx.req), stream),
    };
  }
  m = /^\/(v1beta|v1|v1alpha)\/models(?:\/([^/:]+))?$/.exec(path);
  if (m && method === 'GET') {
    const [, apiVersion, model] = m;
    return { name: 'models', apiVersion, needsKey: true, run: (ctx, s) => modelsReply(s, ctx, model) };
  }
  return undefined;
}

function modelResource(model: string): Record<string, unknown> {
  return {
    name: `models/${model}`,
    version: '001',
    displayName: model,
    inputTokenLimit: 1_048_576,
    outputTokenLimit: 65_536,
    supportedGenerationMethods: ['generateContent', 'countTokens'],
  };
}

function modelsReply(state: StandinState, ctx: RequestCtx, model: string | undefined): Reply {
  if (model === undefined) return { status: 200, body: { models: state.options.models.map(modelResource) } };
  ctx.model = model;
  if (!state.isKnownModel(model)) throw modelNotFound(model, ctx.apiVersion, 'get');
  return { status: 200, body: modelResource(model) };
}

function write(res: ServerResponse, reply: Reply): void {
  if (res.destroyed || res.headersSent) return;
  const headers: Record<string, string> = { ...reply.headers };
  if (reply.events) {
    res.writeHead(reply.status, { ...headers, 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    for (const e of reply.events) res.write(`data: ${JSON.stringify(e)}\r\n\r\n`);
    res.end();
    return;
  }
  if (reply.raw) {
    res.writeHead(reply.status, { ...headers, 'content-length': String(reply.raw.length) });
    res.end(reply.raw);
    return;
  }
  if (reply.body === undefined) {
    res.writeHead(reply.status, { ...headers, 'content-length': '0' });
    res.end();
    return;
  }
  const text = JSON.stringify(reply.body, null, 2);
  res.writeHead(reply.status, {
    ...headers,
    'content-type': 'application/json; charset=UTF-8',
    'content-length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

export async function startGeminiStandin(options: StandinOptions = {}): Promise<GeminiStandin> {
  const state = new StandinState(options);

  const standin: GeminiStandin = {
    url: '',
    stats: () => state.stats.snapshot(),
    resetStats: () => state.stats.reset(),
    addFault: (rule) => state.faults.add(rule),
    clearFaults: () => state.faults.clear(),
    configure: (patch) => state.configure(patch),
    setVideoDuration: (video, seconds) => state.durations.set(video, seconds),
    expireFile: (name) => {
      state.files.expire(name.replace(/^files\//, ''));
    },
    advanceDay: () => state.limiter.advanceDay(),
    ...extraControls(state),
    close: () => close(),
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://standin.local');
    if (url.pathname.startsWith('/__standin/')) {
      let body: unknown;
      try {
        body = method === 'GET' || method === 'DELETE' ? undefined : await readJson(req);
      } catch (err) {
        write(res, { status: 400, body: { error: (err as Error).message } });
        return;
      }
      write(
        res,
        (await handleExtraControl(state, method, url.pathname, body)) ??
          handleControl(standin, state, method, url.pathname, url, body),
      );
      return;
    }

    const found = route(method, url);
    const ctx: RequestCtx = {
      req,
      url,
      route: found?.name ?? 'unknown',
      apiVersion: found?.apiVersion ?? 'v1beta',
      keyLabel: '-',
    };
    let reply: Reply;
    try {
      if (!found) throw apiError(404, 'NOT_FOUND', `Method not found: ${method} ${url.pathname}`);
      if (found.needsKey) {
        const value = requestKey(req, url);
        ctx.keyLabel = state.keys.labelOf(value);
        ctx.key = state.keys.resolve(value);
      }
      reply = await found.run(ctx, state);
    } catch (err) {
      if (err instanceof ResetSignal || err instanceof ClientAbort) {
        const reset = err instanceof ResetSignal;
        if (reset) req.socket.destroy();
        finish(ctx, reset ? 0 : 499);
        return;
      }
      if (err instanceof HttpError) reply = { status: err.status, body: err.body, headers: err.headers };
      else {
        state.options.logger?.(`standin: internal error on ${ctx.route}: ${(err as Error)?.stack ?? String(err)}`);
        const e = internal();
        reply = { status: e.status, body: e.body };
      }
    }
    const delay = state.latencyFor(ctx.route);
    if (delay > 0) await state.sleep(delay);
    write(res, reply);
    finish(ctx, reply.status);
  }

  function finish(ctx: RequestCtx, status: number): void {
    const at = Date.now();
    state.stats.record({
      at,
      route: ctx.route,
      key: ctx.keyLabel,
      model: ctx.model,
      video: ctx.video,
      status,
      finishReason: ctx.finishReason,
      finalized: ctx.finalized,
      bytes: ctx.bytes,
      usage: ctx.usage,
      mediaParts: ctx.mediaParts,
      ...(ctx.route === 'generate' && ctx.key ? { project: ctx.key.project } : {}),
      ...(ctx.admittedAt !== undefined ? { admittedAt: ctx.admittedAt } : {}),
    });
    const logger = state.options.logger;
    if (logger) {
      const parts = [new Date(at).toISOString(), ctx.route, `key=${ctx.keyLabel}`, `status=${status}`];
      if (ctx.model) parts.push(`model=${ctx.model}`);
      if (ctx.video) parts.push(`video=${JSON.stringify(ctx.video)}`);
      if (ctx.finishReason) parts.push(`finish=${ctx.finishReason}`);
      logger(parts.join(' '));
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      state.options.logger?.(`standin: unexpected failure: ${String(err)}`);
      if (!res.headersSent && !res.destroyed) write(res, { status: 500, body: internal().body });
    });
  });
  // Long uploads and injected delays must not be cut by Node's default request timeout.
  server.requestTimeout = 0;
  server.keepAliveTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(state.options.port, state.options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = state.options.host === '0.0.0.0' || state.options.host === '::' ? '127.0.0.1' : state.options.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  state.url = url;
  standin.url = url;

  let closing: Promise<void> | undefined;
  function close(): Promise<void> {
    closing ??= new Promise<void>((resolve) => {
      state.cancelTimers();
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closing;
  }

  return standin;
}
