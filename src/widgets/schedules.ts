/**
 * The panel's Schedules section: the schedules with their next fire time, last outcome
 * and paused state; a form that creates one from a published version, with that
 * version's typed parameter form, its policy and alert fields, and the next fire times
 * shown as its timing is typed; pause, resume and trigger; and a timeline of each
 * schedule's occurrences, each linked to its runs, with its alert deliveries and a diff
 * with the occurrence before.
 *
 * Test hooks: `.jp-greenhouse-schedules` (the section), `.jp-greenhouse-schedule-form`
 * with inputs `[name=target|cron|tz|every]`, its `.jp-greenhouse-form` (the target's
 * parameters, `.jp-greenhouse-param[data-name=N]`), `.jp-greenhouse-schedule-policy`
 * (a `details` with `[name=retries|notify|...]`, as `POST schedules` names them),
 * `.jp-greenhouse-schedule-preview` (one `li` per fire time),
 * `.jp-greenhouse-schedule-create`, `.jp-greenhouse-schedule[data-name=NAME]` with
 * `.jp-greenhouse-schedule-pause`, `.jp-greenhouse-schedule-trigger`,
 * `.jp-greenhouse-schedule-timeline` and its `.jp-greenhouse-occurrence[data-status=S]`
 * holding `.jp-greenhouse-occurrence-run` links (`data-run-id`),
 * `.jp-greenhouse-occurrence-diff` and `.jp-greenhouse-delivery[data-delivered]`.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';

import { CommandIDs } from '../commandIds';
import { messageOf } from '../errors';
import {
  ICreateSchedule,
  IOccurrence,
  IScheduleSummary,
  ITiming,
  SchedulesModel
} from '../schedules';
import { button, element } from './dom';
import { ParameterForm } from './parameterForm';

/**
 * A policy or alert field of the schedule form: its request name, label, example
 * value, and how its text is read (a number, a list, or one of some choices).
 */
interface IPolicyField {
  name: string;
  label: string;
  example: string;
  read?: 'integer' | 'number' | 'list';
  choices?: string[];
}

/**
 * The policy and alert fields, as `POST schedules` (and `greenhouse schedule add`)
 * names them.
 *
 * @param trans - The translation bundle.
 * @returns The fields in the order the form shows them.
 */
function policyFields(trans: TranslationBundle): IPolicyField[] {
  return [
    {
      name: 'retries',
      label: trans.__('Retries'),
      example: '0',
      read: 'integer'
    },
    {
      name: 'retry_delay',
      label: trans.__('Retry delay (s)'),
      example: '30',
      read: 'number'
    },
    {
      name: 'timeout',
      label: trans.__('Timeout (s)'),
      example: '',
      read: 'number'
    },
    {
      name: 'max_concurrent',
      label: trans.__('At most at once'),
      example: '1',
      read: 'integer'
    },
    {
      name: 'overlap',
      label: trans.__('While one runs'),
      example: '',
      choices: ['skip', 'queue']
    },
    {
      name: 'catch_up',
      label: trans.__('After downtime'),
      example: '',
      choices: ['skip', 'latest', 'all']
    },
    {
      name: 'catch_up_limit',
      label: trans.__('Catch up at most'),
      example: '10',
      read: 'integer'
    },
    {
      name: 'checks',
      label: trans.__('Gates'),
      example: 'accuracy>=0.9; rows>0',
      read: 'list'
    },
    {
      name: 'against',
      label: trans.__('Compared with'),
      example: 'NAME@production'
    },
    { name: 'publish', label: trans.__('Publish as'), example: 'NAME' },
    { name: 'alias', label: trans.__('With alias'), example: 'candidate' },
    {
      name: 'notify',
      label: trans.__('Alert URLs'),
      example: 'json://host/hook; mailto://${USER}:${PASS}@host',
      read: 'list'
    },
    {
      name: 'notify_on',
      label: trans.__('Alert on'),
      example: 'failure,recovery,gate'
    }
  ];
}

/**
 * A policy field's text as the request takes it.
 *
 * @throws {Error} A number field holds something that is not one.
 */
