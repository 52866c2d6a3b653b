/**
 * The model of the full-width runs view: the filters sent to `GET runs`, the runs
 * fetched page by page, their columns (record fields, every parameter, every
 * metric), the sort, the columns shown, the runs chosen for comparison, and polling
 * (which reads again only the newest part of the list).
 */
import { ISignal, Signal } from '@lumino/signaling';

import type { IRunList, IRunSummary, RunStatus } from './api';
import { requestAPI } from './request';
import { columnsOf, IColumn, sortRuns } from './runColumns';
import { globalTimers, isFinished, ITimers } from './runs';

/**
 * How many runs one request asks for (the API's largest page).
 */
export const PAGE_SIZE = 1000;
/**
 * The most runs the view holds; the filters narrow a larger store.
 */
export const MAX_RUNS = 20000;

/**
 * The filters of the view, as `greenhouse runs` takes them (empty: no filter).
 */
export interface IRunFilters {
  notebook?: string;
  status?: RunStatus | '';
  user?: string;
  sweep?: string;
  /**
   * A schedule's name or id: the runs its occurrences started.
   */
  schedule?: string;
  since?: string;
  /**
   * Conditions `NAME OP NUMBER` separated by commas, all of which must hold.
   */
  where?: string;
}

/**
 * The query string of `GET runs` for the filters and a page.
 *
 * @param filters - The view's filters.
 * @param offset - How many runs to skip.
 * @param limit - At most this many runs.
 * @returns The query, without its `?`.
 */
export function runsQuery(
  filters: IRunFilters,
  offset: number,
  limit: number
): string {
  const query = new URLSearchParams();
  for (const name of [
    'notebook',
    'status',
    'user',
    'sweep',
    'schedule',
    'since'
  ] as const) {
    const value = filters[name]?.trim();
    if (value) {
      query.append(name, value);
    }
  }
  for (const condition of (filters.where ?? '').split(',')) {
    if (condition.trim()) {
      query.append('where', condition.trim());
    }
  }
  query.append('offset', String(offset));
  query.append('limit', String(limit));
  return query.toString();
}

/**
 * The model behind the runs view.
 */
export class RunsViewModel {
  constructor(options: RunsViewModel.IOptions = {}) {
    this._filters = { ...options.filters };
    this._timers = options.timers ?? globalTimers;
    this._interval = options.interval ?? 0;
  }

  /**
   * Emitted whenever the runs, columns, sort, selection or error change.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get filters(): Readonly<IRunFilters> {
    return this._filters;
  }

  /**
   * The runs in the order shown.
   */
  get runs(): readonly IRunSummary[] {
    return this._sorted;
  }

  /**
   * Every column the runs have.
   */
  get columns(): readonly IColumn[] {
    return this._columns;
  }

  /**
   * The columns shown, in order.
   */
  get visibleColumns(): IColumn[] {
    return this._columns.filter(column => !this._hidden.has(column.key));
  }

  get sort(): { key: string; descending: boolean } | null {
    return this._sort;
  }

  /**
   * The ids of the runs chosen for comparison, in the order chosen.
   */
  get selection(): readonly string[] {
    return this._selection;
  }

  /**
   * The chosen runs still listed, in the order chosen.
   */
  get selectedRuns(): IRunSummary[] {
    const byId = new Map(this._runs.map(run => [run.id, run]));
    return this._selection.flatMap(id => byId.get(id) ?? []);
  }

  /**
   * Why the last load failed (null when it did not).
   */
  get error(): string | null {
    return this._error;
  }

  /**
   * Whether more runs matched than the view holds.
   */
  get capped(): boolean {
    return this._capped;
  }

  /**
   * Change the filters and list the runs again.
   */
  async setFilters(filters: IRunFilters): Promise<void> {
    this._filters = { ...filters };
    await this.load();
  }

  /**
   * List the runs the filters admit, page by page: the first page is shown as soon
   * as it arrives (the newest runs, or the first of the sort), the whole list once
   * every page has.
   */
  async load(): Promise<void> {
    const generation = ++this._generation;
    const runs = await this._fetchCurrent(this._filters, generation, first => {
      this._error = null;
      this._update(first);
    });
    if (runs === null) {
      return;
    }
    this._error = null;
    this._capped = runs.length >= MAX_RUNS;
    this._update(runs.slice(0, MAX_RUNS));
  }

  /**
   * Read again only the newest part of the list: the runs created since the oldest
   * one still queued or running (since the newest one when none is), which holds
   * every new run and every run that may have changed; the older runs are kept.
   */
  async refresh(): Promise<void> {
    const start = this.liveSince;
    if (start === null) {
      return this.load();
    }
    // A load started meanwhile answers for everything: this answer is then dropped.
    const fresh = await this._fetchCurrent(
      { ...this._filters, since: start },
      this._generation
    );
    if (fresh === null) {
      return;
    }
    const shown = this._runs.filter(run => run.created_at >= start);
    if (JSON.stringify(shown) === JSON.stringify(fresh) && !this._error) {
      return;
    }
    this._error = null;
    const older = this._runs.filter(run => run.created_at < start);
    this._update([...fresh, ...older].slice(0, MAX_RUNS));
  }

