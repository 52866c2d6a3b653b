/**
 * The run history of the notebook in focus, without any DOM: its runs (listed again
 * on an interval, each polled while it runs), their log tails, the sweeps being
 * followed, and the two runs chosen for a diff.
 */
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import type {
  IDiffResult,
  ILogChunk,
  IRun,
  IRunList,
  IRunSummary,
  ISweep,
  RunOrSummary
} from './api';
import { messageOf } from './errors';
import { requestAPI } from './request';
import { globalTimers, isFinished, ITimers, RunPoller } from './runs';

/**
 * How many runs of a sweep one request asks for: the most the server answers.
 */
const SWEEP_PAGE_LIMIT = 1000;

/**
 * The runs of one notebook and what the sidebar shows of them.
 */
export class HistoryModel implements IDisposable {
  /**
   * Create a history of no notebook.
   *
   * @param options - Polling interval, timers and limits (all optional).
   */
  constructor(options: HistoryModel.IOptions = {}) {
    this._historyLimit = options.historyLimit ?? 50;
    this._logLimit = options.logLimit ?? 20000;
    this._interval = options.pollInterval ?? 1000;
    this._historyInterval = options.historyInterval ?? 0;
    this._timers = options.timers ?? globalTimers;
    this._poller = new RunPoller({
      interval: this._interval,
      timers: this._timers,
      maxFailures: options.maxPollFailures ?? 3,
      onRun: run => {
        this.put(run);
        return this.loadLog(run.id);
      },
      onError: error => this._report(error)
    });
  }

  /**
   * Emitted with the part of the history that changed.
   */
  get changed(): ISignal<this, HistoryModel.Part> {
    return this._changed;
  }

  /**
   * The notebook's runs, newest first.
   */
  get runs(): readonly RunOrSummary[] {
    return this._runs;
  }

  /**
   * The sweeps started from this sidebar that are still running, with how many
   * runs each makes (its runs join {@link runs} as its process records them).
   */
  get startedSweeps(): ReadonlyMap<string, number> {
    return this._startedSweeps;
  }

  /**
   * The ids of the runs chosen for a diff, oldest choice first (at most two).
   */
  get selection(): readonly string[] {
    return this._selection;
  }

  /**
   * The last error met while working in the background (polling, listing).
   */
  get lastError(): string | null {
    return this._lastError;
  }

  /**
   * Whether the history has been disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Follow another notebook, without a signal: stop polling, forget the runs and the
   * choice, and list its runs again on the interval from now on.
   *
   * @param path - The notebook's path relative to the server's root, or null.
   */
  show(path: string | null): void {
    this._poller.stopAll();
    this._epoch++;
    this._notebook = path;
    this._runs = [];
    this._selection = [];
    this._dropped = null;
    this._startedSweeps.clear();
    this._scheduleHistory(this._epoch);
  }

  /**
   * List the notebook's runs, and poll those still running.
   *
   * @returns A promise settled once they are listed (a failure is kept in
   * {@link lastError}).
   */
  async load(): Promise<void> {
    if (this._notebook !== null) {
      await this._loadRuns(this._notebook, this._epoch);
    }
  }

  /**
   * Show a run in the history, replacing its older record if it is there.
   *
   * @param run - The run's record, or its summary.
   */
  put(run: RunOrSummary): void {
    const index = this._runs.findIndex(item => item.id === run.id);
    if (index >= 0) {
      this._runs = this._runs.map(item => (item.id === run.id ? run : item));
    } else {
      this._runs = [run, ...this._runs];
    }
    this._changed.emit('runs');
  }

  /**
   * Show a run just started and poll it until it finishes.
   *
   * @param run - The new run's record.
   */
  add(run: IRun): void {
    this.put(run);
    this._poller.watch(run.id);
  }

