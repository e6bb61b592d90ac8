/**
 * Input tokens per minute, kept before the call: each project and model has a ledger of booked
 * calls (when each starts and how many input tokens it is expected to send). A call is booked at
 * the earliest moment where every sliding minute it falls in stays within the project's budget;
 * the video then waits (durably) until that moment and calls. The actual `usageMetadata` settles
 * the booking afterwards, and the ratio of actual to expected tokens scales the next bookings, so a
 * steady bias in the estimate corrects itself. Plain data and arithmetic, used by the
 * KeyPoolWorkflow (deterministic) and by unit tests; times are epoch milliseconds.
 */

export interface Booking {
  /** Unique per call (the video's workflow id and its call number): booking twice returns the first. */
  id: string;
  /** When the call may start. */
  at: number;
  /** Input tokens counted against the budget (expected until settled, then actual). */
  tokens: number;
  /** Tokens expected before the call, as asked (before scaling). */
  expected: number;
  /**
   * How late the call may reach Gemini after `at` (it occupies [at, at + late] in every minute):
   * a call that waits for its moment starts on time (the workflow wakes early and the activity
   * waits out the rest), one that may go at once starts after its dispatch.
   */
  late?: number;
  settled?: boolean;
}

export interface SlotState {
  bookings: Booking[];
  /** Actual / expected tokens of recent settled calls (a moving average); 1 until one is settled. */
  ratio: number;
}

export interface LedgerState {
  /** By `project\u0000model`. */
  slots: Record<string, SlotState>;
}

export interface ReserveRequest {
  id: string;
  project: string;
  model: string;
  /** Expected input tokens of the call. */
  tokens: number;
  /** The project's input tokens per minute for the model. */
  tpm: number;
  now: number;
  /** Length of the quota's minute (60 s for Gemini; shorter in tests). */
  minuteMs?: number;
  /**
   * A call sent in parts (a video in clips): each part's expected input tokens, in order. Each part
   * is booked on its own as `<id>#clip<n>` (n from 1), no earlier than the part before it; `tokens`
   * is then ignored.
   */
  parts?: number[];
}

/** One project's minute for one model, as `keys status` shows it. */
export interface MinuteUsage {
  project: string;
  model: string;
  /** Input tokens booked in the last minute (settled calls count what they really sent). */
  lastMinute: number;
  /** Input tokens of calls booked to start later. */
  booked: number;
  /** Calls waiting for their booked moment. */
  waiting: number;
  /** Actual / expected input tokens of recent calls. */
  ratio: number;
}

/** One booked part of a call in parts. */
export interface PartReservation {
  id: string;
  startAt: number;
  tokens: number;
  waitMs: number;
}

export type Reservation =
  /** `parts` for a call in parts: then startAt is the first part's and tokens their sum. */
  | { id: string; startAt: number; tokens: number; waitMs: number; parts?: PartReservation[] }
  /** `tokens` (the largest part's, for a call in parts) as booked: expected × `ratio`. */
  | { id: string; tooLarge: true; tokens: number; budget: number; ratio: number };

/** Share of tpm that is booked: the estimate is not exact and calls start a little after their moment. */
export const tokenHeadroom = 0.97;
/**
 * Bookings are spaced as if the minute were this much longer: a call starts up to a second or two
 * after its moment (timer, workflow task, activity dispatch), and Gemini counts the minute from when
 * the request arrives.
 */
export const lateStartMarginMs = 1500;
/**
 * How late a call booked to go at once may reach Gemini: the activity's dispatch on a busy machine
 * (measured up to ~5 s at a load of 10 on 2 cores). A call booked further ahead than this waits
 * for its moment instead (src/workflows/video/token-budget.ts), so its lateness shrinks to match.
 */
export const dispatchAllowanceMs = 5000;
export const defaultMinuteMs = 60_000;
/** Weight of the newest settled call in the moving ratio. */
const ratioWeight = 0.3;
const minRatio = 0.5;
const maxRatio = 2;

export const slotKey = (project: string, model: string): string => `${project}\u0000${model}`;

