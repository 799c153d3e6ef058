/**
 * CronJob schedules: the standard five-field cron syntax Kubernetes accepts (minute hour day-of-month month
 * day-of-week, with `*`, lists, ranges, steps, month and weekday names, `?`) and the `@hourly`-style descriptors,
 * and the times they fire, in UTC or in a CronJob's `timeZone`.
 */

/** A parsed schedule: the allowed values of each field. */
export interface CronSchedule {
  minutes: ReadonlySet<number>;
  hours: ReadonlySet<number>;
  daysOfMonth: ReadonlySet<number>;
  months: ReadonlySet<number>;
  daysOfWeek: ReadonlySet<number>;
  /** Both day fields restricted: a day matches when either does (cron's rule). */
  eitherDay: boolean;
}

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
  namesFrom?: number;
}

const FIELDS: FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, namesFrom: 1 },
  { name: 'day of week', min: 0, max: 7, names: WEEKDAYS, namesFrom: 0 },
];

function fieldValue(text: string, field: FieldSpec): number {
  const named = field.names?.indexOf(text.toLowerCase()) ?? -1;
  if (named >= 0) return named + (field.namesFrom ?? 0);
  if (!/^\d+$/.test(text))
    throw new Error(`failed to parse int from ${text}: strconv.Atoi: parsing "${text}": invalid syntax`);
  return Number(text);
}

function parseField(text: string, field: FieldSpec): { values: Set<number>; star: boolean } {
  const values = new Set<number>();
  let star = false;
  for (const part of text.split(',')) {
    const [range = '', stepText] = part.split('/');
    let lo: number;
    let hi: number;
    if (range === '*' || range === '?') {
      star = stepText === undefined;
      lo = field.min;
      hi = field.max;
    } else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      lo = fieldValue(a, field);
      hi = fieldValue(b, field);
    } else {
      lo = fieldValue(range, field);
      hi = stepText === undefined ? lo : field.max;
    }
    const step = stepText === undefined ? 1 : fieldValue(stepText, field);
    if (lo < field.min || hi > field.max || lo > hi) {
      throw new Error(`end of range (${hi}) above maximum (${field.max}): ${part}`);
    }
    if (step < 1) throw new Error(`step of range should be a positive number: ${part}`);
    for (let v = lo; v <= hi; v += step) values.add(field.name === 'day of week' && v === 7 ? 0 : v);
  }
  return { values, star };
}

/** Parses a schedule; returns the reason it is invalid instead of throwing. */
export function parseCronSchedule(text: string): CronSchedule | { error: string } {
  const trimmed = text.trim();
  if (trimmed.startsWith('TZ=') || trimmed.startsWith('CRON_TZ=')) {
    return { error: 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead' };
  }
  const expanded = DESCRIPTORS[trimmed.toLowerCase()] ?? trimmed;
  if (expanded.startsWith('@')) return { error: `unrecognized descriptor: ${trimmed}` };
  const parts = expanded.split(/\s+/);
  if (parts.length !== 5) return { error: `expected exactly 5 fields, found ${parts.length}: ${trimmed}` };
  try {
    const [mi, h, dom, mo, dow] = parts.map((p, i) => parseField(p, FIELDS[i]!));
    return {
      minutes: mi!.values,
      hours: h!.values,
      daysOfMonth: dom!.values,
      months: mo!.values,
      daysOfWeek: dow!.values,
      eitherDay: !dom!.star && !dow!.star,
    };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

function dayMatches(s: CronSchedule, d: Date): boolean {
  const dom = s.daysOfMonth.has(d.getUTCDate());
  const dow = s.daysOfWeek.has(d.getUTCDay());
  return s.eitherDay ? dom || dow : dom && dow;
}

/** Returns the zone's offset from UTC at `at` (ms to add to UTC to get the wall clock). */
function offsetOf(zone: string | undefined, at: number): number {
  if (!zone || zone === 'UTC' || zone === 'Etc/UTC') return 0;
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(at));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return wall - Math.floor(at / 1000) * 1000;
}

/** Returns the first time strictly after `after` (epoch ms) that the schedule fires, or undefined if it never does. */
export function nextCronTime(s: CronSchedule, after: number, zone?: string): number | undefined {
  const offset = offsetOf(zone, after);
  const d = new Date(Math.floor((after + offset) / 60_000) * 60_000 + 60_000);
  // Five years of wall-clock days is more than any satisfiable schedule needs (Feb 29 recurs within 8).
  const limit = d.getTime() + 8 * 366 * 86_400_000;
  while (d.getTime() < limit) {
    if (!s.months.has(d.getUTCMonth() + 1)) {
      d.setUTCMonth(d.getUTCMonth() + 1, 1);
      d.setUTCHours(0, 0, 0, 0);
    } else if (!dayMatches(s, d)) {
      d.setUTCDate(d.getUTCDate() + 1);
      d.setUTCHours(0, 0, 0, 0);
    } else if (!s.hours.has(d.getUTCHours())) {
      d.setUTCHours(d.getUTCHours() + 1, 0, 0, 0);
    } else if (!s.minutes.has(d.getUTCMinutes())) {
      d.setUTCMinutes(d.getUTCMinutes() + 1, 0, 0);
    } else {
      return d.getTime() - offsetOf(zone, d.getTime() - offset);
    }
  }
  return undefined;
}

/**
 * Returns the latest time in (`after`, `now`] that the schedule fired (what a CronJob controller runs when it
 * missed several), or undefined if none.
 */
export function latestCronTime(
  s: CronSchedule,
  after: number,
  now: number,
  zone?: string,
): number | undefined {
  let from = after;
  // Missed times are walked from `after`; a long gap is cut to the last week, enough for any frequent schedule.
  if (now - from > 7 * 86_400_000) {
    const recent = latestCronTime(s, now - 7 * 86_400_000, now, zone);
    if (recent !== undefined) return recent;
  }
  let latest: number | undefined;
  for (let i = 0; i < 20_000; i += 1) {
    const t = nextCronTime(s, from, zone);
    if (t === undefined || t > now) break;
    latest = t;
    from = t;
  }
  return latest;
}