  /**
   * Poll a sweep until its process ends, adding its runs to the history as they come.
   *
   * @param id - The sweep's id.
   * @param size - How many runs it makes, when it was just started here: it is
   * listed in {@link startedSweeps} until its process ends.
   */
  watchSweep(id: string, size?: number): void {
    if (size !== undefined) {
      this._startedSweeps.set(id, size);
      this._changed.emit('runs');
    }
    const handle = this._timers.setTimeout(async () => {
      this._sweepPolls.delete(id);
      try {
        const sweep = await this._readSweep(id);
        if (this._isDisposed) {
          return;
        }
        sweep.runs.forEach(run => this.put(run));
        if (sweep.active) {
          this.watchSweep(id);
        } else if (this._startedSweeps.delete(id)) {
          this._changed.emit('runs');
        }
      } catch (error) {
        if (!this._isDisposed) {
          this._report(error);
        }
      }
    }, this._interval);
    this._sweepPolls.set(id, handle);
  }

  /**
   * Every run of a sweep so far, read a page at a time, and whether it is running.
   *
   * A run that finishes late is listed by when it started, so every poll reads the
   * pages from the first.
   *
   * @param id - The sweep's id.
   */
  private async _readSweep(
    id: string
  ): Promise<{ active: boolean; runs: IRunSummary[] }> {
    const runs: IRunSummary[] = [];
    let page: ISweep;
    do {
      page = await requestAPI<ISweep>(
        `sweeps/${encodeURIComponent(id)}?offset=${runs.length}&limit=${SWEEP_PAGE_LIMIT}`
      );
      runs.push(...page.runs);
    } while (page.runs.length > 0 && runs.length < page.total);
    return { active: page.active, runs };
  }

  /**
   * Ask the server to cancel a run.
   *
   * @param id - The run's id.
   * @returns The run as the server answered.
   */
  async cancel(id: string): Promise<IRun> {
    const run = await requestAPI<IRun>(
      `runs/${encodeURIComponent(id)}/cancel`,
      {
        method: 'POST'
      }
    );
    this.put(run);
    return run;
  }

  /**
   * The tail of a run's log fetched so far.
   *
   * @param id - The run's id.
   * @returns The text (empty until fetched).
   */
  log(id: string): string {
    return this._logs.get(id)?.text ?? '';
  }

  /**
   * Fetch what a run has logged since the last fetch.
   *
   * @param id - The run's id.
   */
  async loadLog(id: string): Promise<void> {
    const known = this._logs.get(id) ?? { text: '', offset: 0 };
    const chunk = await requestAPI<ILogChunk>(
      `runs/${encodeURIComponent(id)}/log?offset=${known.offset}`
    );
    if (this._isDisposed) {
      return;
    }
    const text = (known.text + chunk.text).slice(-this._logLimit);
    this._logs.set(id, { text, offset: chunk.offset });
    if (chunk.text) {
      this._changed.emit('log');
    }
  }

  /**
   * Choose a run for a diff, or unchoose it; a third choice drops the oldest.
   *
   * @param id - The run's id.
   */
  toggleSelected(id: string): void {
    this._dropped = null;
    if (this._selection.includes(id)) {
      this._selection = this._selection.filter(item => item !== id);
    } else {
      const chosen = [...this._selection, id];
      this._dropped = chosen.length > 2 ? chosen[0] : null;
      this._selection = chosen.slice(-2);
    }
    this._changed.emit('selection');
  }

  /**
   * The run the last choice unchose (a third choice drops the oldest), or null.
   */
  get dropped(): string | null {
    return this._dropped;
  }

  /**
   * Compare two references (run ids, `NAME@N`, `NAME@ALIAS`, `NAME`, or paths).
   *
   * @param a - The reference shown on the left; default: the older chosen run.
   * @param b - The reference shown on the right; default: the newer chosen run.
   * @returns The server's diff.
   */
  async diff(a?: string, b?: string): Promise<IDiffResult> {
    if (a === undefined || b === undefined) {
      [a, b] = this._chosenPair();
    }
    const query = new URLSearchParams({ a, b });
    return requestAPI<IDiffResult>(`diff?${query}`);
  }

  /**
   * Forget the last background error.
   */
  clearError(): void {
    this._lastError = null;
    this._changed.emit('error');
  }

