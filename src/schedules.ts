/**
 * Schedules in the panel: the list, a new schedule's next fire times as its timing is
 * typed and its target's parameter form, creating, pausing, resuming and triggering, and
 * each schedule's occurrences, all through the one HTTP seam (the server checks and
 * stores; nothing is re-checked here).
 */
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import type { IParameterSet } from './api';
import { messageOf } from './errors';
import { FormModel } from './formModel';
import { namesNotebook } from './notebookNames';
import { requestAPI } from './request';
import { globalTimers, type ITimers } from './runs';
import type { components } from './schema';

type Schemas = components['schemas'];

/**
 * A schedule as `GET schedules` lists it.
 */
export type IScheduleSummary = Schemas['ScheduleSummary'];

/**
 * A schedule as `GET schedules/{id}` describes it.
 */
export type ISchedule = Schemas['Schedule'];

/**
 * The body of `POST schedules`.
 */
export type ICreateSchedule = Schemas['CreateSchedule'];

/**
 * One occurrence of a schedule, with its attempts (runs) and alert deliveries.
 */
export type IOccurrence = Schemas['Occurrence'];

/**
 * A fire time in the schedule's zone and in UTC.
 */
export type IFireTime = Schemas['FireTime'];

/**
 * When a schedule fires, as its form holds it: a cron expression in a zone, or an
 * interval.
 */
export interface ITiming {
  cron: string;
  tz: string;
  every: string;
}

/**
 * How long the timing must stay unchanged before its fire times are asked for.
 */
export const PREVIEW_DELAY_MS = 300;

/**
 * How many occurrences a schedule's timeline shows.
 */
export const TIMELINE_LENGTH = 10;

/**
 * The state of the schedules the panel shows.
 */
export class SchedulesModel implements IDisposable {
  /**
   * Create the model.
   *
   * @param options - The timers of the preview's delay (optional).
   */
  constructor(options: SchedulesModel.IOptions = {}) {
    this._timers = options.timers ?? globalTimers;
  }

  /**
   * Emitted whenever the list, a preview or a timeline changes.
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
   * The schedules, once listed.
   */
  get schedules(): readonly IScheduleSummary[] {
    return this._schedules;
  }

  /**
   * The next fire times of the timing being typed, once the server answered.
   */
  get preview(): readonly IFireTime[] {
    return this._preview;
  }

  /**
   * Why the timing being typed is wrong, in the server's words; null when it is right.
   */
  get previewError(): string | null {
    return this._previewError;
  }

  /**
   * The parameter form of the target being typed: a published version's parameters,
   * defaulting to its recorded values, or a notebook's.
   */
  readonly form = new FormModel();

  /**
   * Read the parameters of the target being typed into {@link form}; an answer about
   * an older target is dropped. A target that ends like a notebook or holds a `/` is
   * a notebook's path, anything else a published version (as `greenhouse run` reads it).
   *
   * @param target - `NAME@ALIAS`, `NAME@N`, `NAME` or a notebook's path.
   */
  async setTarget(target: string): Promise<void> {
    const asked = ++this._targetAsked;
    this.form.clear();
    if (target === '') {
      return;
    }
    const query = new URLSearchParams({
      [namesNotebook(target) ? 'path' : 'version']: target
    });
    try {
      const set = await requestAPI<IParameterSet>(`parameters?${query}`);
      if (asked === this._targetAsked && !this._isDisposed) {
        this.form.setParameters(set);
      }
    } catch (error) {
      if (asked === this._targetAsked && !this._isDisposed) {
        this.form.setParametersError(messageOf(error));
      }
    }
  }

  /**
   * List the schedules.
   */
  async load(): Promise<void> {
    const answer = await requestAPI<{ schedules: IScheduleSummary[] }>(
      'schedules'
    );
    this._schedules = answer.schedules;
    this._changed.emit();
  }

