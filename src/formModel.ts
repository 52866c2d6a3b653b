/**
 * The parameter form of the notebook in focus, without any DOM: each field's input
 * and problem, the further values of a sweep, and the one POST that sends the form
 * as a run or a sweep.
 */
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import type {
  ICreateRun,
  ICreateSweep,
  IParameter,
  IParameterSet,
  IRun,
  IStartedSweep,
  JSONValue
} from './api';
import {
  FieldInput,
  initialInput,
  inputKind,
  InputKind,
  readField,
  sameValue
} from './parameters';
import { GreenhouseRequestError, requestAPI } from './request';
import { readMoreValues, splitValues } from './sweeps';

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
 * The parameter form: the notebook's declared parameters and what is typed in them.
 */
export class FormModel implements IDisposable {
  /**
   * Emitted when the parameters were loaded (`parameters`) or a field, a problem
   * or a further value changed (`form`).
   */
  get changed(): ISignal<this, FormModel.Part> {
    return this._changed;
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
   * Whether the model has been disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Forget the last notebook's parameters, inputs and problems (`parameters`). Further
   * sweep values are kept.
   */
  clear(): void {
    this._parameterSet = null;
    this._parametersError = null;
    this._inputs.clear();
    this._initial.clear();
    this._fieldErrors.clear();
    this._moreErrors.clear();
    this._formProblems = [];
    this._changed.emit('parameters');
  }

  /**
   * Show the parameters the server declared; a field nothing was typed in shows its
   * default. The same set again changes nothing: the fields are not rebuilt.
   *
   * @param set - The server's answer to `GET parameters`.
   */
  setParameters(set: IParameterSet): void {
    if (JSON.stringify(set) === JSON.stringify(this._parameterSet)) {
      // The same parameters again (a save, or an edit elsewhere in the cell): the
      // fields stay as they are, so nothing being typed in them is rebuilt away.
      return;
    }
    this._parameterSet = set;
    this._parametersError = null;
    this._initial = new Map(set.parameters.map(p => [p.name, initialInput(p)]));
    this._changed.emit('parameters');
  }

  /**
   * Show why the parameters could not be loaded, instead of any field.
   *
   * @param message - The error's message.
   */
  setParametersError(message: string): void {
    this._parameterSet = null;
    this._parametersError = message;
    this._changed.emit('parameters');
  }

  /**
   * The state of one field of the parameter form.
   *
   * @param name - The parameter's name.
   * @returns Its declaration, input kind, current input and problem, or null.
   */
  field(name: string): FormModel.IField | null {
    const parameter = this._parameterSet?.parameters.find(p => p.name === name);
    if (!parameter) {
      return null;
    }
    return {
      parameter,
      kind: inputKind(parameter.field),
      input: this._inputs.get(name) ?? initialInput(parameter),
      error: this._fieldErrors.get(name) ?? null,
      moreError: this._moreErrors.get(name) ?? null
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
    this._setProblem(name, readField(field.parameter.field, input));
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
    const { error } = readMoreValues(field.parameter, text);
    if (error === null) {
      this._moreErrors.delete(name);
    } else {
      this._moreErrors.set(name, error);
    }
    this._changed.emit('form');
  }

  /**
   * How many runs a sweep of the form makes: the product of each field's count of
   * valid values (1 when no field has further values).
   */
  get sweepSize(): number {
    let size = 1;
    for (const [name, text] of this._more) {
      const field = this.field(name);
      if (field) {
        size *= 1 + readMoreValues(field.parameter, text).values.length;
      }
    }
    return size;
  }

  /**
   * Whether every field can be sent: none shows a problem, and no field edited since
   * the last check holds a value that cannot be read (a list item outside its allowed
   * items, a number out of bounds...).
   */
  get fieldsValid(): boolean {
    return this._fieldErrors.size === 0;
  }

  /**
   * Whether every further value of a sweep can be read.
   */
  get moreValuesValid(): boolean {
    return this._moreErrors.size === 0;
  }

  /**
   * Put every field back to the notebook's default.
   */
  resetForm(): void {
    this._more.clear();
    this._moreErrors.clear();
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
  validate(): FormModel.IValidation {
    const values: Record<string, JSONValue> = {};
    const errors: Record<string, string> = {};
    for (const parameter of this._parameterSet?.parameters ?? []) {
      const input = this._inputs.get(parameter.name);
      if (input === undefined || input === this._initial.get(parameter.name)) {
        continue;
      }
      const result = readField(parameter.field, input);
      if (!result.ok) {
        errors[parameter.name] = result.error;
      } else if (!sameValue(result.value, parameter.default)) {
        values[parameter.name] = result.value;
      }
    }
    return { values, errors };
  }

  /**
   * Read the form as text, as `-p NAME VALUE` writes values (a schedule keeps them so).
   *
   * @returns The fields changed from their defaults: a text value as it is, any other
   * as JSON.
   * @throws {InvalidFormError} When a field is invalid (its problem is shown on it).
   */
  textValues(): Record<string, string> {
    const { values, errors } = this.validate();
    this._refuseInvalid(errors);
    this._fieldErrors.clear();
    return Object.fromEntries(
      Object.entries(values).map(([name, value]) => [
        name,
        typeof value === 'string' ? value : JSON.stringify(value)
      ])
    );
  }

  /**
   * Send the form as a run of a notebook (`POST runs`).
   *
   * @param notebook - The notebook's path relative to the server's root.
   * @returns The new run as the server answered.
   * @throws {InvalidFormError} When a field is invalid (nothing is sent).
   * @throws {GreenhouseRequestError} When the server refuses; a 400's problems
   * are also shown on the fields they name.
   */
  async submitRun(notebook: string): Promise<IRun> {
    const { values, errors } = this.validate();
    this._refuseInvalid(errors);
    this._fieldErrors.clear();
    this._formProblems = [];
    const request: ICreateRun = { notebook, parameters: values };
    return this._post<IRun>('runs', request);
  }

  /**
   * Send the form as a sweep of a notebook (`POST sweeps`): every combination of
   * the fields' values, each an ordinary run.
   *
   * @param notebook - The notebook's path relative to the server's root.
   * @returns The started sweep as the server answered.
   * @throws {InvalidFormError} When a value is invalid (nothing is sent).
   * @throws {GreenhouseRequestError} When the server refuses; a 400's problems
   * are also shown on the fields they name.
   */
  async submitSweep(notebook: string): Promise<IStartedSweep> {
    const { values, errors } = this.validate();
    const parameters: Record<string, JSONValue[]> = {};
    for (const [name, value] of Object.entries(values)) {
      parameters[name] = [value];
    }
    const moreErrors: Record<string, string> = {};
    for (const [name, text] of this._more) {
      const field = this.field(name);
      if (!field || splitValues(text).length === 0) {
        continue;
      }
      const main = readField(field.parameter.field, field.input);
      const further = readMoreValues(field.parameter, text);
      if (!main.ok) {
        errors[name] = main.error;
      } else if (further.error === null) {
        parameters[name] = [main.value, ...further.values];
      }
      if (further.error !== null) {
        moreErrors[name] = further.error;
      }
    }
    this._refuseInvalid(errors, moreErrors);
    this._formProblems = [];
    const request: ICreateSweep = { notebook, parameters };
    return this._post<IStartedSweep>('sweeps', request);
  }

  /**
   * Stop signalling.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    Signal.clearData(this);
  }

  /**
   * Show a field's problem, or none when its value was read.
   */
  private _setProblem(
    name: string,
    result: { ok: true } | { ok: false; error: string }
  ): void {
    if (result.ok) {
      this._fieldErrors.delete(name);
    } else {
      this._fieldErrors.set(name, result.error);
    }
    this._changed.emit('form');
  }

  /**
   * Show the invalid fields' problems and throw, if there are any.
   */
  private _refuseInvalid(
    errors: Record<string, string>,
    moreErrors: Record<string, string> = {}
  ): void {
    const invalid = [...Object.entries(errors), ...Object.entries(moreErrors)];
    if (invalid.length > 0) {
      this._fieldErrors = new Map(Object.entries(errors));
      this._moreErrors = new Map(Object.entries(moreErrors));
      this._changed.emit('form');
      throw new InvalidFormError(
        invalid.map(([name, error]) => `${name}: ${error}`)
      );
    }
  }

  /**
   * POST the form's request; a 400 shows its problems on the fields before it is thrown.
   */
  private async _post<T>(
    route: string,
    request: ICreateRun | ICreateSweep
  ): Promise<T> {
    let answer: T;
    try {
      answer = await requestAPI<T>(route, {
        method: 'POST',
        body: JSON.stringify(request)
      });
    } catch (error) {
      if (error instanceof GreenhouseRequestError && error.status === 400) {
        this._showProblems(error);
      }
      throw error;
    }
    this._changed.emit('form');
    return answer;
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

  private _changed = new Signal<this, FormModel.Part>(this);
  private _isDisposed = false;
  private _parameterSet: IParameterSet | null = null;
  private _parametersError: string | null = null;
  private _inputs = new Map<string, FieldInput>();
  private _initial = new Map<string, FieldInput>();
  private _more = new Map<string, string>();
  private _fieldErrors = new Map<string, string>();
  private _moreErrors = new Map<string, string>();
  private _formProblems: string[] = [];
}

/**
 * Types of the form model.
 */
export namespace FormModel {
  /**
   * The part of the form a change signal is about.
   */
  export type Part = 'parameters' | 'form';

  /**
   * The state of one field of the parameter form.
   */
  export interface IField {
    /**
     * The parameter as the server declares it.
     */
    parameter: IParameter;
    /**
     * The input that edits it, chosen from its field's description.
     */
    kind: InputKind;
    /**
     * Its current checked state or text.
     */
    input: FieldInput;
    /**
     * Why its input cannot be sent, if it cannot.
     */
    error: string | null;
    /**
     * Why one of its further values for a sweep cannot be sent, if one cannot.
     */
    moreError: string | null;
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
