/**
 * The columns of a table of runs (record fields, every parameter, every metric),
 * their values and text, and sorting by any of them.
 */
import type { IRunSummary } from './api';

/**
 * Where a column's values come from.
 */
export type ColumnKind = 'record' | 'parameter' | 'metric';

/**
 * One column of the runs table.
 */
export interface IColumn {
  /**
   * Unique among the columns: `id`, `status`, `created`, `duration`, `user`, or
   * `parameters.NAME` / `metrics.NAME`.
   */
  key: string;
  /**
   * The header: the field's or the parameter's or metric's name.
   */
  label: string;
  kind: ColumnKind;
  /**
   * Whether every value present is a number (right-aligned, sorted as numbers).
   */
  numeric: boolean;
}

/**
 * The columns every run has, named by their keys.
 */
const RECORD_COLUMNS: IColumn[] = (
  ['id', 'status', 'created', 'duration', 'user'] as const
).map(key => ({
  key,
  label: key,
  kind: 'record',
  numeric: key === 'duration'
}));

/**
 * The columns of the runs: the record's, then every parameter, then every metric,
 * each in the order first met.
 *
 * @param runs - The runs listed.
 * @returns The columns.
 */
export function columnsOf(runs: readonly IRunSummary[]): IColumn[] {
  const found = new Map<string, IColumn>();
  for (const kind of ['parameter', 'metric'] as const) {
    const group = kind === 'parameter' ? 'parameters' : 'metrics';
    for (const run of runs) {
      for (const [name, value] of Object.entries(run[group])) {
        const key = `${group}.${name}`;
        const column = found.get(key);
        const numeric = value === null || typeof value === 'number';
        if (column) {
          column.numeric &&= numeric;
        } else {
          found.set(key, { key, label: name, kind, numeric });
        }
      }
    }
  }
  return [...RECORD_COLUMNS, ...found.values()];
}

/**
 * The value of a run in a column (`undefined` when it has none).
 *
 * @param run - The run.
 * @param key - The column's key.
 * @returns The raw value: a number, a string, or any JSON value.
 */
export function cellValue(run: IRunSummary, key: string): unknown {
  switch (key) {
    case 'id':
      return run.id;
    case 'status':
      return run.status;
    case 'created':
      return run.created_at;
    case 'duration':
      return run.duration_s ?? undefined;
    case 'user':
      return run.user ?? undefined;
  }
  const dot = key.indexOf('.');
  const group = key.slice(0, dot);
  const name = key.slice(dot + 1);
  if (group === 'parameters') {
    return run.parameters[name];
  }
  return group === 'metrics' ? run.metrics[name] : undefined;
}

/**
 * A value as the table shows it.
 *
 * @param value - A cell's value.
 * @returns Its text: numbers to 6 significant digits, times without their zone.
 */
export function cellText(value: unknown): string {
  if (value === undefined || value === null) {
    return '';
  }
  if (typeof value === 'number') {
    return Number.isInteger(value)
      ? String(value)
      : String(+value.toPrecision(6));
  }
  if (typeof value === 'string') {
    return value;
  }
  return JSON.stringify(value);
}

/**
 * The runs sorted by a column; runs without a value come last either way.
 *
 * @param runs - The runs.
 * @param key - The column's key.
 * @param descending - Largest first.
 * @returns A sorted copy.
 */
export function sortRuns(
  runs: readonly IRunSummary[],
  key: string,
  descending: boolean
): IRunSummary[] {
  const present = runs.filter(run => !isMissing(cellValue(run, key)));
  const absent = runs.filter(run => isMissing(cellValue(run, key)));
  const sign = descending ? -1 : 1;
  present.sort((a, b) => sign * compare(cellValue(a, key), cellValue(b, key)));
  return [...present, ...absent];
}

function isMissing(value: unknown): boolean {
  return value === undefined || value === null;
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') {
    return a - b;
  }
  if (typeof a === 'number' || typeof b === 'number') {
    // Numbers before anything else, as one column may mix them.
    return typeof a === 'number' ? -1 : 1;
  }
  return cellText(a).localeCompare(cellText(b));
}
