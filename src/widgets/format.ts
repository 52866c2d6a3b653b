/**
 * How the widgets write times, durations and values for people.
 */
/**
 * A timestamp in the reader's locale, or a dash.
 *
 * @param iso - An ISO 8601 timestamp, or null.
 * @returns The local date and time.
 */
export function formatTime(iso: string | null): string {
  return formatDate(iso, date => date.toLocaleString());
}

/**
 * A timestamp in UTC to the minute, such as `2026-12-06 02:00 UTC`, or a dash.
 *
 * @param iso - An ISO 8601 timestamp, or null.
 * @returns The date and time in UTC; the text itself when it is not a timestamp.
 */
export function formatUtc(iso: string | null): string {
  return formatDate(
    iso,
    date => `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`
  );
}

/**
 * A timestamp written by `show`, a dash for none, the text itself for no timestamp.
 */
function formatDate(iso: string | null, show: (date: Date) => string): string {
  if (!iso) {
    return '–';
  }
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : show(date);
}

/**
 * A duration such as `4.2 s`, `3 min 5 s` or `2 h 10 min`.
 *
 * @param seconds - The duration in seconds, or null.
 * @returns The duration in words, or a dash.
 */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) {
    return '–';
  }
  if (seconds < 60) {
    return `${seconds.toFixed(1)} s`;
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return `${minutes} min ${Math.round(seconds % 60)} s`;
  }
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/**
 * A value shown compactly: numbers to 4 significant digits, JSON cut to 60 characters.
 *
 * @param value - A parameter or metric value.
 * @returns Its short text.
 */
export function formatValue(value: unknown): string {
  if (value === undefined || value === null) {
    return 'None';
  }
  if (typeof value === 'number') {
    return Number.isInteger(value)
      ? String(value)
      : String(Number(value.toPrecision(4)));
  }
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
