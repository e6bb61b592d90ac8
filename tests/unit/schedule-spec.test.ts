import type { CalendarSpecDescription, ScheduleDescription } from '@temporalio/client';
import {
  buildScheduleSpec,
  calendarToCron,
  describeSpec,
  formatEvery,
  overlapChoiceOf,
  overlapPolicyOf,
  parseEvery,
  ScheduleSpecError,
} from '../../src/schedules/spec';
import { formatRunTime, isNothingNew, outcomeLine, toScheduleView } from '../../src/schedules/view';
import type { BatchInput, BatchSummary } from '../../src/types';

describe('schedule spec from --cron / --every', () => {
  test('cron becomes a cron expression, with the time zone when given', () => {
    expect(buildScheduleSpec({ cron: ' 0  2 * * * ', timezone: 'Europe/Paris' })).toEqual({
      cronExpressions: ['0 2 * * *'],
      timezone: 'Europe/Paris',
    });
    expect(buildScheduleSpec({ cron: '@daily' })).toEqual({ cronExpressions: ['@daily'] });
  });

  test('every becomes an interval in milliseconds', () => {
    expect(buildScheduleSpec({ every: '6h' })).toEqual({ intervals: [{ every: 6 * 3_600_000 }] });
    expect(parseEvery('1h30m')).toBe(5_400_000);
    expect(parseEvery('45s')).toBe(45_000);
    expect(parseEvery('1d')).toBe(86_400_000);
  });

  test('exactly one of cron and every is required', () => {
    expect(() => buildScheduleSpec({})).toThrow(ScheduleSpecError);
    expect(() => buildScheduleSpec({ cron: '0 2 * * *', every: '6h' })).toThrow(/exactly one/);
  });

  test('bad durations, cron expressions and time zones are refused with the value', () => {
    expect(() => parseEvery('6 hours')).toThrow(/"6 hours"/);
    expect(() => parseEvery('500ms')).toThrow(/at least 1s/);
    expect(() => parseEvery('h')).toThrow(ScheduleSpecError);
    expect(() => buildScheduleSpec({ cron: '0 2 * *' })).toThrow(/5 fields/);
    expect(() => buildScheduleSpec({ cron: '0 2 * * * ; rm' })).toThrow(ScheduleSpecError);
    expect(() => buildScheduleSpec({ every: '1h', timezone: 'Mars/Olympus' })).toThrow(/Mars\/Olympus/);
  });

  test('overlap choices map to server policies and back; skip is the default', () => {
    expect(overlapPolicyOf(undefined)).toBe('SKIP');
    expect(overlapPolicyOf('buffer-one')).toBe('BUFFER_ONE');
    expect(overlapPolicyOf('cancel-other')).toBe('CANCEL_OTHER');
    expect(() => overlapPolicyOf('terminate')).toThrow(/skip, buffer-one/);
    expect(overlapChoiceOf('ALLOW_ALL')).toBe('allow-all');
  });
});

describe('describing a stored spec', () => {
  const r = <T>(start: T, end: T = start, step = 1) => ({ start, end, step });
  // What the server returns for "0 2 * * *": a structured calendar, not the cron text.
  const nightly: CalendarSpecDescription = {
    second: [r(0)],
    minute: [r(0)],
    hour: [r(2)],
    dayOfMonth: [r(1, 31)],
    month: [r('JANUARY', 'DECEMBER')],
    year: [],
    dayOfWeek: [r('SUNDAY', 'SATURDAY')],
  };

  test('a calendar is written back as the cron a person typed', () => {
    expect(calendarToCron(nightly)).toBe('0 2 * * *');
    expect(
      calendarToCron({ ...nightly, minute: [r(0, 59, 15)], dayOfWeek: [r('MONDAY', 'FRIDAY')], month: [r('MARCH')] }),
    ).toBe('*/15 2 * 3 1-5');
    expect(calendarToCron({ ...nightly, hour: [r(8), r(20)], second: [r(30)] })).toBe('30 0 8,20 * * *');
  });

  test('intervals and time zones read naturally', () => {
    expect(formatEvery(5_400_000)).toBe('1h30m');
    expect(describeSpec({ intervals: [{ every: 21_600_000, offset: 0 }] })).toBe('every 6h');
    expect(describeSpec({ calendars: [nightly], timezone: 'Europe/Paris' })).toBe('cron "0 2 * * *" (Europe/Paris)');
  });
});

