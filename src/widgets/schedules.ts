/**
 * The panel's Schedules section: the schedules with their next fire time, last outcome
 * and paused state; a form that creates one from a published version and shows the
 * next fire times as its timing is typed; pause, resume and trigger; and a timeline
 * of each schedule's occurrences, each linked to its runs.
 *
 * Test hooks: `.jp-greenhouse-schedules` (the section), `.jp-greenhouse-schedule-form`
 * with inputs `[name=target|cron|tz|every]`, `.jp-greenhouse-schedule-preview` (one
 * `li` per fire time), `.jp-greenhouse-schedule-create`,
 * `.jp-greenhouse-schedule[data-name=NAME]` with `.jp-greenhouse-schedule-pause`,
 * `.jp-greenhouse-schedule-trigger`, `.jp-greenhouse-schedule-timeline` and its
 * `.jp-greenhouse-occurrence[data-status=S]` holding `.jp-greenhouse-occurrence-run`
 * links (`data-run-id`).
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';

import { CommandIDs } from '../commandIds';
import { messageOf } from '../errors';
import {
  IOccurrence,
  IScheduleSummary,
  ITiming,
  SchedulesModel
} from '../schedules';
import { button, element } from './dom';

/**
 * The Schedules section of the panel; it owns its model and disposes it with itself.
 */
export class SchedulesView extends Widget {
  /**
   * Create the section and list the schedules.
   *
   * @param options - The model, the commands (to open a run) and the translations.
   */
  constructor(options: SchedulesView.IOptions) {
    super();
    const { model, commands, trans } = options;
    this._model = model;
    this._commands = commands;
    this._trans = trans;
    this.addClass('jp-greenhouse-schedules');
    this.node.dataset.testid = 'greenhouse-schedules';
    const header = element('div', 'jp-greenhouse-section-header');
    header.append(
      element('h3', 'jp-greenhouse-section-title', trans.__('Schedules')),
      button(
        'jp-greenhouse-schedules-refresh',
        trans.__('Refresh'),
        () => void this.refresh(),
        trans.__('List the schedules and their occurrences again')
      )
    );
    this._error = element('div', 'jp-greenhouse-error', undefined, {
      role: 'alert'
    });
    this._preview = element('ul', 'jp-greenhouse-schedule-preview', undefined, {
      'aria-live': 'polite'
    });
    this._list = element('ul', 'jp-greenhouse-schedule-list');
    this.node.append(header, this._form(), this._error, this._list);
    model.changed.connect(this._render, this);
    void this.refresh();
  }

  /**
   * List the schedules, and the occurrences of those shown open.
   *
   * @returns A promise settled once listed; a failure is shown in the section.
   */
  async refresh(): Promise<void> {
    await this._act(async () => {
      await this._model.load();
      await Promise.all(
        [...this._open].map(id => this._model.loadOccurrences(id))
      );
    });
  }

