/**
 * The sidebar's state, without any DOM: the notebook in focus, and the models of
 * its parts, kept on that notebook: its parameter form ({@link FormModel}), its run
 * history ({@link HistoryModel}) and the published artefacts ({@link ArtefactsModel}).
 */
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import type { IParameterSet, IRun, IStartedSweep } from './api';
import { ArtefactsModel } from './artefacts';
import { messageOf } from './errors';
import { FormModel } from './formModel';
import { HistoryModel } from './historyModel';
import { requestAPI } from './request';

/**
 * The state and API calls behind the greenhouse sidebar.
 */
export class PanelModel implements IDisposable {
  /**
   * Create a model with no notebook.
   *
   * @param options - Polling interval, timers and limits (all optional).
   */
  constructor(options: PanelModel.IOptions = {}) {
    this.history = new HistoryModel(options);
    this.artefacts = new ArtefactsModel({
      timers: options.timers,
      pollMs: options.pollInterval
    });
    this.form.changed.connect((_, part) => this._changed.emit(part));
    this.history.changed.connect((_, part) => this._changed.emit(part));
  }

  /**
   * Emitted with the part of the state that changed, the form's and the
   * history's changes included.
   */
  get changed(): ISignal<this, PanelModel.Part> {
    return this._changed;
  }

  /**
   * The notebook in focus (its path relative to the server's root), or null.
   */
  get notebook(): string | null {
    return this._notebook;
  }

  /**
   * Whether the model has been disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * The parameter form of the notebook in focus, disposed with this model.
   */
  readonly form = new FormModel();

  /**
   * The runs of the notebook in focus, disposed with this model.
   */
  readonly history: HistoryModel;

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
    const epoch = ++this._epoch;
    this._notebook = path;
    this._editedSource = null;
    this.form.clear();
    this.history.show(path);
    this._changed.emit('notebook');
    if (path !== null) {
      await Promise.all([
        this._loadParameters(path, epoch),
        this.history.load()
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
        this.history.load()
      ]);
    }
  }

  /**
   * Show the parameters the notebook's parameters cell declares as edited, before
   * it is saved; the fields keep the values typed in them.
   *
   * @param source - The source of the cell tagged `parameters` in the editor.
   * @returns A promise settled once the form shows them (errors are kept in the state).
   */
  async showEditedParameters(source: string): Promise<void> {
    const path = this._notebook;
    if (path === null || source === this._editedSource) {
      return;
    }
    this._editedSource = source;
    const epoch = this._epoch;
    try {
      const set = await requestAPI<IParameterSet>('parameters', {
        method: 'POST',
        body: JSON.stringify({ notebook: path, source })
      });
      if (epoch === this._epoch && !this._isDisposed) {
        this.form.setParameters(set);
      }
    } catch (error) {
      if (epoch === this._epoch && !this._isDisposed) {
        this.form.setParametersError(messageOf(error));
      }
    }
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
    const run = await this.form.submitRun(this._requireNotebook());
    this.history.add(run);
    return run;
  }

  /**
   * Start a sweep: every combination of the fields' values, each an ordinary run.
   *
   * @returns The started sweep; it is listed at once, and its runs join the
   * history as its process records them.
   * @throws {InvalidFormError} When a value is invalid (nothing is sent).
   * @throws {GreenhouseRequestError} When the server refuses.
   */
  async sweep(): Promise<IStartedSweep> {
    const started = await this.form.submitSweep(this._requireNotebook());
    this.history.watchSweep(started.id, started.size);
    return started;
  }

  /**
   * Stop polling and release the model's resources.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this.history.dispose();
    this.form.dispose();
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
      this.form.setParameters(set);
    } catch (error) {
      if (epoch !== this._epoch || this._isDisposed) {
        return;
      }
      this.form.setParametersError(messageOf(error));
    }
  }

  private _requireNotebook(): string {
    if (this._notebook === null) {
      throw new Error('No notebook is in focus: open a notebook to run it.');
    }
    return this._notebook;
  }

  private _changed = new Signal<this, PanelModel.Part>(this);
  private _isDisposed = false;
  private _epoch = 0;
  private _notebook: string | null = null;
  private _editedSource: string | null = null;
}

/**
 * Types of the panel model.
 */
export namespace PanelModel {
  /**
   * The part of the state a change signal is about.
   */
  export type Part = 'notebook' | FormModel.Part | HistoryModel.Part;

  /**
   * Options of a model: those of its history, whose polling interval and timers
   * the artefacts' polling uses too.
   */
  export type IOptions = HistoryModel.IOptions;
}
