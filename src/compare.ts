/**
 * Comparing many runs side by side: one row a parameter or metric, one column a run,
 * rows whose values are not all the same marked as differing.
 */
import type { IRunSummary } from './api';
import { cellText } from './runColumns';

/**
 * One row of the comparison.
 */
export interface ICompareRow {
  group: 'parameters' | 'metrics';
  name: string;
  /**
   * The value of each run, as shown ('' when the run has none).
   */
  values: string[];
  /**
   * Whether the runs' values are not all the same.
   */
  differs: boolean;
}

/**
 * The comparison of runs: every parameter, then every metric, each in the order first met.
 *
 * @param runs - The runs, in the order of the columns.
 * @returns The rows.
 */
export function compareRows(runs: readonly IRunSummary[]): ICompareRow[] {
  const rows: ICompareRow[] = [];
  for (const group of ['parameters', 'metrics'] as const) {
    const names: string[] = [];
    for (const run of runs) {
      for (const name of Object.keys(run[group])) {
        if (!names.includes(name)) {
          names.push(name);
        }
      }
    }
    for (const name of names) {
      const values = runs.map(run =>
        name in run[group] ? cellText(run[group][name]) || 'None' : ''
      );
      rows.push({ group, name, values, differs: new Set(values).size > 1 });
    }
  }
  return rows;
}

/**
 * Every pair of the runs, for the two-run diff.
 *
 * @param ids - The runs chosen, in order.
 * @returns Each pair once, earlier run first.
 */
export function pairs(ids: readonly string[]): [string, string][] {
  return ids.flatMap((a, i) =>
    ids.slice(i + 1).map(b => [a, b] as [string, string])
  );
}
