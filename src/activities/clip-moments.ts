import type { GenerateResult } from '../gemini/gateway';

/**
 * When each clip not yet answered is sent: at its booked moment. A retried attempt comes after
 * some of those moments passed; sending every late clip at once would put them in one minute, so
 * the clips left keep their spacing and all move later by as much as the first of them is late.
 */
export function clipMoments(
  booked: number[],
  answered: Set<number>,
  now: number,
  retried: boolean,
): Map<number, number> {
  const left = booked.map((at, index) => ({ at, index })).filter((c) => !answered.has(c.index));
  const late = retried && left.length > 0 ? Math.max(0, now - left[0].at) : 0;
  return new Map(left.map((c) => [c.index, c.at + late]));
}

/**
 * Sends each clip's call at its own booked moment in the project's minute, whether or not the clip
 * before it has been answered: each clip was booked at the moment it starts, and waiting for the
 * answer before would make it late (and push it into the next call's minute). The answers are
 * then taken in order. `stop` cancels the calls not yet sent (and aborts those in flight) when the
 * analysis ends early.
 */
export function clipsAtTheirMoments(
  moments: Map<number, number>,
  send: (index: number, signal: AbortSignal) => Promise<GenerateResult>,
  now: () => number = Date.now,
): { answer(index: number): Promise<GenerateResult>; stop(): void } {
  const abort = new AbortController();
  const timers: NodeJS.Timeout[] = [];
  const calls = new Map<number, Promise<GenerateResult>>();
  for (const [index, at] of moments) {
    const call = new Promise<void>((resolve, reject) => {
      if (abort.signal.aborted) return reject(new Error('the analysis ended before this clip was sent'));
      timers.push(setTimeout(resolve, Math.max(0, at - now())));
      abort.signal.addEventListener('abort', () => reject(new Error('the analysis ended before this clip was sent')));
    }).then(() => send(index, abort.signal));
    // Awaited in order later; until then a failure must not count as unhandled.
    call.catch(() => undefined);
    calls.set(index, call);
  }
  return {
    answer(index) {
      const call = calls.get(index);
      if (!call) throw new Error(`clip ${index + 1} has no booked moment`);
      return call;
    },
    stop() {
      for (const t of timers) clearTimeout(t);
      abort.abort();
    },
  };
}
