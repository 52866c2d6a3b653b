/**
 * The parameter form: one field per parameter of the notebook in focus, checked as
 * it is typed, with its help text and its problem shown inline.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import type { IParameter } from '../api';
import type { FormModel } from '../formModel';
import { displayValue, selectOptions } from '../parameters';
import { element } from './dom';

/**
 * How many fields were made, which makes each field's element id unique.
 */
let fieldCount = 0;

/**
 * A form generated from a parameter set: the panel's, of the notebook in focus, and a
 * schedule's, of a published version.
 */
export class ParameterForm extends Widget {
  /**
   * Create the form; it follows the model from then on.
   *
   * @param model - The parameters and what is typed in them.
   * @param trans - The translation bundle.
   * @param options - Whether each field offers further values for a sweep (default yes).
   */
  constructor(
    model: FormModel,
    trans: TranslationBundle,
    options: ParameterForm.IOptions = {}
  ) {
    super();
    this._model = model;
    this._trans = trans;
    this._sweeps = options.sweeps ?? true;
    this.addClass('jp-greenhouse-form');
    this.node.dataset.testid = 'greenhouse-form';
    model.changed.connect(this._onChanged, this);
    this._build();
  }

  private _onChanged(sender: FormModel, part: FormModel.Part) {
    if (part === 'parameters') {
      this._build();
    } else {
      this._update();
    }
  }

  /**
   * Rebuild every field: the notebook or its parameters changed.
   */
  private _build(): void {
    const model = this._model;
    const trans = this._trans;
    this._fields.clear();
    this.node.replaceChildren();
    if (model.parametersError !== null) {
      this.node.append(
        element('div', 'jp-greenhouse-error', model.parametersError, {
          role: 'alert'
        })
      );
      return;
    }
    const set = model.parameterSet;
    if (set === null) {
      this.node.append(
        element(
          'div',
          'jp-greenhouse-placeholder',
          trans.__('Reading parameters…')
        )
      );
      return;
    }
    if (set.warnings.length > 0) {
      const details = element('details', 'jp-greenhouse-warnings');
      details.append(
        element(
          'summary',
          '',
          trans._n('%1 warning', '%1 warnings', set.warnings.length)
        ),
        ...set.warnings.map(text =>
          element('div', 'jp-greenhouse-warning', text)
        )
      );
      this.node.append(details);
    }
    if (set.parameters.length === 0) {
      this.node.append(
        element(
          'div',
          'jp-greenhouse-placeholder',
          trans.__('This notebook takes no parameters.')
        )
      );
    }
    for (const parameter of set.parameters) {
      const field = new Field(parameter, model, trans, this._sweeps);
      this._fields.set(parameter.name, field);
      this.node.append(field.node);
    }
    this._problems = element('ul', 'jp-greenhouse-form-problems', undefined, {
      role: 'alert'
    });
    this.node.append(this._problems);
    this._update();
  }

  /**
   * Show each field's input and problem, and the problems that name no field.
   */
  private _update(): void {
    for (const [name, field] of this._fields) {
      const state = this._model.field(name);
      if (state) {
        field.update(state);
      }
    }
    this._problems?.replaceChildren(
      ...this._model.formProblems.map(text => element('li', '', text))
    );
  }

  private _model: FormModel;
  private _trans: TranslationBundle;
  private _sweeps: boolean;
  private _fields = new Map<string, Field>();
  private _problems: HTMLElement | null = null;
}

/**
 * One parameter's label, input, help and problem.
 */
class Field {
  constructor(
    parameter: IParameter,
    private _model: FormModel,
    trans: TranslationBundle,
    sweeps: boolean
  ) {
    const state = _model.field(parameter.name);
    const kind = state?.kind ?? 'json';
    this.node = element('div', 'jp-greenhouse-param', undefined, {
      'data-name': parameter.name,
      'data-kind': kind,
      'data-type': parameter.type
    });
    const id = `jp-greenhouse-param-${fieldCount++}`;
    const label = element('label', 'jp-greenhouse-param-label', undefined, {
      for: id
    });
    label.append(
      element('span', 'jp-greenhouse-param-name', parameter.name),
      element('span', 'jp-greenhouse-param-type', parameter.type)
    );
    this._error = element('div', 'jp-greenhouse-param-error', undefined, {
      role: 'alert'
    });
    this._input = this._createInput(parameter, kind, id, trans);
    this.node.append(label, this._inputRow(parameter, kind));
    if (sweeps && kind !== 'password') {
      // Secrets are not swept: their values would travel in the sweep's table.
      const more = element('input', 'jp-greenhouse-param-more', undefined, {
        type: 'text',
        autocomplete: 'off',
        spellcheck: 'false',
        placeholder: trans.__('more values for a sweep, separated by ;'),
        'aria-label': trans.__('More values of %1 for a sweep', parameter.name)
      });
      more.addEventListener('input', () =>
        _model.setMoreValues(parameter.name, more.value)
      );
      this._more = more;
      this._moreError = element(
        'div',
        'jp-greenhouse-param-more-error',
        undefined,
        { role: 'alert' }
      );
      this.node.append(more, this._moreError);
    }
    if (parameter.help) {
      this.node.append(
        element('div', 'jp-greenhouse-param-help', parameter.help)
      );
    }
    this.node.append(this._error);
  }