  /**
   * Where the next {@link refresh} starts reading: the creation time of the oldest
   * run listed that has not finished, else of the newest run (null: none listed).
   */
  get liveSince(): string | null {
    if (this._runs.length === 0) {
      return null;
    }
    let start = this._runs[0].created_at;
    for (const run of this._runs) {
      if (run.created_at > start) {
        start = run.created_at;
      }
    }
    for (const run of this._runs) {
      if (!isFinished(run) && run.created_at < start) {
        start = run.created_at;
      }
    }
    return start;
  }

  /**
   * {@link _fetch}, a failure shown as the view's error.
   *
   * @returns The runs, or null when the fetch failed or a newer load began meanwhile
   * (its answer then stands for everything).
   */
  private async _fetchCurrent(
    filters: IRunFilters,
    generation: number,
    onFirstPage?: (runs: IRunSummary[]) => void
  ): Promise<IRunSummary[] | null> {
    try {
      const runs = await this._fetch(filters, generation, onFirstPage);
      return generation === this._generation ? runs : null;
    } catch (error) {
      if (generation === this._generation) {
        this._error = (error as Error).message;
        this._changed.emit();
      }
      return null;
    }
  }

  /**
   * Every run the filters admit, newest first, a page at a time (at most MAX_RUNS).
   *
   * @param onFirstPage - Called with the first page when more pages follow.
   */
  private async _fetch(
    filters: IRunFilters,
    generation: number,
    onFirstPage?: (runs: IRunSummary[]) => void
  ): Promise<IRunSummary[]> {
    const runs: IRunSummary[] = [];
    for (;;) {
      const query = runsQuery(filters, runs.length, PAGE_SIZE);
      const page = await requestAPI<IRunList>(`runs?${query}`);
      if (generation !== this._generation) {
        return runs;
      }
      runs.push(...page.runs);
      if (page.runs.length < PAGE_SIZE || runs.length >= MAX_RUNS) {
        return runs;
      }
      if (runs.length === PAGE_SIZE) {
        onFirstPage?.([...runs]);
      }
    }
  }

  private _update(runs: IRunSummary[]): void {
    this._runs = runs;
    this._columns = columnsOf(this._runs);
    this._resort();
    this._changed.emit();
  }

  /**
   * Sort by a column; the same column again flips the direction.
   */
  sortBy(key: string, descending?: boolean): void {
    const flip = this._sort?.key === key && !this._sort.descending;
    this._sort = { key, descending: descending ?? flip };
    this._resort();
    this._changed.emit();
  }

  /**
   * Show or hide a column.
   */
  setColumnVisible(key: string, visible: boolean): void {
    if (visible) {
      this._hidden.delete(key);
    } else {
      this._hidden.add(key);
    }
    this._changed.emit();
  }

  /**
   * Choose a run for comparison, or unchoose it.
   */
  toggleSelected(id: string): void {
    const index = this._selection.indexOf(id);
    this._selection =
      index < 0
        ? [...this._selection, id]
        : this._selection.filter(chosen => chosen !== id);
    this._changed.emit();
  }

  clearSelection(): void {
    this._selection = [];
    this._changed.emit();
  }

  /**
   * Read the newest runs again every `interval` ms (see {@link refresh}), so that
   * new runs appear and running ones change.
   */
  startPolling(): void {
    if (this._interval > 0 && this._poll === null) {
      this._schedule();
    }
  }

  stopPolling(): void {
    if (this._poll !== null) {
      this._timers.clearTimeout(this._poll);
      this._poll = null;
    }
  }

  private _schedule(): void {
    this._poll = this._timers.setTimeout(() => {
      void this.refresh().then(() => {
        if (this._poll !== null) {
          this._schedule();
        }
      });
    }, this._interval);
  }

  private _resort(): void {
    const sort = this._sort;
    this._sorted = sort
      ? sortRuns(this._runs, sort.key, sort.descending)
      : [...this._runs];
  }

  private _changed = new Signal<this, void>(this);
  private _filters: IRunFilters;
  private _runs: IRunSummary[] = [];
  private _sorted: IRunSummary[] = [];
  private _columns: IColumn[] = columnsOf([]);
  private _hidden = new Set<string>();
  private _sort: { key: string; descending: boolean } | null = null;
  private _selection: string[] = [];
  private _error: string | null = null;
  private _capped = false;
  private _generation = 0;
  private _timers: ITimers;
  private _interval: number;
  private _poll: unknown = null;
}

/**
 * The runs view model's namespace.
 */
export namespace RunsViewModel {
  export interface IOptions {
    /**
     * The filters at first (default none: the whole store).
     */
    filters?: IRunFilters;
    /**
     * How often to read the newest runs again while polling, in ms (0: never).
     */
    interval?: number;
    timers?: ITimers;
  }
}
