/**
 * The parameter form's pure logic: which input each parameter gets, and how an
 * input is read, coerced and checked before anything is sent to the server.
 *
 * The rules mirror the server's (`greenhouse_ext/params.py`): strict JSON types,
 * an int is accepted for a float, a bool is never a number, choices and bounds are
 * checked after coercion. Checking here only spares a round trip: the server checks
 * every value again.
 */
import type { IParameter, JSONValue } from './api';

/**
 * The kind of input a parameter is edited with.
 *
 * - `checkbox`: a `bool`.
 * - `select`: a parameter with choices, or a `bool | None`; its input is the JSON
 *   text of the chosen value.
 * - `slider`: an `int` or `float` with both bounds.
 * - `number`: an `int` or `float` without both bounds.
 * - `text`: a `str`.
 * - `password`: a secret parameter of any type, read as text of its type.
 * - `json`: a list, a dict, `any`, or a type greenhouse does not know.
 */
export type FieldKind =
  'checkbox' | 'select' | 'slider' | 'number' | 'text' | 'password' | 'json';

/**
 * What a form field holds: the checked state of a checkbox, otherwise its text.
 */
export type FieldInput = string | boolean;

/**
 * A field's value once read: the typed value, or why it cannot be sent.
 */
export type FieldResult =
  { ok: true; value: JSONValue } | { ok: false; error: string };

/**
 * The value the server shows instead of a secret default.
 */
export const SECRET_MASK = '***';

const OPTIONAL = ' | None';
const INTEGER = /^\s*[+-]?\d+\s*$/;
const FLOAT = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;
const TRUE_WORDS = new Set(['true', 'yes', '1', 'on']);
const FALSE_WORDS = new Set(['false', 'no', '0', 'off']);

/**
 * Split `T | None` into `T` and whether `None` is allowed.
 *
 * @param type - A normalised parameter type.
 * @returns The base type and whether the value may be null.
 */
export function splitOptional(type: string): {
  base: string;
  optional: boolean;
} {
  if (type.endsWith(OPTIONAL)) {
    return { base: type.slice(0, -OPTIONAL.length), optional: true };
  }
  return { base: type, optional: type === 'any' };
}

/**
 * The kind of input that edits a parameter.
 *
 * @param parameter - The parameter as the server declares it.
 * @returns The field kind (see {@link FieldKind}).
 */
export function fieldKind(parameter: IParameter): FieldKind {
  const { base, optional } = splitOptional(parameter.type);
  if (parameter.secret) {
    return 'password';
  }
  if (parameter.choices && parameter.choices.length > 0) {
    return 'select';
  }
  if (base === 'bool') {
    return optional ? 'select' : 'checkbox';
  }
  if (base === 'int' || base === 'float') {
    return parameter.min !== null && parameter.max !== null
      ? 'slider'
      : 'number';
  }
  return base === 'str' ? 'text' : 'json';
}

/**
 * The options of a `select` field, as `[input, label]` pairs.
 *
 * @param parameter - A parameter whose field kind is `select`.
 * @returns The choices (or true/false), then None when the type allows it.
 */
export function selectOptions(parameter: IParameter): [string, string][] {
  const { optional } = splitOptional(parameter.type);
  const values: unknown[] =
    parameter.choices && parameter.choices.length > 0
      ? [...parameter.choices]
      : [true, false];
  if (optional && !values.includes(null)) {
    values.push(null);
  }
  return values.map(value => [JSON.stringify(value), displayValue(value)]);
}

/**
 * The input a field starts with: the parameter's default, written for its kind.
 *
 * A secret's field starts empty (the server only shows a mask), as does a field
 * whose default is None; an empty field left as it was sends nothing.
 *
 * @param parameter - The parameter as the server declares it.
 * @returns The field's initial input.
 */
export function initialInput(parameter: IParameter): FieldInput {
  const kind = fieldKind(parameter);
  const value = parameter.default;
  if (kind === 'checkbox') {
    return value === true;
  }
  if (kind === 'select') {
    return JSON.stringify(value);
  }
  if (kind === 'password' || value === null) {
    return '';
  }
  if (kind === 'json') {
    return JSON.stringify(value);
  }
  return String(value);
}

/**
 * Read a field's input as a value of the parameter's type, and check it.
 *
 * @param parameter - The parameter as the server declares it.
 * @param input - The field's checked state or text.
 * @returns The typed value, or the first problem with it.
 */
export function readField(
  parameter: IParameter,
  input: FieldInput
): FieldResult {
  try {
    const value = coerce(parameter.type, parse(parameter, input), '');
    const problem =
      choiceProblem(parameter, value) ?? boundProblem(parameter, value);
    return problem ? { ok: false, error: problem } : { ok: true, value };
  } catch (error) {
    if (error instanceof MismatchError) {
      return { ok: false, error: error.message };
    }
    throw error;
  }
}

/**
 * A value shown to a person: strings as they are, anything else as JSON, None for null.
 *
 * @param value - A JSON value.
 * @returns Its display text.
 */
