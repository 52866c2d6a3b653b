/**
 * Sweeps in the panel: a field's further values, the sweep's size, and runs grouped
 * by the sweep they belong to, with a table of their parameters and metrics.
 */
import type { IParameter, JSONValue, RunOrSummary } from './api';
import { FieldInput, inputKind, readField } from './parameters';

/**
 * What separates a field's further values (commas belong to lists and objects).
 */
export const VALUE_SEPARATOR = ';';

/**
 * A field's values for a sweep, or the first problem with one of them.
 */
export type ValuesResult =
  { ok: true; values: JSONValue[] } | { ok: false; error: string };

/**
 * The non-empty pieces of a field's further values.
 *
 * @param text - The text of the "more values" input.
 * @returns Each value's text, trimmed.
 */
export function splitValues(text: string): string[] {
  return text
    .split(VALUE_SEPARATOR)
    .map(piece => piece.trim())
    .filter(piece => piece !== '');
}

/**
 * Read a field's further values alone.
 *
 * @param parameter - The parameter as the server declares it.
 * @param more - The field's further values, separated by `;`.
 * @returns The values that could be read, typed, and the first problem (naming
 * its value), if any.
 */
export function readMoreValues(
  parameter: IParameter,
  more: string
): { values: JSONValue[]; error: string | null } {
  const values: JSONValue[] = [];
  let error: string | null = null;
  for (const text of splitValues(more)) {
    const typed = asInput(parameter, text);
    const result =
      typed === null
        ? { ok: false as const, error: 'expected true or false' }
        : readField(parameter.field, typed);
    if (result.ok) {
      values.push(result.value);
    } else {
      error ??= `${text}: ${result.error}`;
    }
  }
  return { values, error };
}

/**
 * Read a field's main input and its further values as the sweep's values.
 *
 * @param parameter - The parameter as the server declares it.
 * @param input - The field's main input.
 * @param more - The field's further values, separated by `;`.
 * @returns Every value, typed, or the first problem (naming the value).
 */
export function readValues(
  parameter: IParameter,
  input: FieldInput,
  more: string
): ValuesResult {
  const first = readField(parameter.field, input);
  if (!first.ok) {
    return first;
  }
  const further = readMoreValues(parameter, more);
  return further.error === null
    ? { ok: true, values: [first.value, ...further.values] }
    : { ok: false, error: further.error };
}

/**
 * A further value typed as text, as the field's own input would hold it: a choice as
 * its JSON (a bare word is a string), a flag as checked or not (null if neither).
 */
function asInput(parameter: IParameter, text: string): FieldInput | null {
  const kind = inputKind(parameter.field);
  if (kind === 'checkbox') {
    const word = text.toLowerCase();
    return TRUE.has(word) ? true : FALSE.has(word) ? false : null;
  }
  if (kind === 'select') {
    try {
      return JSON.stringify(JSON.parse(text));
    } catch {
      return JSON.stringify(text);
    }
  }
  return text;
}

const TRUE = new Set(['true', 'yes', '1', 'on']);
const FALSE = new Set(['false', 'no', '0', 'off']);

/**
 * The runs of one sweep.
 */
export interface ISweepGroup {
  /**
   * The sweep's identifier.
   */
  sweep: string;
  /**
   * Its runs, in the order they were listed.
   */
  runs: RunOrSummary[];
}

/**
 * How many of a sweep's runs are queued, running and finished, and how many of
 * the finished did not succeed.
 *
 * @param runs - The sweep's runs recorded so far.
 * @param total - How many runs it makes: those not recorded yet count as queued.
 * @returns The counts.
 */
export function sweepCounts(
  runs: readonly RunOrSummary[],
  total: number
): { queued: number; running: number; finished: number; failed: number } {
  const running = runs.filter(run => run.status === 'running').length;
  const recordedQueued = runs.filter(run => run.status === 'queued').length;
  const finished = runs.length - running - recordedQueued;
  const failed = runs.filter(
    run => !['queued', 'running', 'succeeded'].includes(run.status)
  ).length;
  return {
    queued: Math.max(total, runs.length) - running - finished,
    running,
    finished,
    failed
  };
}

/**
 * Runs with the runs of each sweep gathered where the sweep's first run was listed.
 *
 * @param runs - Runs, newest first.
 * @returns Single runs and sweep groups, in the same order.
 */
export function groupRuns(
  runs: readonly RunOrSummary[]
): (RunOrSummary | ISweepGroup)[] {
  const groups = new Map<string, ISweepGroup>();
  const items: (RunOrSummary | ISweepGroup)[] = [];
  for (const run of runs) {
    const sweep = run.sweep_id ?? null;
    if (sweep === null) {
      items.push(run);
      continue;
    }
    let group = groups.get(sweep);
    if (!group) {
      group = { sweep, runs: [] };
      groups.set(sweep, group);
      items.push(group);
    }
    group.runs.push(run);
  }
  return items;
}

/**
 * A sweep's results: one row per run with its status, parameters and metrics.
 *
 * @param runs - The sweep's runs.
 * @returns The column names and each run's cells as text.
 */
export function resultsTable(runs: readonly RunOrSummary[]): {
  columns: string[];
  rows: string[][];
} {
  const names = keysOf(runs.map(run => run.parameters));
  const metrics = keysOf(runs.map(run => run.metrics));
  const cell = (value: unknown): string => {
    if (value === undefined) {
      return '-';
    }
    if (typeof value === 'number' && !Number.isInteger(value)) {
      return String(Number(value.toPrecision(6)));
    }
    return typeof value === 'string' ? value : JSON.stringify(value);
  };
  return {
    columns: ['status', ...names, ...metrics],
    rows: runs.map(run => [
      run.status,
      ...names.map(name => cell(run.parameters[name])),
      ...metrics.map(name => cell(run.metrics[name]))
    ])
  };
}

function keysOf(records: Record<string, unknown>[]): string[] {
  const keys = new Set<string>();
  for (const record of records) {
    Object.keys(record).forEach(key => keys.add(key));
  }
  return [...keys];
}
