/**
 * The sidebar's state and its calls to the greenhouse API, without any DOM: the
 * notebook in focus, its parameter form, its runs (polled while they run), the runs
 * chosen for a diff, and (through {@link ArtefactsModel}) the published artefacts.
 */
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import type {
  ICreateRun,
  ICreateSweep,
  IDiffResult,
  ILogChunk,
  IParameter,
  IParameterSet,
  IRun,
  IRunList,
  IStartedSweep,
  ISweep,
  JSONValue
} from './api';
import { ArtefactsModel } from './artefacts';
import { messageOf } from './errors';
import {
  FieldInput,
  fieldKind,
  FieldKind,
  initialInput,
  readField,
  sameValue
} from './parameters';
import { GreenhouseRequestError, requestAPI } from './request';
import { globalTimers, isFinished, ITimers, RunPoller } from './runs';
import { readValues, splitValues } from './sweeps';

/**
 * The parameter form holds values that cannot be sent; nothing was sent.
 */
export class InvalidFormError extends Error {
  /**
   * Create the error.
   *
   * @param problems - `name: problem` for each invalid field.
   */
  constructor(readonly problems: string[]) {
    super(`Some parameter values are not valid:\n${problems.join('\n')}`);
    this.name = 'InvalidFormError';
  }
}

/**
 * The state and API calls behind the greenhouse sidebar.
 */
export class GreenhouseModel implements IDisposable {
  /**
   * Create a model with no notebook.
   *
   * @param options - Polling interval, timers and limits (all optional).
   */
  constructor(options: GreenhouseModel.IOptions = {}) {
    this._historyLimit = options.historyLimit ?? 50;
    this._logLimit = options.logLimit ?? 20000;
    this._interval = options.pollInterval ?? 1000;
    this._historyInterval = options.historyInterval ?? 0;
    this._timers = options.timers ?? globalTimers;
    this.artefacts = new ArtefactsModel({
      timers: options.timers,
      pollMs: options.pollInterval
    });
    this._poller = new RunPoller({
      interval: this._interval,
      timers: this._timers,
      maxFailures: options.maxPollFailures ?? 3,
      onRun: run => {
        this._put(run);
        return this.loadLog(run.id);
      },
      onError: error => this._report(error)
    });
  }

  /**
   * Emitted with the part of the state that changed.
   */
  get changed(): ISignal<this, GreenhouseModel.Part> {
    return this._changed;
  }

  /**
   * The notebook in focus (its path relative to the server's root), or null.
   */
  get notebook(): string | null {
    return this._notebook;
  }

  /**
   * The notebook's parameters, once loaded.
   */
  get parameterSet(): IParameterSet | null {
    return this._parameterSet;
  }

  /**
   * Why the parameters could not be loaded, if they could not.
   */
  get parametersError(): string | null {
    return this._parametersError;
  }

  /**
   * Problems the server found with the last values sent that name no one field.
   */
  get formProblems(): readonly string[] {
    return this._formProblems;
  }