/** The booking id of part `index` (from 0) of a call in parts: `<id>#clip<index + 1>`. */
export const partId = (id: string, index: number): string => `${id}#clip${index + 1}`;

/** The part number (from 1) when `bookingId` is a part of call `id`. */
function partNumber(bookingId: string, id: string): number | undefined {
  const prefix = `${id}#clip`;
  if (!bookingId.startsWith(prefix)) return undefined;
  const n = Number(bookingId.slice(prefix.length));
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

export class MinuteLedger {
  readonly state: LedgerState;

  constructor(state?: LedgerState) {
    this.state = state ?? { slots: {} };
  }

  /** Books a call at the earliest moment its tokens fit, or says it can never fit the budget. */
  reserve(req: ReserveRequest): Reservation {
    if (req.parts) return this.reserveParts(req, req.parts);
    const window = (req.minuteMs ?? defaultMinuteMs) + lateStartMarginMs;
    const slot = this.slot(req.project, req.model);
    this.prune(slot, req.now, window);
    const existing = slot.bookings.find((b) => b.id === req.id);
    if (existing) return { id: req.id, startAt: existing.at, tokens: existing.tokens, waitMs: existing.at - req.now };
    const budget = Math.floor(req.tpm * tokenHeadroom);
    const tokens = Math.max(1, Math.ceil(req.tokens * slot.ratio));
    if (tokens > budget) return { id: req.id, tooLarge: true, tokens, budget, ratio: slot.ratio };
    const at = earliestFit(slot.bookings, req.now, tokens, budget, window);
    this.book(slot, { id: req.id, at, tokens, expected: req.tokens }, req.now);
    return { id: req.id, startAt: at, tokens, waitMs: at - req.now };
  }

  /**
   * Books every part of a call in order, each at the earliest moment no earlier than the part before
   * it where every sliding minute stays within budget; all or nothing (a part above the whole
   * budget books none). Asking again for the same call returns the parts booked the first time.
   */
  private reserveParts(req: ReserveRequest, parts: number[]): Reservation {
    const window = (req.minuteMs ?? defaultMinuteMs) + lateStartMarginMs;
    const slot = this.slot(req.project, req.model);
    this.prune(slot, req.now, window);
    const answer = (booked: Booking[]): Reservation => {
      const reserved = booked.map((b) => ({ id: b.id, startAt: b.at, tokens: b.tokens, waitMs: b.at - req.now }));
      const tokens = reserved.reduce((sum, p) => sum + p.tokens, 0);
      return { id: req.id, startAt: reserved[0].startAt, tokens, waitMs: reserved[0].waitMs, parts: reserved };
    };
    const existing = slot.bookings
      .map((b) => ({ b, n: partNumber(b.id, req.id) }))
      .filter((p): p is { b: Booking; n: number } => p.n !== undefined)
      .sort((x, y) => x.n - y.n)
      .map((p) => p.b);
    if (existing.length > 0) return answer(existing);
    const budget = Math.floor(req.tpm * tokenHeadroom);
    const scaled = parts.map((t) => Math.max(1, Math.ceil(t * slot.ratio)));
    const largest = Math.max(...scaled);
    if (largest > budget) return { id: req.id, tooLarge: true, tokens: largest, budget, ratio: slot.ratio };
    let from = req.now;
    const booked = scaled.map((tokens, i) => {
      const at = earliestFit(slot.bookings, req.now, tokens, budget, window, from);
      from = at;
      return this.book(slot, { id: partId(req.id, i), at, tokens, expected: parts[i] }, req.now);
    });
    return answer(booked);
  }

  /** Adds a booking; one that may go at once is counted as possibly late by the dispatch allowance. */
  private book(slot: SlotState, booking: Booking, now: number): Booking {
    const late = Math.max(0, dispatchAllowanceMs - (booking.at - now));
    if (late > 0) booking.late = late;
    slot.bookings.push(booking);
    slot.bookings.sort((a, b) => a.at - b.at);
    return booking;
  }

  /**
   * The call is over: `actual` input tokens were sent (0 when it never reached Gemini). Corrects
   * the booking and, from a real answer, the ratio used for the next bookings.
   */
  settle(id: string, project: string, model: string, actual: number): void {
    const slot = this.state.slots[slotKey(project, model)];
    const booking = slot?.bookings.find((b) => b.id === id);
    if (!slot || !booking || booking.settled) return;
    booking.tokens = Math.max(0, actual);
    booking.settled = true;
    if (actual > 0 && booking.expected > 0) {
      const observed = Math.min(maxRatio, Math.max(minRatio, actual / booking.expected));
      slot.ratio = slot.ratio * (1 - ratioWeight) + observed * ratioWeight;
    }
  }

  /** Tokens counted in the minute up to `now`, and tokens booked after it. */
  usage(
    project: string,
    model: string,
    now: number,
    minuteMs = defaultMinuteMs,
  ): { lastMinute: number; booked: number } {
    const slot = this.state.slots[slotKey(project, model)];
    let lastMinute = 0;
    let booked = 0;
    for (const b of slot?.bookings ?? []) {
      if (b.at > now) booked += b.tokens;
      else if (b.at > now - minuteMs) lastMinute += b.tokens;
    }
    return { lastMinute, booked };
  }

  /** Every project and model with bookings: the last minute, what is booked ahead, and how many calls wait. */
  minuteUsage(now: number, minuteMs = defaultMinuteMs): MinuteUsage[] {
    return Object.entries(this.state.slots).map(([key, slot]) => {
      const [project, model] = key.split('\u0000');
      return {
        project,
        model,
        ...this.usage(project, model, now, minuteMs),
        waiting: slot.bookings.filter((b) => b.at > now).length,
        ratio: Math.round(slot.ratio * 1000) / 1000,
      };
    });
  }

  /** Drops bookings that no longer weigh on any minute (keeps the state small for continue-as-new). */
  pruneAll(now: number, minuteMs = defaultMinuteMs): void {
    for (const [key, slot] of Object.entries(this.state.slots)) {
      this.prune(slot, now, minuteMs + lateStartMarginMs);
      if (slot.bookings.length === 0 && slot.ratio === 1) delete this.state.slots[key];
    }
  }

  private slot(project: string, model: string): SlotState {
    return (this.state.slots[slotKey(project, model)] ??= { bookings: [], ratio: 1 });
  }

  private prune(slot: SlotState, now: number, window: number): void {
    slot.bookings = slot.bookings.filter((b) => b.at + (b.late ?? 0) > now - window);
  }
}

/**
 * The earliest moment T >= now at which a call of `tokens` keeps every sliding window (of length
 * `window`) it may fall in within `budget`. A booking occupies [at, at + late] (it may start that
 * late), so a window ending at t holds the bookings with at <= t and at + late > t - window. Only
 * two kinds of moments can be the answer: now, and the moments booked calls leave the window. The
 * windows the new call may fall in end in [T, T + late + window), and their sums peak at T or at a
 * booking's start, so those are the only ends to check. The new call's own lateness is what it
 * will be booked with: the dispatch allowance less the time it waits. `from` (a later part of a call
 * in parts: the moment of the part before it) is the earliest answer allowed.
 */
export function earliestFit(
  bookings: Booking[],
  now: number,
  tokens: number,
  budget: number,
  window: number,
  from = now,
): number {
  const leaves = (b: Booking) => b.at + (b.late ?? 0) + window;
  const candidates = [from, ...bookings.map(leaves).filter((t) => t > from)].sort((a, b) => a - b);
  for (const start of candidates) {
    const late = Math.max(0, dispatchAllowanceMs - (start - now));
    const ends = [start, ...bookings.map((b) => b.at).filter((t) => t > start && t < start + late + window)];
    const fits = ends.every((end) => {
      let sum = tokens;
      for (const b of bookings) if (b.at <= end && leaves(b) > end) sum += b.tokens;
      return sum <= budget;
    });
    if (fits) return start;
  }
  // Unreachable: after the last booking leaves the window nothing else weighs on it.
  return candidates[candidates.length - 1];
}