  /**
   * The field's root element.
   */
  readonly node: HTMLElement;

  /**
   * Show the model's input (unless it is being typed) and problem.
   */
  update(state: FormModel.IField): void {
    const input = this._input;
    if (input instanceof HTMLInputElement && input.type === 'checkbox') {
      input.checked = state.input === true;
    } else if (
      input.value !== state.input &&
      document.activeElement !== input
    ) {
      input.value = String(state.input);
    }
    if (this._range && document.activeElement !== this._range) {
      this._range.value = input.value;
    }
    if (this._more && document.activeElement !== this._more) {
      this._more.value = this._model.moreValues(state.parameter.name);
    }
    if (this._more && this._moreError) {
      const bad = state.moreError !== null;
      this._more.classList.toggle('jp-greenhouse-invalid-input', bad);
      this._more.setAttribute('aria-invalid', String(bad));
      this._moreError.textContent = state.moreError ?? '';
    }
    this.node.classList.toggle('jp-greenhouse-invalid', state.error !== null);
    input.setAttribute('aria-invalid', String(state.error !== null));
    this._error.textContent = state.error ?? '';
  }

  private _createInput(
    parameter: IParameter,
    kind: FormModel.IField['kind'],
    id: string,
    trans: TranslationBundle
  ): HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement {
    const name = parameter.name;
    const send = (input: string | boolean) => this._model.setInput(name, input);
    let input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
    if (kind === 'checkbox') {
      const box = element('input', 'jp-greenhouse-param-input', undefined, {
        type: 'checkbox'
      });
      box.addEventListener('change', () => send(box.checked));
      input = box;
    } else if (kind === 'select') {
      input = this._select(parameter, trans);
    } else if (kind === 'json') {
      input = element('textarea', 'jp-greenhouse-param-input', undefined, {
        rows: '2',
        spellcheck: 'false',
        placeholder: trans.__('JSON value')
      });
    } else {
      const type = kind === 'password' ? 'password' : 'text';
      input = element('input', 'jp-greenhouse-param-input', undefined, {
        type,
        autocomplete: kind === 'password' ? 'new-password' : 'off',
        inputmode: kind === 'number' || kind === 'slider' ? 'decimal' : 'text'
      });
      if (kind === 'password') {
        input.placeholder = trans.__('unchanged (secret)');
      } else if (parameter.default === null) {
        input.placeholder = trans.__('None');
      }
    }
    input.id = id;
    if (kind !== 'checkbox') {
      const event = kind === 'select' ? 'change' : 'input';
      input.addEventListener(event, () => send(input.value));
      input.addEventListener('blur', () => send(input.value));
    }
    return input;
  }

  private _select(
    parameter: IParameter,
    trans: TranslationBundle
  ): HTMLSelectElement {
    const select = element('select', 'jp-greenhouse-param-input');
    const options = selectOptions(parameter.field);
    const initial = JSON.stringify(parameter.default);
    if (!options.some(([value]) => value === initial)) {
      // A default outside the choices is kept as it is unless another is chosen.
      const label = trans.__('%1 (default)', displayValue(parameter.default));
      options.unshift([initial, label]);
    }
    for (const [value, label] of options) {
      select.append(element('option', '', label, { value }));
    }
    return select;
  }

  private _inputRow(parameter: IParameter, kind: string): HTMLElement {
    const row = element('div', 'jp-greenhouse-param-row');
    const { kind: valueKind, minimum, maximum } = parameter.field;
    if (kind === 'slider' && minimum !== null && maximum !== null) {
      const step =
        valueKind === 'integer' ? '1' : String((maximum - minimum) / 100);
      const range = element('input', 'jp-greenhouse-param-range', undefined, {
        type: 'range',
        min: String(minimum),
        max: String(maximum),
        step,
        'aria-label': parameter.name
      });
      range.addEventListener('input', () => {
        this._input.value = range.value;
        this._model.setInput(parameter.name, range.value);
      });
      this._range = range;
      row.append(range);
    }
    row.append(this._input);
    return row;
  }

  private _input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
  private _range: HTMLInputElement | null = null;
  private _more: HTMLInputElement | null = null;
  private _moreError: HTMLElement | null = null;
  private _error: HTMLElement;
}

/**
 * Types of the parameter form.
 */
export namespace ParameterForm {
  /**
   * Options of the form.
   */
  export interface IOptions {
    /**
     * Whether each field offers further values for a sweep (default yes).
     */
    sweeps?: boolean;
  }
}