  /**
   * Stop polling and listing, for good.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._poller.dispose();
    if (this._historyPoll !== null) {
      this._timers.clearTimeout(this._historyPoll);
      this._historyPoll = null;
    }
    for (const handle of this._sweepPolls.values()) {
      this._timers.clearTimeout(handle);
    }
    this._sweepPolls.clear();
    Signal.clearData(this);
  }

  private async _loadRuns(
    path: string,
    epoch: number,
    quiet = false
  ): Promise<void> {
    try {
      const query = new URLSearchParams({
        notebook: path,
        limit: String(this._historyLimit)
      });
      const answer = await requestAPI<IRunList>(`runs?${query}`);
      if (epoch !== this._epoch || this._isDisposed) {
        return;
      }
      const known = new Set(answer.runs.map(run => run.id));
      const newest = answer.runs[0]?.created_at ?? '';
      // A run started while the list was on its way is kept; older ones beyond the
      // list's limit are let go.
      const runs = [
        ...this._runs.filter(
          run => !known.has(run.id) && run.created_at >= newest
        ),
        ...answer.runs
      ];
      if (quiet && JSON.stringify(runs) === JSON.stringify(this._runs)) {
        return;
      }
      this._runs = runs;
      this._changed.emit('runs');
      for (const run of answer.runs.filter(item => !isFinished(item))) {
        this._poller.watch(run.id);
      }
    } catch (error) {
      if (!quiet && epoch === this._epoch && !this._isDisposed) {
        this._report(error);
      }
    }
  }

  /**
   * List the notebook's runs again every `historyInterval` ms, so that runs started
   * elsewhere (the CLI, a sweep, a teammate on a shared store) show up; quietly, and
   * only while this notebook is in focus.
   */
  private _scheduleHistory(epoch: number): void {
    if (this._historyPoll !== null) {
      this._timers.clearTimeout(this._historyPoll);
      this._historyPoll = null;
    }
    const path = this._notebook;
    if (this._historyInterval <= 0 || path === null || this._isDisposed) {
      return;
    }
    this._historyPoll = this._timers.setTimeout(async () => {
      this._historyPoll = null;
      await this._loadRuns(path, epoch, true);
      if (epoch === this._epoch) {
        this._scheduleHistory(epoch);
      }
    }, this._historyInterval);
  }

  private _chosenPair(): [string, string] {
    if (this._selection.length !== 2) {
      throw new Error('Choose two runs to compare.');
    }
    const created = (id: string) =>
      this._runs.find(run => run.id === id)?.created_at ?? '';
    const [first, second] = this._selection;
    return created(first) <= created(second)
      ? [first, second]
      : [second, first];
  }

  private _report(error: unknown): void {
    this._lastError = messageOf(error);
    this._changed.emit('error');
  }

  private _changed = new Signal<this, HistoryModel.Part>(this);
  private _poller: RunPoller;
  private _interval: number;
  private _historyInterval: number;
  private _historyPoll: unknown = null;
  private _timers: ITimers;
  private _sweepPolls = new Map<string, unknown>();
  private _startedSweeps = new Map<string, number>();
  private _historyLimit: number;
  private _logLimit: number;
  private _isDisposed = false;
  private _epoch = 0;
  private _notebook: string | null = null;
  private _runs: RunOrSummary[] = [];
  private _selection: string[] = [];
  private _dropped: string | null = null;
  private _logs = new Map<string, { text: string; offset: number }>();
  private _lastError: string | null = null;
}

/**
 * Types of the history model.
 */
export namespace HistoryModel {
  /**
   * The part of the history a change signal is about.
   */
  export type Part = 'runs' | 'log' | 'selection' | 'error';

  /**
   * Options of a history.
   */
  export interface IOptions {
    /**
     * Milliseconds between two polls of a running run (default 1000).
     */
    pollInterval?: number;
    /**
     * Milliseconds between two listings of the notebook's runs, which show the runs
     * started elsewhere (default 0: listed only on focus and refresh).
     */
    historyInterval?: number;
    /**
     * The timers polling uses (default: the page's).
     */
    timers?: ITimers;
    /**
     * How many runs of the notebook the history lists (default 50).
     */
    historyLimit?: number;
    /**
     * How many characters of a run's log are kept (default 20000).
     */
    logLimit?: number;
    /**
     * Failed polls in a row after which a run is no longer polled (default 3).
     */
    maxPollFailures?: number;
  }
}