describe('a run that found nothing new', () => {
  const summary = (over: Partial<BatchSummary>): BatchSummary => ({
    batchId: 'nightly-2026-01-01T02:00:00Z',
    total: 2,
    succeeded: 0,
    failed: 0,
    skipped: 2,
    notVideos: [],
    usage: { promptTokens: 0, outputTokens: 0, thoughtsTokens: 0, totalTokens: 0 },
    costUsd: 0,
    failures: [],
    outputs: [],
    skippedVideos: [
      { key: 'a', title: 'A', reason: 'up to date (same content, template and model)' },
      { key: 'b', title: 'B', reason: 'up to date (same content, template and model)' },
    ],
    listsTruncated: false,
    startedAt: '2026-01-01T02:00:00Z',
    ...over,
  });

  test('every video skipped as up to date, nothing spent: "nothing new"', () => {
    expect(isNothingNew(summary({}))).toBe(true);
    expect(outcomeLine(summary({}))).toBe('nothing new (2 up to date, $0 spent)');
  });

  test('anything processed, failed, skipped for another reason or stopped is not "nothing new"', () => {
    expect(isNothingNew(summary({ succeeded: 1, skipped: 1, costUsd: 0.01 }))).toBe(false);
    expect(isNothingNew(summary({ failed: 1, skipped: 1 }))).toBe(false);
    expect(isNothingNew(summary({ skippedVideos: [{ key: 'a', title: 'A', reason: 'skipped by a person' }] }))).toBe(
      false,
    );
    expect(isNothingNew(summary({ stoppedEarly: 'cancelled' }))).toBe(false);
    expect(outcomeLine(summary({ succeeded: 1, skipped: 1, costUsd: 0.0123 }))).toBe(
      '1 succeeded, 0 failed, 1 skipped, $0.0123',
    );
  });

  test('the show view lists runs newest first with their result, and no next runs while paused', () => {
    const input = {
      batchId: '',
      label: 'nightly',
      sources: { inputs: ['/videos'], listFiles: [], recursive: false, include: [], exclude: [] },
      options: { template: 'comprehensive_lesson', models: ['gemini-3.8-flash'], outputDir: '/out' },
      webhookUrl: 'http://hook',
    } as unknown as BatchInput;
    const description = {
      scheduleId: 'nightly',
      spec: { intervals: [{ every: 3_600_000, offset: 0 }] },
      action: { type: 'startWorkflow', workflowType: 'BatchWorkflow', args: [input] },
      policies: { overlap: 'SKIP' },
      state: { paused: true, note: 'holidays' },
      info: {
        nextActionTimes: [new Date('2026-01-02T00:00:00Z')],
        numActionsTaken: 2,
        numActionsSkippedOverlap: 1,
        recentActions: [],
        runningActions: [],
      },
    } as unknown as ScheduleDescription;
    const view = toScheduleView(description, [
      {
        batchId: 'nightly-1',
        scheduledAt: new Date('2026-01-01T00:00:00Z'),
        status: 'COMPLETED',
        summary: summary({}),
      },
      {
        batchId: 'nightly-2',
        scheduledAt: new Date('2026-01-01T01:00:00Z'),
        status: 'FAILED',
        error: 'VideoRejected: /videos does not exist',
      },
    ]);
    expect(view).toMatchObject({
      name: 'nightly',
      spec: 'every 1h',
      overlap: 'skip',
      paused: true,
      note: 'holidays',
      nextRuns: [],
      inputs: ['/videos'],
      webhook: true,
    });
    expect(view.recentRuns.map((r) => [r.batchId, r.status, r.nothingNew, r.result])).toEqual([
      ['nightly-2', 'FAILED', false, 'VideoRejected: /videos does not exist'],
      ['nightly-1', 'COMPLETED', true, 'nothing new (2 up to date, $0 spent)'],
    ]);
  });
});

describe('next run times as people read them', () => {
  test('in the schedule’s zone, with the UTC instant beside it', () => {
    // 01:00 UTC in November is 02:00 in Paris (CET) and 20:00 the day before in New York (EST).
    expect(formatRunTime('2026-11-23T01:00:00.000Z', 'Europe/Paris')).toBe(
      '2026-11-23 02:00 Europe/Paris (2026-11-23T01:00:00Z)',
    );
    expect(formatRunTime('2026-11-23T01:00:00.000Z', 'America/New_York')).toBe(
      '2026-11-22 20:00 America/New_York (2026-11-23T01:00:00Z)',
    );
  });

  test('a schedule without a zone reads in UTC', () => {
    expect(formatRunTime('2026-07-01T23:30:00.000Z')).toBe('2026-07-01 23:30 UTC');
  });
});