export function displayValue(value: unknown): string {
  if (value === null || value === undefined) {
    return 'None';
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Whether two JSON values are equal (objects compared by content).
 *
 * @param a - A JSON value.
 * @param b - Another JSON value.
 * @returns True when they hold the same content.
 */
export function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((item, index) => sameValue(item, b[index]))
    );
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every(key => key in b && sameValue(a[key], b[key]))
    );
  }
  return a === b;
}

/**
 * A value that does not fit a type; its message says where and why.
 */
class MismatchError extends Error {}

/**
 * The texts that mean None for an optional type, as on the command line.
 */
const NONE = new Set(['null', 'None', 'none']);

function parse(parameter: IParameter, input: FieldInput): JSONValue {
  if (typeof input === 'boolean') {
    return input;
  }
  const kind = fieldKind(parameter);
  if (kind === 'select') {
    try {
      return JSON.parse(input) as JSONValue;
    } catch {
      throw new MismatchError(`${input} is not one of the choices`);
    }
  }
  const { base, optional } = splitOptional(parameter.type);
  if (optional && base !== 'any' && NONE.has(input.trim())) {
    return null;
  }
  if (input.trim() === '' && optional && base !== 'str') {
    return null;
  }
  return fromText(base, input);
}

function fromText(base: string, text: string): JSONValue {
  if (base === 'str') {
    return text;
  }
  if (base === 'int') {
    if (!INTEGER.test(text)) {
      throw new MismatchError('expected a whole number');
    }
    const value = Number(text);
    if (!Number.isSafeInteger(value)) {
      throw new MismatchError(`${text.trim()} is too large for a whole number`);
    }
    return value;
  }
  if (base === 'float') {
    const value = Number(text);
    if (!FLOAT.test(text) || !Number.isFinite(value)) {
      throw new MismatchError('expected a number');
    }
    return value;
  }
  if (base === 'bool') {
    const word = text.trim().toLowerCase();
    if (TRUE_WORDS.has(word) || FALSE_WORDS.has(word)) {
      return TRUE_WORDS.has(word);
    }
    throw new MismatchError('expected true or false');
  }
  try {
    return JSON.parse(text) as JSONValue;
  } catch (error) {
    if (base === 'any' || !isKnown(base)) {
      return text;
    }
    throw new MismatchError(`not valid JSON (${(error as Error).message})`);
  }
}

function coerce(type: string, value: JSONValue, where: string): JSONValue {
  const { base, optional } = splitOptional(type);
  if (value === null && optional) {
    return null;
  }
  if (base === 'bool' && typeof value === 'boolean') {
    return value;
  }
  if (base === 'int' && Number.isInteger(value)) {
    return value;
  }
  if (base === 'float' && typeof value === 'number') {
    return value;
  }
  if (base === 'str' && typeof value === 'string') {
    return value;
  }
  if (isGeneric(base, 'list') && Array.isArray(value)) {
    const item = base.slice('list['.length, -1) || 'any';
    return value.map((element, index) =>
      coerce(item, element, `${where}[${index}]`)
    );
  }
  if (isGeneric(base, 'dict') && isObject(value)) {
    const item = base.slice('dict[str, '.length, -1) || 'any';
    const result: Record<string, JSONValue> = {};
    for (const [key, element] of Object.entries(value)) {
      result[key] = coerce(item, element, `${where}[${JSON.stringify(key)}]`);
    }
    return result;
  }
  if (base === 'any' || !isKnown(base)) {
    return value;
  }
  const prefix = where ? `${where}: ` : '';
  throw new MismatchError(`${prefix}expected ${type}, got ${describe(value)}`);
}

function choiceProblem(parameter: IParameter, value: JSONValue): string | null {
  const choices = parameter.choices;
  if (!choices || choices.length === 0) {
    return null;
  }
  if (value === null && splitOptional(parameter.type).optional) {
    return null;
  }
  if (choices.some(choice => sameValue(choice, value))) {
    return null;
  }
  const allowed = choices.map(displayValue).join(', ');
  return `${displayValue(value)} is not one of ${allowed}`;
}

function boundProblem(parameter: IParameter, value: JSONValue): string | null {
  if (typeof value !== 'number') {
    return null;
  }
  if (parameter.min !== null && value < parameter.min) {
    return `must be at least ${parameter.min}`;
  }
  if (parameter.max !== null && value > parameter.max) {
    return `must be at most ${parameter.max}`;
  }
  return null;
}

function isGeneric(type: string, name: string): boolean {
  return type === name || (type.startsWith(`${name}[`) && type.endsWith(']'));
}

function isKnown(type: string): boolean {
  return (
    ['int', 'float', 'bool', 'str', 'any'].includes(type) ||
    isGeneric(type, 'list') ||
    isGeneric(type, 'dict')
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: JSONValue): string {
  if (value === null) {
    return 'None';
  }
  const kind = Array.isArray(value)
    ? 'list'
    : isObject(value)
      ? 'dict'
      : typeof value;
  const text = JSON.stringify(value);
  return `${text.length > 40 ? text.slice(0, 37) + '...' : text} (${kind})`;
}
