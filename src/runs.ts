/**
 * Run records over time: whether a run has finished, and the polling that follows
 * each running run until it has.
 */
import { IDisposable } from '@lumino/disposable';

import type { IParameter, IRun, RunOrSummary, RunStatus } from './api';
import { sameValue } from './parameters';
import { GreenhouseRequestError, requestAPI } from './request';

/**
 * The statuses after which a run never changes again.
 */
export const FINISHED_STATUSES: ReadonlySet<RunStatus> = new Set([
  'succeeded',
  'failed',
  'cancelled',
  'interrupted'
]);

/**
 * Whether a run has finished (and so needs no more polling).
 *
 * @param run - A run record.
 * @returns True for succeeded, failed, cancelled and interrupted runs.
 */
export function isFinished(run: RunOrSummary): boolean {
  return FINISHED_STATUSES.has(run.status);
}

/**
 * One parameter of a run as its card lists it.
 */
export interface IRunParameter {
  /**
   * The parameter's name.
   */
  name: string;
  /**
   * The value the run had: the one it was given, else the declared default.
   */
  value: unknown;
  /**
   * Whether the run was given a value other than the declared default.
   */
  changed: boolean;
}

/**
 * Every parameter of a run, in the order of the parameters cell, whatever the run
 * was given: the panel sends only the values changed, a widget sends them all, and
 * a stored record's keys come back sorted.
 *
 * @param run - A run record.
 * @param declared - The notebook's parameters as its parameters cell declares them,
 * if known; names the run was given and the cell no longer declares come last.
 * @returns Each parameter's value and whether it was changed from the default.
 */
export function runParameters(
  run: RunOrSummary,
  declared: readonly IParameter[] = []
): IRunParameter[] {
  const given = run.parameters as Record<string, unknown>;
  const listed = declared.map(parameter => {
    const isGiven = Object.prototype.hasOwnProperty.call(given, parameter.name);
    const value = isGiven ? given[parameter.name] : parameter.default;
    return {
      name: parameter.name,
      value,
      changed: isGiven && !sameValue(value, parameter.default)
    };
  });
  const names = new Set(declared.map(parameter => parameter.name));
  const others = Object.entries(given)
    .filter(([name]) => !names.has(name))
    .map(([name, value]) => ({ name, value, changed: true }));
  return [...listed, ...others];
}

/**
 * The timer functions polling uses (the global ones by default; fakes in tests).
 */
export interface ITimers {
  /**
   * Call `callback` once after `ms` milliseconds.
   */
  setTimeout(callback: () => void, ms: number): unknown;
  /**
   * Cancel a call scheduled by `setTimeout`.
   */
  clearTimeout(handle: unknown): void;
}

/**
 * The page's own timers.
 */
export const globalTimers: ITimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: handle => clearTimeout(handle as ReturnType<typeof setTimeout>)
};

/**
 * Polls `GET runs/{id}` for each run it watches, one timer per run, until the run
 * finishes, the server no longer knows it, or too many polls fail in a row.
 */
export class RunPoller implements IDisposable {
  /**
   * Create a poller watching nothing.
   *
   * @param options - The interval, timers, failure limit and callbacks.
   */
  constructor(private _options: RunPoller.IOptions) {}

  /**
   * Whether the poller has been disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * How many runs have a poll scheduled.
   */
  get watching(): number {
    return this._handles.size;
  }

  /**
   * Poll a run from the next interval on; nothing if it is already polled.
   *
   * @param id - The run's id.
   */
  watch(id: string): void {
    if (this._isDisposed || this._handles.has(id)) {
      return;
    }
    const generation = this._generation;
    const handle = this._options.timers.setTimeout(() => {
      this._handles.delete(id);
      void this._poll(id, generation);
    }, this._options.interval);
    this._handles.set(id, handle);
  }

  /**
   * Stop every poll; answers already on their way are dropped.
   */
  stopAll(): void {
    for (const handle of this._handles.values()) {
      this._options.timers.clearTimeout(handle);
    }
    this._handles.clear();
    this._failures.clear();
    this._generation++;
  }

  /**
   * Stop polling for good.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this.stopAll();
  }

  private async _poll(id: string, generation: number): Promise<void> {
    let again: boolean;
    try {
      const run = await requestAPI<IRun>(`runs/${encodeURIComponent(id)}`);
      if (generation !== this._generation) {
        return;
      }
      await this._options.onRun(run);
      this._failures.delete(id);
      again = !isFinished(run);
    } catch (error) {
      if (generation !== this._generation) {
        return;
      }
      const failures = (this._failures.get(id) ?? 0) + 1;
      this._failures.set(id, failures);
      this._options.onError(error);
      const gone =
        error instanceof GreenhouseRequestError && error.status === 404;
      again = !gone && failures < this._options.maxFailures;
    }
    if (again && generation === this._generation) {
      this.watch(id);
    }
  }

  private _isDisposed = false;
  private _generation = 0;
  private _handles = new Map<string, unknown>();
  private _failures = new Map<string, number>();
}

/**
 * Types of the run poller.
 */
export namespace RunPoller {
  /**
   * Options of a run poller.
   */
  export interface IOptions {
    /**
     * Milliseconds between two polls of a run.
     */
    interval: number;
    /**
     * The timers to schedule polls with.
     */
    timers: ITimers;
    /**
     * Failed polls in a row after which a run is no longer polled.
     */
    maxFailures: number;
    /**
     * Called with each record polled; a rejection counts as a failed poll.
     */
    onRun: (run: IRun) => Promise<void> | void;
    /**
     * Called with each failure.
     */
    onError: (error: unknown) => void;
  }
}
