// Five-field cron expressions (minute hour day-of-month month day-of-week), evaluated in UTC as
// Cloudflare Cron Triggers are. Supports `*`, `*/n`, numbers, ranges `a-b`, steps `a-b/n` and
// lists; month and weekday names (JAN, MON); 7 as Sunday. Anything else is refused loudly so a
// schedule this driver cannot honour is reported instead of silently never firing.

type Field = { min: number; max: number; names?: readonly string[] };

const FIELDS: readonly Field[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] },
  { min: 0, max: 7, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] },
];

export type CronSchedule = {
  minutes: Set<number>;
  hours: Set<number>;
  daysOfMonth: Set<number>;
  months: Set<number>;
  daysOfWeek: Set<number>;
  /** Standard cron: when both day fields are restricted, a day matches if either does. */
  domRestricted: boolean;
  dowRestricted: boolean;
};

function value(text: string, field: Field, expr: string): number {
  const named = field.names?.indexOf(text.toUpperCase()) ?? -1;
  const n = named >= 0 ? named + (field.names?.length === 12 ? 1 : 0) : /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(n) || n < field.min || n > field.max) {
    throw new Error(`cron "${expr}": "${text}" is out of range ${field.min}-${field.max}`);
  }
  return n;
}

function parseField(text: string, field: Field, expr: string): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(",")) {
    const m = /^([^/]+)(?:\/(\d+))?$/.exec(part);
    if (!m?.[1]) throw new Error(`cron "${expr}": cannot read "${part}"`);
    const step = m[2] === undefined ? 1 : Number(m[2]);
    if (step < 1) throw new Error(`cron "${expr}": step must be at least 1 in "${part}"`);
    let lo: number;
    let hi: number;
    if (m[1] === "*") {
      lo = field.min;
      hi = field.max;
    } else {
      const [a, b, ...rest] = m[1].split("-");
      if (a === undefined || rest.length > 0) throw new Error(`cron "${expr}": cannot read "${part}"`);
      lo = value(a, field, expr);
      hi = b === undefined ? (m[2] === undefined ? lo : field.max) : value(b, field, expr);
      if (hi < lo) throw new Error(`cron "${expr}": empty range "${part}"`);
    }
    for (let n = lo; n <= hi; n += step) out.add(n);
  }
  return out;
}

export function parseCron(expr: string): CronSchedule {
  const parts = expr.trim().split(/\s+/);
  if (parts.length !== 5) throw new Error(`cron "${expr}": expected 5 fields, got ${parts.length}`);
  const [minute, hour, dom, month, dow] = parts.map((p, i) => parseField(p, FIELDS[i]!, expr)) as [
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
  ];
  if (dow.has(7)) dow.add(0);
  return {
    minutes: minute,
    hours: hour,
    daysOfMonth: dom,
    months: month,
    daysOfWeek: dow,
    domRestricted: parts[2] !== "*",
    dowRestricted: parts[4] !== "*",
  };
}

/** Whether the schedule fires in the UTC minute containing `at`. */
export function cronMatches(expr: string | CronSchedule, at: Date): boolean {
  const s = typeof expr === "string" ? parseCron(expr) : expr;
  if (!s.minutes.has(at.getUTCMinutes()) || !s.hours.has(at.getUTCHours()) || !s.months.has(at.getUTCMonth() + 1)) {
    return false;
  }
  const domOk = s.daysOfMonth.has(at.getUTCDate());
  const dowOk = s.daysOfWeek.has(at.getUTCDay());
  if (s.domRestricted && s.dowRestricted) return domOk || dowOk;
  return domOk && dowOk;
}
