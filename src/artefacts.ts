/**
 * Published artefacts: their names, versions and aliases, publishing a run, and the
 * checks of a version (verify, reproduce), through the one HTTP seam.
 */
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import type {
  IAliasHistory,
  IAliasMoved,
  IArtefactNames,
  ICreateRun,
  IPublishRequest,
  IReproduceRequest,
  IReproduction,
  IRun,
  IVerifyResult,
  IVersion,
  IVersionList
} from './api';
import { messageOf } from './errors';
import { SECRET_MASK } from './parameters';
import { requestAPI } from './request';
import { FINISHED_STATUSES, globalTimers, type ITimers } from './runs';

/**
 * How often a reproduction's re-run is polled until it finishes, in milliseconds.
 */
export const REPRODUCTION_POLL_MS = 1000;

/**
 * The state of the published artefacts the sidebar shows.
 */
export class ArtefactsModel implements IDisposable {
  /**
   * Create the model.
   *
   * @param options - The timers and interval of polling a re-run (optional).
   */
  constructor(options: ArtefactsModel.IOptions = {}) {
    this._timers = options.timers ?? globalTimers;
    this._pollMs = options.pollMs ?? REPRODUCTION_POLL_MS;
  }

  /**
   * Emitted whenever names, versions or checks change.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Whether the model has been disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * The names of the published artefacts, once listed.
   */
  get artefactNames(): readonly string[] {
    return this._artefactNames;
  }

  /**
   * Publish a succeeded run as the next version of an artefact.
   *
   * @param run - The run's id.
   * @param name - The artefact's name.
   * @param aliases - Aliases to point at the new version.
   * @returns The new version.
   */
  async publish(
    run: string,
    name: string,
    aliases: string[]
  ): Promise<IVersion> {
    const request: IPublishRequest = { run, name, aliases };
    const version = await requestAPI<IVersion>('publish', {
      method: 'POST',
      body: JSON.stringify(request)
    });
    if (!this._artefactNames.includes(name)) {
      this._artefactNames = [...this._artefactNames, name].sort();
    }
    await this.loadVersions(name);
    return version;
  }

  /**
   * List the published artefacts.
   */
  async loadArtefacts(): Promise<void> {
    const answer = await requestAPI<IArtefactNames>('artefacts');
    this._artefactNames = answer.names;
    this._changed.emit();
  }

  /**
   * The versions of an artefact, once loaded.
   *
   * @param name - The artefact's name.
   * @returns Its versions, or null before {@link loadVersions}.
   */
  versions(name: string): readonly IVersion[] | null {
    return this._versions.get(name) ?? null;
  }

  /**
   * Load the versions of an artefact.
   *
   * @param name - The artefact's name.
   */
  async loadVersions(name: string): Promise<void> {
    const answer = await requestAPI<IVersionList>(
      `artefacts/${encodeURIComponent(name)}/versions`
    );
    this._versions.set(name, answer.versions);
    this._changed.emit();
  }

  /**
   * The recorded changes of an artefact's aliases, once loaded.
   *
   * @param name - The artefact's name.
   * @returns Its alias history, or null before {@link loadAliasHistory}.
   */
  aliasHistory(name: string): IAliasHistory | null {
    return this._histories.get(name) ?? null;
  }

  /**
   * Load every recorded change of an artefact's aliases.
   *
   * @param name - The artefact's name.
   */
  async loadAliasHistory(name: string): Promise<void> {
    const answer = await requestAPI<IAliasHistory>(
      `artefacts/${encodeURIComponent(name)}/alias-history`
    );
    this._histories.set(name, answer);
    this._changed.emit();
  }

  /**
   * Point an alias of an artefact at one of its versions.
   *
   * @param name - The artefact's name.
   * @param alias - The alias, such as `production`.
   * @param version - The version's number.
   * @param reason - Why it moves, kept in the alias's history (empty for none).
   */
  async setAlias(
    name: string,
    alias: string,
    version: number,
    reason = ''
  ): Promise<void> {
    const path = `artefacts/${encodeURIComponent(name)}/aliases/${encodeURIComponent(alias)}`;
    await requestAPI<IAliasMoved>(path, {
      method: 'PUT',
      body: JSON.stringify(reason ? { version, reason } : { version })
    });
    await this.loadVersions(name);
    if (this._histories.has(name)) {
      await this.loadAliasHistory(name);
    }
  }

  /**
   * Start a run of a version's own stored notebook, with its recorded values.
   *
   * The values of its secret parameters were never stored (its run records them
   * masked): `ask` is asked for each, as text. The run is a run like any other (a
   * log, progress, cancel, the history of its notebook) that records the version.
   *
   * @param version - The version to run.
   * @param ask - Asks for the value of a secret parameter; null cancels.
   * @returns The queued run (also kept as the version's last start), or null when a
   *   secret was not given.
   */
  async runVersion(
    version: IVersion,
    ask: ArtefactsModel.AskSecret
  ): Promise<IRun | null> {
    const ref = `${version.name}@${version.number}`;
    this._starts.set(ref, { state: 'pending' });
    this._changed.emit();
    try {
      const made = await requestAPI<IRun>(
        `runs/${encodeURIComponent(version.run_id)}`
      );
      const secrets: Record<string, string> = {};
      for (const [name, value] of Object.entries(made.parameters)) {
        if (value !== SECRET_MASK) {
          continue;
        }
        const given = await ask(name, ref);
        if (given === null) {
          this._starts.delete(ref);
          return null;
        }
        secrets[name] = given;
      }
      const request: ICreateRun = { version: ref, secrets };
      const run = await requestAPI<IRun>('runs', {
        method: 'POST',
        body: JSON.stringify(request)
      });
      this._starts.set(ref, { state: 'started', run: run.id });
      return run;
    } catch (error) {
      this._starts.set(ref, { state: 'failed', error: messageOf(error) });
      throw error;
    } finally {
      this._changed.emit();
    }
  }