  /**
   * Dispose the section and its model.
   */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._model.dispose();
    super.dispose();
  }

  private _form(): HTMLElement {
    const trans = this._trans;
    const form = element('form', 'jp-greenhouse-schedule-form');
    const field = (name: string, label: string, placeholder: string) => {
      const input = element('input', 'jp-mod-styled', undefined, {
        name,
        placeholder,
        'aria-label': label
      });
      input.addEventListener('input', () => this._timingChanged());
      this._inputs.set(name, input);
      const row = element('label', 'jp-greenhouse-schedule-field', label);
      row.append(input);
      return row;
    };
    form.append(
      field('target', trans.__('Version'), 'NAME@ALIAS'),
      field('cron', trans.__('Cron'), '0 6 * * *'),
      field('tz', trans.__('Zone'), 'UTC'),
      field('every', trans.__('Or every'), '1h'),
      this._preview,
      button(
        'jp-greenhouse-schedule-create',
        trans.__('Add schedule'),
        () => void this._create(),
        trans.__('Run this version by itself at these fire times')
      )
    );
    form.addEventListener('submit', event => {
      event.preventDefault();
      void this._create();
    });
    return form;
  }

  private _value(name: string): string {
    return this._inputs.get(name)?.value.trim() ?? '';
  }

  private _timing(): ITiming {
    return {
      cron: this._value('cron'),
      tz: this._value('tz'),
      every: this._value('every')
    };
  }

  private _timingChanged(): void {
    const timing = this._timing();
    if (timing.cron || timing.every) {
      this._model.setTiming(timing);
    }
  }

  private async _create(): Promise<void> {
    const timing = this._timing();
    await this._act(async () => {
      await this._model.create({
        target: this._value('target'),
        ...(timing.cron ? { cron: timing.cron } : {}),
        ...(timing.tz ? { tz: timing.tz } : {}),
        ...(timing.every ? { every: timing.every } : {})
      });
      this._inputs.forEach(input => (input.value = ''));
    });
  }

  private async _act(action: () => Promise<void>): Promise<void> {
    this._error.textContent = '';
    try {
      await action();
    } catch (error) {
      this._error.textContent = messageOf(error);
    }
  }

  private _render(): void {
    const trans = this._trans;
    const error = this._model.previewError;
    this._preview.replaceChildren(
      ...(error !== null
        ? [element('li', 'jp-greenhouse-invalid-input', error)]
        : this._model.preview.map(time =>
            element('li', '', `${time.local}  (${time.utc})`)
          ))
    );
    const schedules = this._model.schedules;
    this._list.replaceChildren(
      ...(schedules.length === 0
        ? [element('li', 'jp-greenhouse-empty', trans.__('No schedule yet.'))]
        : schedules.map(schedule => this._item(schedule)))
    );
  }

  private _item(schedule: IScheduleSummary): HTMLElement {
    const trans = this._trans;
    const item = element('li', 'jp-greenhouse-schedule', undefined, {
      'data-name': schedule.name,
      'data-paused': String(schedule.paused)
    });
    const open = this._open.has(schedule.id);
    const title = element(
      'button',
      'jp-greenhouse-schedule-name',
      `${schedule.name} → ${schedule.target}`,
      { type: 'button', 'aria-expanded': String(open) }
    );
    title.addEventListener('click', () => void this._toggle(schedule.id));
    const facts = element(
      'div',
      'jp-greenhouse-schedule-facts',
      [
        schedule.when,
        trans.__('next %1', schedule.next_fire ?? '-'),
        trans.__('last %1', schedule.last_outcome ?? '-'),
        schedule.paused ? trans.__('paused') : ''
      ]
        .filter(Boolean)
        .join(' · ')
    );
    const id = schedule.id;
    const buttons = element('div', 'jp-greenhouse-section-actions');
    buttons.append(
      button(
        'jp-greenhouse-schedule-pause',
        schedule.paused ? trans.__('Resume') : trans.__('Pause'),
        () => void this._act(() => this._model.setPaused(id, !schedule.paused))
      ),
      button(
        'jp-greenhouse-schedule-trigger',
        trans.__('Trigger'),
        () =>
          void this._act(async () => {
            this._open.add(id);
            await this._model.trigger(id);
          }),
        trans.__('Fire now, as an occurrence of its own')
      )
    );
    item.append(title, facts, buttons);
    const occurrences = this._model.occurrences(id);
    if (open && occurrences !== null) {
      item.append(this._timeline(occurrences));
    }
    return item;
  }

  private _timeline(occurrences: readonly IOccurrence[]): HTMLElement {
    const list = element('ol', 'jp-greenhouse-schedule-timeline');
    if (occurrences.length === 0) {
      list.append(element('li', '', this._trans.__('No occurrence yet.')));
    }
    for (const occurrence of occurrences) {
      const reason = occurrence.reason ? `: ${occurrence.reason}` : '';
      const row = element(
        'li',
        'jp-greenhouse-occurrence',
        `${occurrence.fire_at} ${occurrence.status}${reason} `,
        { 'data-status': occurrence.status }
      );
      for (const attempt of occurrence.attempts) {
        const runId = attempt.run_id;
        const link = element(
          'a',
          'jp-greenhouse-occurrence-run',
          this._trans.__('run %1 #%2', runId, attempt.number),
          { href: '#', 'data-run-id': runId }
        );
        link.addEventListener('click', event => {
          event.preventDefault();
          void this._commands.execute(CommandIDs.openRunNotebook, {
            id: runId
          });
        });
        row.append(link);
      }
      list.append(row);
    }
    return list;
  }

  private async _toggle(id: string): Promise<void> {
    if (this._open.delete(id)) {
      this._render();
      return;
    }
    this._open.add(id);
    await this._act(() => this._model.loadOccurrences(id));
  }

  private _model: SchedulesModel;
  private _commands: CommandRegistry;
  private _trans: TranslationBundle;
  private _error: HTMLElement;
  private _preview: HTMLElement;
  private _list: HTMLElement;
  private _inputs = new Map<string, HTMLInputElement>();
  private _open = new Set<string>();
}

/**
 * Types of the Schedules section.
 */
export namespace SchedulesView {
  /**
   * Options of the section.
   */
  export interface IOptions {
    /**
     * The schedules' model, owned by the section from then on.
     */
    model: SchedulesModel;
    /**
     * The application's commands (a timeline's link opens its run).
     */
    commands: CommandRegistry;
    /**
     * The translation bundle.
     */
    trans: TranslationBundle;
  }
}
