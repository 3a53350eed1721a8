const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "3 min", "2 h", "2 h 15 min", "3 d" — short spans for queues and badges. */
export function shortSpan(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < MINUTE) return "less than a minute";
  if (abs < HOUR) return `${Math.round(abs / MINUTE)} min`;
  if (abs < DAY) {
    const hours = Math.floor(abs / HOUR);
    const minutes = Math.round((abs - hours * HOUR) / MINUTE);
    return minutes > 0 && hours < 10 ? `${hours} h ${minutes} min` : `${hours} h`;
  }
  return `${Math.round(abs / DAY)} d`;
}

/** An SLA due time as people say it: "due in 2 h" or "overdue 15 min". */
export function describeDue(dueAt: string, now: number): { text: string; overdue: boolean } {
  const delta = Date.parse(dueAt) - now;
  return delta >= 0
    ? { text: `due in ${shortSpan(delta)}`, overdue: false }
    : { text: `overdue ${shortSpan(delta)}`, overdue: true };
}

/** "5 min ago", "2 h ago", or a date for older things. */
export function ago(at: string, now: number): string {
  const delta = now - Date.parse(at);
  if (delta < MINUTE) return "just now";
  if (delta < DAY) return `${shortSpan(delta)} ago`;
  return formatDate(at);
}

export function formatDate(at: string): string {
  return new Date(at).toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}

export function formatDateTime(at: string): string {
  return new Date(at).toLocaleString(undefined, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
}