  /**
   * The last run started from a version here, if any.
   *
   * @param ref - The version's reference, `NAME@N`.
   * @returns The start, pending, started (naming the run) or failed.
   */
  start(ref: string): ArtefactsModel.Start | null {
    return this._starts.get(ref) ?? null;
  }

  /**
   * The last check of a version, if one was made.
   *
   * @param ref - The version's reference, `NAME@N`.
   * @returns The check, pending or done.
   */
  check(ref: string): ArtefactsModel.Check | null {
    return this._checks.get(ref) ?? null;
  }

  /**
   * Recompute the sha256 of every file of a version against its manifest.
   *
   * @param ref - The version's reference, `NAME@N`.
   * @returns The server's answer, also kept as the version's check.
   */
  async verify(ref: string): Promise<IVerifyResult> {
    return this._checked(ref, 'verify', () =>
      requestAPI<IVerifyResult>('verify', {
        method: 'POST',
        body: JSON.stringify({ ref })
      })
    );
  }

  /**
   * Run a version's notebook again and compare the outcome.
   *
   * The server re-runs it as a run of its own (with a log, progress and cancel); the
   * check stays pending, naming the re-run, until it has finished.
   *
   * @param ref - The version's reference, `NAME@N`.
   * @param options - Where the re-run's inputs and environment come from; with the
   *   recorded environment the check says it is being built while the re-run is queued.
   * @returns The comparison, also kept as the version's check.
   */
  async reproduce(
    ref: string,
    options: ArtefactsModel.ReproduceOptions = {}
  ): Promise<IReproduction> {
    return this._checked(ref, 'reproduce', async () => {
      const rerun = await requestAPI<IRun>('reproduce', {
        method: 'POST',
        body: JSON.stringify({ ...options, ref })
      });
      const pending = (building: boolean): void => {
        this._checks.set(ref, {
          kind: 'reproduce',
          state: 'pending',
          rerun: rerun.id,
          ...(building ? { building } : {})
        });
        this._changed.emit();
      };
      pending(options.env === 'recorded');
      await this._finished(rerun.id, run => {
        const check = this._checks.get(ref);
        if (
          check?.state === 'pending' &&
          check.building &&
          run.status !== 'queued'
        ) {
          pending(false);
        }
      });
      return requestAPI<IReproduction>(
        `runs/${encodeURIComponent(rerun.id)}/reproduction`
      );
    });
  }

  /**
   * Poll a run until it has finished, telling `seen` of each record read.
   */
  private async _finished(
    id: string,
    seen?: (run: IRun) => void
  ): Promise<void> {
    for (;;) {
      const run = await requestAPI<IRun>(`runs/${encodeURIComponent(id)}`);
      seen?.(run);
      if (FINISHED_STATUSES.has(run.status) || this._isDisposed) {
        return;
      }
      await new Promise<void>(resolve => {
        this._timers.setTimeout(resolve, this._pollMs);
      });
    }
  }

  private async _checked<T extends IVerifyResult | IReproduction>(
    ref: string,
    kind: 'verify' | 'reproduce',
    call: () => Promise<T>
  ): Promise<T> {
    this._checks.set(ref, { kind, state: 'pending' });
    this._changed.emit();
    try {
      const result = await call();
      this._checks.set(ref, {
        kind,
        state: 'done',
        result
      } as ArtefactsModel.Check);
      return result;
    } catch (error) {
      this._checks.set(ref, { kind, state: 'failed', error: messageOf(error) });
      throw error;
    } finally {
      this._changed.emit();
    }
  }

  /**
   * Release the model's signal connections.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    Signal.clearData(this);
  }

  private _changed = new Signal<this, void>(this);
  private _timers: ITimers;
  private _pollMs: number;
  private _isDisposed = false;
  private _artefactNames: string[] = [];
  private _versions = new Map<string, IVersion[]>();
  private _histories = new Map<string, IAliasHistory>();
  private _checks = new Map<string, ArtefactsModel.Check>();
  private _starts = new Map<string, ArtefactsModel.Start>();
}

/**
 * Types of the artefacts model.
 */
export namespace ArtefactsModel {
  /**
   * The options of an artefacts model.
   */
  export interface IOptions {
    /**
     * The timers polling a re-run uses (default: the page's).
     */
    timers?: ITimers;
    /**
     * How often a re-run is polled, in milliseconds.
     */
    pollMs?: number;
  }

  /**
   * Where a reproduction's inputs and environment come from (`POST reproduce`).
   */
  export type ReproduceOptions = Omit<IReproduceRequest, 'ref' | 'secrets'>;

  /**
   * A verification or reproduction of a version: pending (a reproduction names its
   * re-run once started, and says while its recorded environment is being built),
   * done or failed.
   */
  export type Check =
    | {
        kind: 'verify' | 'reproduce';
        state: 'pending';
        rerun?: string;
        building?: boolean;
      }
    | { kind: 'verify'; state: 'done'; result: IVerifyResult }
    | { kind: 'reproduce'; state: 'done'; result: IReproduction }
    | { kind: 'verify' | 'reproduce'; state: 'failed'; error: string };

  /**
   * Asks for the value of a version's secret parameter, as text; null cancels.
   */
  export type AskSecret = (name: string, ref: string) => Promise<string | null>;

  /**
   * A run started from a version: pending, started (its id) or failed (why, such as
   * a secret parameter that must be given again).
   */
  export type Start =
    | { state: 'pending' }
    | { state: 'started'; run: string }
    | { state: 'failed'; error: string };
}