function policyValue(
  spec: IPolicyField,
  text: string,
  trans: TranslationBundle
): string | number | string[] {
  if (spec.read === 'list') {
    return text
      .split(';')
      .map(item => item.trim())
      .filter(item => item !== '');
  }
  if (spec.read === undefined) {
    return text;
  }
  const value = Number(text);
  if (
    !Number.isFinite(value) ||
    (spec.read === 'integer' && !Number.isInteger(value))
  ) {
    throw new Error(
      trans.__(
        '%1: %2 is not %3',
        spec.label,
        text,
        spec.read === 'integer'
          ? trans.__('a whole number')
          : trans.__('a number')
      )
    );
  }
  return value;
}

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
    this._policyFields = policyFields(trans);
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
    this._parameters?.dispose();
    this._model.dispose();
    super.dispose();
  }

  private _form(): HTMLElement {
    const trans = this._trans;
    const form = element('form', 'jp-greenhouse-schedule-form');
    const target = this._field('target', trans.__('Version'), 'NAME@ALIAS');
    target.input.addEventListener(
      'change',
      () => void this._model.setTarget(this._value('target'))
    );
    const timing = [
      this._field('cron', trans.__('Cron'), '0 6 * * *'),
      this._field('tz', trans.__('Zone'), 'UTC'),
      this._field('every', trans.__('Or every'), '1h')
    ].map(field => {
      field.input.addEventListener('input', () => this._timingChanged());
      return field.row;
    });
    this._parameters = new ParameterForm(this._model.form, trans, {
      sweeps: false
    });
    form.append(
      target.row,
      this._parameters.node,
      ...timing,
      this._preview,
      this._policy(),
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

  /**
   * The policy and alert fields, folded: what a schedule does on overlap, downtime and
   * failure, its gates, what it publishes, and whom it alerts.
   */
  private _policy(): HTMLElement {
    const trans = this._trans;
    const details = element('details', 'jp-greenhouse-schedule-policy');
    details.append(
      element('summary', '', trans.__('Policy and alerts')),
      ...this._policyFields.map(
        spec => this._field(spec.name, spec.label, spec.example, spec).row
      )
    );
    return details;
  }

  private _field(
    name: string,
    label: string,
    placeholder: string,
    spec?: IPolicyField
  ): { row: HTMLElement; input: HTMLInputElement | HTMLSelectElement } {
    let input: HTMLInputElement | HTMLSelectElement;
    if (spec?.choices) {
      input = element('select', 'jp-mod-styled', undefined, {
        name,
        'aria-label': label
      });
      input.append(
        element('option', '', this._trans.__('default'), { value: '' }),
        ...spec.choices.map(choice =>
          element('option', '', choice, { value: choice })
        )
      );
    } else {
      input = element('input', 'jp-mod-styled', undefined, {
        name,
        placeholder,
        'aria-label': label
      });
    }
    this._inputs.set(name, input);
    const row = element('label', 'jp-greenhouse-schedule-field', label);
    row.append(input);
    return { row, input };
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

  /**
   * The new schedule as the form holds it; empty fields are left to the server's defaults.
   *
   * @throws {Error} A number field holds something else (nothing is sent).
   * @throws {InvalidFormError} A parameter's value is invalid (nothing is sent).
   */
  private _request(): ICreateSchedule {
    const request: Record<string, unknown> = { target: this._value('target') };
    for (const name of ['cron', 'tz', 'every']) {
      if (this._value(name)) {
        request[name] = this._value(name);
      }
    }
    for (const spec of this._policyFields) {
      const text = this._value(spec.name);
      if (text !== '') {
        request[spec.name] = policyValue(spec, text, this._trans);
      }
    }
    const parameters = this._model.form.textValues();
    if (Object.keys(parameters).length > 0) {
      request.parameters = parameters;
    }
    return request as ICreateSchedule;
  }

  private async _create(): Promise<void> {
    await this._act(async () => {
      await this._model.create(this._request());
      this._inputs.forEach(input => (input.value = ''));
      await this._model.setTarget('');
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
    const trans = this._trans;
    const list = element('ol', 'jp-greenhouse-schedule-timeline');
    if (occurrences.length === 0) {
      list.append(element('li', '', trans.__('No occurrence yet.')));
    }
    occurrences.forEach((occurrence, index) => {
      const reason = occurrence.reason ? `: ${occurrence.reason}` : '';
      const version = occurrence.version ? ` (${occurrence.version})` : '';
      const row = element(
        'li',
        'jp-greenhouse-occurrence',
        `${occurrence.fire_at} ${occurrence.status}${version}${reason} `,
        { 'data-status': occurrence.status }
      );
      for (const attempt of occurrence.attempts) {
        const runId = attempt.run_id;
        const link = element(
          'a',
          'jp-greenhouse-occurrence-run',
          trans.__('run %1 #%2', runId, attempt.number),
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
      const previous = occurrences
        .slice(index + 1)
        .find(older => older.run_id !== null);
      if (occurrence.run_id !== null && previous?.run_id) {
        const [a, b] = [previous.run_id, occurrence.run_id];
        row.append(
          button(
            'jp-greenhouse-occurrence-diff',
            trans.__('Diff with previous'),
            () => void this._commands.execute(CommandIDs.diff, { a, b }),
            trans.__(
              'Compare this run with run %1, of the occurrence before',
              a
            )
          )
        );
      }
      if (occurrence.deliveries.length > 0) {
        const deliveries = element('ul', 'jp-greenhouse-deliveries');
        deliveries.append(
          ...occurrence.deliveries.map(delivery =>
            element(
              'li',
              'jp-greenhouse-delivery',
              delivery.delivered
                ? trans.__(
                    'alert %1 → %2: delivered',
                    delivery.event,
                    delivery.channel
                  )
                : trans.__(
                    'alert %1 → %2: failed after %3 attempt(s): %4',
                    delivery.event,
                    delivery.channel,
                    delivery.attempts,
                    delivery.error ?? ''
                  ),
              { 'data-delivered': String(delivery.delivered) }
            )
          )
        );
        row.append(deliveries);
      }
      list.append(row);
    });
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
  private _policyFields: IPolicyField[];
  private _error: HTMLElement;
  private _preview: HTMLElement;
  private _list: HTMLElement;
  private _inputs = new Map<string, HTMLInputElement | HTMLSelectElement>();
  private _parameters: ParameterForm | null = null;
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
