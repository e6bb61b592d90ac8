/**
 * The control API under /__standin/, so another process (a benchmark, the demo) can drive a
 * running stand-in. No key needed; it only listens where the stand-in listens (127.0.0.1).
 *
 *   GET    /__standin/health                     {ok, url}
 *   GET    /__standin/stats[?log=0]              StandinStats (log omitted with log=0)
 *   POST   /__standin/reset                      reset stats; body {faults?: true, limits?: true} also clears those
 *   GET    /__standin/faults                     the rules with their ids and remaining counts
 *   POST   /__standin/faults                     body FaultRule → {id}
 *   DELETE /__standin/faults                     clear all rules
 *   POST   /__standin/configure                  body Partial<StandinOptions> (keys with their
 *                                                project, projectLimits: limits shared by a project's keys)
 *   POST   /__standin/advance-day                daily quota reset
 *   POST   /__standin/video-duration             body {video, seconds}
 *   POST   /__standin/expire-file                body {name}
 */
import { checkFaultRule } from './faults';
import type { Reply, StandinState } from './state';
import type { FaultRule, GeminiStandin, StandinOptions } from './types';
import { isRecord } from './util';

const bad = (message: string): Reply => ({ status: 400, body: { error: message } });

function checkConfigure(patch: unknown): string | undefined {
  if (!isRecord(patch)) return 'configure takes a JSON object';
  if (patch.keys !== undefined) {
    if (!Array.isArray(patch.keys)) return 'keys must be an array';
    for (const k of patch.keys)
      if (!isRecord(k) || typeof k.name !== 'string' || typeof k.value !== 'string')
        return 'each key needs name and value';
    for (const k of patch.keys as Array<Record<string, unknown>>)
      if (k.project !== undefined && typeof k.project !== 'string') return "a key's project must be a string";
  }
  if (patch.projectLimits !== undefined && !isRecord(patch.projectLimits))
    return 'projectLimits must be an object: {project: {model: {rpm?, tpm?, rpd?}}}';
  if (
    patch.models !== undefined &&
    (!Array.isArray(patch.models) || !patch.models.every((m) => typeof m === 'string'))
  ) {
    return 'models must be an array of strings';
  }
  for (const field of [
    'processingMs',
    'minuteMs',
    'maxFileBytes',
    'youtubeDefaultSeconds',
    'bytesPerVideoSecond',
    'logLimit',
  ]) {
    if (patch[field] !== undefined && (typeof patch[field] !== 'number' || (patch[field] as number) < 0))
      return `${field} must be a non-negative number`;
  }
  return undefined;
}

export function handleControl(
  standin: Omit<GeminiStandin, 'close'>,
  state: StandinState,
  method: string,
  path: string,
  url: URL,
  body: unknown,
): Reply {
  const route = `${method} ${path.replace(/^\/__standin/, '').replace(/\/$/, '')}`;
  const obj = isRecord(body) ? body : {};
  switch (route) {
    case 'GET /health':
      return { status: 200, body: { ok: true, url: standin.url } };
    case 'GET /stats': {
      const withLog = url.searchParams.get('log') !== '0' && url.searchParams.get('log') !== 'false';
      return { status: 200, body: state.stats.snapshot(withLog) };
    }
    case 'POST /reset':
      standin.resetStats();
      if (obj.faults === true) standin.clearFaults();
      if (obj.limits === true) state.limiter.reset();
      return { status: 200, body: {} };
    case 'GET /faults':
      return { status: 200, body: { faults: state.faults.list() } };
    case 'POST /faults': {
      const problem = checkFaultRule(body);
      if (problem) return bad(problem);
      return { status: 200, body: { id: standin.addFault(body as FaultRule) } };
    }
    case 'DELETE /faults':
      standin.clearFaults();
      return { status: 200, body: {} };
    case 'POST /configure': {
      const problem = checkConfigure(body);
      if (problem) return bad(problem);
      standin.configure(body as Partial<StandinOptions>);
      return { status: 200, body: {} };
    }
    case 'POST /advance-day':
      standin.advanceDay();
      return { status: 200, body: {} };
    case 'POST /video-duration': {
      const video = obj.video ?? obj.displayName ?? obj.url;
      if (typeof video !== 'string' || typeof obj.seconds !== 'number' || !(obj.seconds > 0)) {
        return bad('video-duration takes {video: string, seconds: number > 0}');
      }
      standin.setVideoDuration(video, obj.seconds);
      return { status: 200, body: {} };
    }
    case 'POST /expire-file': {
      if (typeof obj.name !== 'string') return bad('expire-file takes {name: "files/..."}');
      const known = state.files.has(obj.name.replace(/^files\//, ''));
      standin.expireFile(obj.name);
      return known ? { status: 200, body: {} } : { status: 404, body: { error: `no file ${obj.name}` } };
    }
    default:
      return { status: 404, body: { error: `unknown control route ${route}` } };
  }
}
