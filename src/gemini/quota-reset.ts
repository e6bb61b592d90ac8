/**
 * Gemini's daily quotas reset at midnight Pacific time. Computed with Intl so daylight saving
 * time is right without a timezone library.
 */
export function nextPacificMidnight(now: Date): Date {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: 'America/Los_Angeles',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(now);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const secondsIntoDay = get('hour') * 3600 + get('minute') * 60 + get('second');
  const candidate = new Date(now.getTime() + (86_400 - secondsIntoDay) * 1000 - now.getMilliseconds());
  // Across a DST change the day is 23 or 25 h long; nudge to the real local midnight.
  for (const shiftHours of [0, -1, 1]) {
    const t = new Date(candidate.getTime() + shiftHours * 3_600_000);
    const p = new Intl.DateTimeFormat('en-US', {
      timeZone: 'America/Los_Angeles',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).format(t);
    if (p === '00:00') return t;
  }
  return candidate;
}