  /**
   * The notebook's runs, newest first.
   */
  get runs(): readonly IRun[] {
    return this._runs;
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
   * Whether the model has been disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * The published artefacts, disposed with this model.
   */
  readonly artefacts: ArtefactsModel;

  /**
   * Show another notebook: load its parameters and runs, and poll its running runs.
   *
   * @param path - The notebook's path relative to the server's root, or null.
   * @returns A promise settled once both are loaded (errors are kept in the state).
   */
  async setNotebook(path: string | null): Promise<void> {
    if (path === this._notebook) {
      return;
    }
    this._poller.stopAll();
    const epoch = ++this._epoch;
    this._notebook = path;
    this._parameterSet = null;
    this._parametersError = null;
    this._inputs.clear();
    this._initial.clear();
    this._fieldErrors.clear();
    this._formProblems = [];
    this._runs = [];
    this._selection = [];
    this._changed.emit('notebook');
    this._scheduleHistory(epoch);
    if (path !== null) {
      await Promise.all([
        this._loadParameters(path, epoch),
        this._loadRuns(path, epoch)
      ]);
    }
  }

  /**
   * Load the current notebook's parameters and runs again.
   *
   * @returns A promise settled once both are loaded.
   */
  async refresh(): Promise<void> {
    const path = this._notebook;
    if (path !== null) {
      await Promise.all([
        this._loadParameters(path, this._epoch),
        this._loadRuns(path, this._epoch)
      ]);
    }
  }

  /**
   * The state of one field of the parameter form.
   *
   * @param name - The parameter's name.
   * @returns Its declaration, input kind, current input and problem, or null.
   */
  field(name: string): GreenhouseModel.IField | null {
    const parameter = this._parameterSet?.parameters.find(p => p.name === name);
    if (!parameter) {
      return null;
    }
    return {
      parameter,
      kind: fieldKind(parameter),
      input: this._inputs.get(name) ?? initialInput(parameter),
      error: this._fieldErrors.get(name) ?? null
    };
  }

  /**
   * Change a field's input and check it at once.
   *
   * @param name - The parameter's name.
   * @param input - The field's checked state or text.
   */
  setInput(name: string, input: FieldInput): void {
    const field = this.field(name);
    if (!field) {
      return;
    }
    this._inputs.set(name, input);
    const result = readField(field.parameter, input);
    if (result.ok) {
      this._fieldErrors.delete(name);
    } else {
      this._fieldErrors.set(name, result.error);
    }
    this._changed.emit('form');
  }

  /**
   * A field's further values for a sweep: text separated by `;`.
   *
   * @param name - The parameter's name.
   */
  moreValues(name: string): string {
    return this._more.get(name) ?? '';
  }

  /**
   * Change a field's further values for a sweep and check them at once.
   *
   * @param name - The parameter's name.
   * @param text - Values separated by `;`, each read as the field's input is.
   */
  setMoreValues(name: string, text: string): void {
    const field = this.field(name);
    if (!field) {
      return;
    }
    this._more.set(name, text);
    const result = readValues(field.parameter, field.input, text);
    if (result.ok) {
      this._fieldErrors.delete(name);
    } else {
      this._fieldErrors.set(name, result.error);
    }
    this._changed.emit('form');
  }

  /**
   * How many runs a sweep of the form makes: the product of each field's count of
   * values (1 when no field has further values).
   */
  get sweepSize(): number {
    let size = 1;
    for (const text of this._more.values()) {
      size *= 1 + splitValues(text).length;
    }
    return size;
  }

  /**
   * Start a sweep: every combination of the fields' values, each an ordinary run.
   *
   * @returns The started sweep; its runs join the history as they finish.
   * @throws {InvalidFormError} When a value is invalid (nothing is sent).
   * @throws {GreenhouseRequestError} When the server refuses.
   */
  async sweep(): Promise<IStartedSweep> {
    const notebook = this._requireNotebook();
    const { values, errors } = this.validate();
    const parameters: Record<string, JSONValue[]> = {};
    for (const [name, value] of Object.entries(values)) {
      parameters[name] = [value];
    }
    for (const [name, text] of this._more) {
      const field = this.field(name);
      if (!field || splitValues(text).length === 0) {
        continue;
      }
      const result = readValues(field.parameter, field.input, text);
      if (result.ok) {
        parameters[name] = result.values;
      } else {
        errors[name] = result.error;
      }
    }
    const invalid = Object.entries(errors);
    if (invalid.length > 0) {
      this._fieldErrors = new Map(invalid);
      this._changed.emit('form');
      throw new InvalidFormError(
        invalid.map(([name, error]) => `${name}: ${error}`)
      );
    }
    this._formProblems = [];
    const request: ICreateSweep = { notebook, parameters };
    const started = await this._postForm<IStartedSweep>('sweeps', request);
    this._changed.emit('form');
    this._watchSweep(started.id);
    return started;
  }

  /**
   * Put every field back to the notebook's default.
   */
  resetForm(): void {
    this._more.clear();
    this._inputs.clear();
    this._fieldErrors.clear();
    this._formProblems = [];
    this._changed.emit('form');
  }

  /**
   * Read the whole form.
   *
   * @returns The typed values of the fields changed from their defaults, and the
   * problem of each invalid field.
   */
  validate(): GreenhouseModel.IValidation {
    const values: Record<string, JSONValue> = {};
    const errors: Record<string, string> = {};
    for (const parameter of this._parameterSet?.parameters ?? []) {
      const input = this._inputs.get(parameter.name);
      if (input === undefined || input === this._initial.get(parameter.name)) {
        continue;
      }
      const result = readField(parameter, input);
      if (!result.ok) {
        errors[parameter.name] = result.error;
      } else if (!sameValue(result.value, parameter.default)) {
        values[parameter.name] = result.value;
      }
    }
    return { values, errors };
  }

  /**
   * Start a run of the notebook with the form's values.
   *
   * @returns The new run, already in the history and polled until it finishes.
   * @throws {InvalidFormError} When a field is invalid (nothing is sent).
   * @throws {GreenhouseRequestError} When the server refuses; a 400's problems
   * are also shown on the fields they name.
   */
  async run(): Promise<IRun> {
    const notebook = this._requireNotebook();
    const { values, errors } = this.validate();
    const invalid = Object.entries(errors);
    if (invalid.length > 0) {
      this._fieldErrors = new Map(invalid);
      this._changed.emit('form');
      throw new InvalidFormError(
        invalid.map(([name, error]) => `${name}: ${error}`)
      );
    }
    this._fieldErrors.clear();
    this._formProblems = [];
    const request: ICreateRun = { notebook, parameters: values };
    const run = await this._postForm<IRun>('runs', request);
    this._changed.emit('form');
    this._put(run);
    this._poller.watch(run.id);
    return run;
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
    this._put(run);
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
    if (this._selection.includes(id)) {
      this._selection = this._selection.filter(item => item !== id);
    } else {
      this._selection = [...this._selection, id].slice(-2);
    }
    this._changed.emit('selection');
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
   * POST the form's request; a 400 shows its problems on the fields before it is thrown.
   */
  private async _postForm<T>(
    route: string,
    request: ICreateRun | ICreateSweep
  ): Promise<T> {
    try {
      return await requestAPI<T>(route, {
        method: 'POST',
        body: JSON.stringify(request)
      });
    } catch (error) {
      if (error instanceof GreenhouseRequestError && error.status === 400) {
        this._showProblems(error);
      }
      throw error;
    }
  }

  /**
   * Stop polling and release the model's resources.
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
    this.artefacts.dispose();
    Signal.clearData(this);
  }

  private async _loadParameters(path: string, epoch: number): Promise<void> {
    try {
      const query = new URLSearchParams({ path });
      const set = await requestAPI<IParameterSet>(`parameters?${query}`);
      if (epoch !== this._epoch || this._isDisposed) {
        return;
      }
      this._parameterSet = set;
      this._parametersError = null;
      this._initial = new Map(
        set.parameters.map(p => [p.name, initialInput(p)])
      );
    } catch (error) {
      if (epoch !== this._epoch || this._isDisposed) {
        return;
      }
      this._parameterSet = null;
      this._parametersError = messageOf(error);
    }
    this._changed.emit('parameters');
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

  private _requireNotebook(): string {
    if (this._notebook === null) {
      throw new Error('No notebook is in focus: open a notebook to run it.');
    }
    return this._notebook;
  }

  private _showProblems(error: GreenhouseRequestError): void {
    const names = this._parameterSet?.parameters.map(p => p.name) ?? [];
    const general: string[] = [];
    for (const problem of error.problems) {
      const name = names.find(
        item => problem.startsWith(`${item}:`) || problem.startsWith(`${item}[`)
      );
      if (name) {
        this._fieldErrors.set(
          name,
          problem.slice(name.length).replace(/^:\s*/, '')
        );
      } else {
        general.push(problem);
      }
    }
    this._formProblems = error.problems.length > 0 ? general : [error.message];
    this._changed.emit('form');
  }

  /**
   * Poll a sweep until its process ends, adding its runs to the history as they come.
   */
  private _watchSweep(id: string): void {
    const handle = this._timers.setTimeout(async () => {
      this._sweepPolls.delete(id);
      try {
        const sweep = await requestAPI<ISweep>(
          `sweeps/${encodeURIComponent(id)}`
        );
        if (this._isDisposed) {
          return;
        }
        sweep.runs.forEach(run => this._put(run));
        if (sweep.active) {
          this._watchSweep(id);
        }
      } catch (error) {
        if (!this._isDisposed) {
          this._report(error);
        }
      }
    }, this._interval);
    this._sweepPolls.set(id, handle);
  }

  private _put(run: IRun): void {
    const index = this._runs.findIndex(item => item.id === run.id);
    if (index >= 0) {
      this._runs = this._runs.map(item => (item.id === run.id ? run : item));
    } else {
      this._runs = [run, ...this._runs];
    }
    this._changed.emit('runs');
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

  private _changed = new Signal<this, GreenhouseModel.Part>(this);
  private _poller: RunPoller;
  private _interval: number;
  private _historyInterval: number;
  private _historyPoll: unknown = null;
  private _timers: ITimers;
  private _sweepPolls = new Map<string, unknown>();
  private _more = new Map<string, string>();
  private _historyLimit: number;
  private _logLimit: number;
  private _isDisposed = false;
  private _epoch = 0;
  private _notebook: string | null = null;
  private _parameterSet: IParameterSet | null = null;
  private _parametersError: string | null = null;
  private _inputs = new Map<string, FieldInput>();
  private _initial = new Map<string, FieldInput>();
  private _fieldErrors = new Map<string, string>();
  private _formProblems: string[] = [];
  private _runs: IRun[] = [];
  private _selection: string[] = [];
  private _logs = new Map<string, { text: string; offset: number }>();
  private _lastError: string | null = null;
}

/**
 * Types of the greenhouse model.
 */
export namespace GreenhouseModel {
  /**
   * The part of the state a change signal is about.
   */
  export type Part =
    'notebook' | 'parameters' | 'form' | 'runs' | 'log' | 'selection' | 'error';

  /**
   * Options of a model.
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

  /**
   * The state of one field of the parameter form.
   */
  export interface IField {
    /**
     * The parameter as the server declares it.
     */
    parameter: IParameter;
    /**
     * The input that edits it.
     */
    kind: FieldKind;
    /**
     * Its current checked state or text.
     */
    input: FieldInput;
    /**
     * Why its input cannot be sent, if it cannot.
     */
    error: string | null;
  }

  /**
   * The form read as a whole.
   */
  export interface IValidation {
    /**
     * Typed values of the valid fields changed from their defaults.
     */
    values: Record<string, JSONValue>;
    /**
     * The problem of each invalid field, by name.
     */
    errors: Record<string, string>;
  }
}