  /**
   * Note the timing being typed: its fire times are asked for once it has stayed
   * unchanged for {@link PREVIEW_DELAY_MS}; an answer to an older timing is dropped.
   *
   * @param timing - The form's cron, zone and interval (empty when not given).
   */
  setTiming(timing: ITiming): void {
    if (this._previewTimer !== null) {
      this._timers.clearTimeout(this._previewTimer);
    }
    const asked = ++this._previewAsked;
    this._previewTimer = this._timers.setTimeout(() => {
      this._previewTimer = null;
      void this._askPreview(timing, asked);
    }, PREVIEW_DELAY_MS);
  }

  /**
   * Add a schedule, then list the schedules again.
   *
   * @param request - The new schedule.
   * @returns The schedule as the server described it.
   * @throws {GreenhouseRequestError} The server refused it (its message names the
   * wrong fields).
   */
  async create(request: ICreateSchedule): Promise<ISchedule> {
    const schedule = await requestAPI<ISchedule>('schedules', {
      method: 'POST',
      body: JSON.stringify(request)
    });
    await this.load();
    return schedule;
  }

  /**
   * Pause or resume a schedule, then list the schedules again.
   *
   * @param id - The schedule's id.
   * @param paused - True to pause, false to resume.
   */
  async setPaused(id: string, paused: boolean): Promise<void> {
    await requestAPI<IScheduleSummary>(`schedules/${encodeURIComponent(id)}`, {
      method: 'PATCH',
      body: JSON.stringify({ paused })
    });
    await this.load();
  }

  /**
   * Fire a schedule now, then read its occurrences again.
   *
   * @param id - The schedule's id.
   * @returns The queued occurrence's id.
   */
  async trigger(id: string): Promise<string> {
    const occurrence = await requestAPI<{ id: string }>(
      `schedules/${encodeURIComponent(id)}/trigger`,
      { method: 'POST', body: '{}' }
    );
    await this.loadOccurrences(id);
    return occurrence.id;
  }

  /**
   * The last occurrences of a schedule, newest first, once loaded.
   *
   * @param id - The schedule's id.
   * @returns Its occurrences, or null before {@link loadOccurrences}.
   */
  occurrences(id: string): readonly IOccurrence[] | null {
    return this._occurrences.get(id) ?? null;
  }

  /**
   * Load the last {@link TIMELINE_LENGTH} occurrences of a schedule.
   *
   * @param id - The schedule's id.
   */
  async loadOccurrences(id: string): Promise<void> {
    const answer = await requestAPI<{ occurrences: IOccurrence[] }>(
      `schedules/${encodeURIComponent(id)}/occurrences?limit=${TIMELINE_LENGTH}`
    );
    this._occurrences.set(id, answer.occurrences);
    this._changed.emit();
  }

  /**
   * Dispose the model: a pending preview is not asked for.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this.form.dispose();
    if (this._previewTimer !== null) {
      this._timers.clearTimeout(this._previewTimer);
    }
    Signal.clearData(this);
  }

  private async _askPreview(timing: ITiming, asked: number): Promise<void> {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(timing)) {
      if (value.trim() !== '') {
        query.set(name, value.trim());
      }
    }
    let times: IFireTime[] = [];
    let error: string | null = null;
    try {
      const answer = await requestAPI<{ next_fire_times: IFireTime[] }>(
        `schedules/preview?${query.toString()}`
      );
      times = answer.next_fire_times;
    } catch (reason) {
      error = messageOf(reason);
    }
    if (asked !== this._previewAsked || this._isDisposed) {
      return;
    }
    this._preview = times;
    this._previewError = error;
    this._changed.emit();
  }

  private _timers: ITimers;
  private _schedules: IScheduleSummary[] = [];
  private _occurrences = new Map<string, IOccurrence[]>();
  private _preview: IFireTime[] = [];
  private _previewError: string | null = null;
  private _previewAsked = 0;
  private _targetAsked = 0;
  private _previewTimer: unknown = null;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
}

/**
 * Types of the schedules model.
 */
export namespace SchedulesModel {
  /**
   * Options of the model.
   */
  export interface IOptions {
    /**
     * The timers of the preview's delay (default: the window's).
     */
    timers?: ITimers;
  }
}
