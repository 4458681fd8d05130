/** A rule's schedule (config `schedule`): active windows in a time zone. */
export interface Schedule {
  timezone: string;
  windows: ReadonlyArray<{ from: string; to: string; days?: readonly number[] }>;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const DAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/** Local weekday (0 = Sunday) and minute of day of `epochMs` in the IANA zone `tz`. */
export function localTime(epochMs: number, tz: string): { day: number; minute: number } {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(tz, f);
  }
  let day = 0;
  let hour = 0;
  let minute = 0;
  for (const p of f.formatToParts(epochMs)) {
    if (p.type === 'weekday') {
      day = DAYS[p.value] ?? 0;
    } else if (p.type === 'hour') {
      hour = Number(p.value) % 24;
    } else if (p.type === 'minute') {
      minute = Number(p.value);
    }
  }
  return { day, minute: hour * 60 + minute };
}

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
}

/**
 * Whether the schedule is active at `epochMs`. A window `from`–`to` with `to` earlier than `from` crosses
 * midnight; its `days` name the day the window starts on (Friday 22:00–06:00 covers Saturday 03:00). `from` equal
 * to `to` is the whole day. No schedule = always active.
 */
export function isActive(schedule: Schedule | undefined, epochMs: number): boolean {
  if (!schedule) {
    return true;
  }
  const { day, minute } = localTime(epochMs, schedule.timezone);
  const prevDay = (day + 6) % 7;
  for (const w of schedule.windows) {
    const from = minutes(w.from);
    const to = minutes(w.to);
    const onDay = (d: number) => !w.days || w.days.length === 0 || w.days.includes(d);
    if (from === to) {
      if (onDay(day)) {
        return true;
      }
    } else if (from < to) {
      if (minute >= from && minute < to && onDay(day)) {
        return true;
      }
    } else if ((minute >= from && onDay(day)) || (minute < to && onDay(prevDay))) {
      return true;
    }
  }
  return false;
}
