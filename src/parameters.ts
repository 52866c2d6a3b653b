/**
 * The parameter form's pure logic: which input each parameter's field gets, and how
 * an input is read, coerced and checked before anything is sent to the server.
 *
 * The server reads each parameter's type once and describes its field (kind, nullable,
 * item, choices, bounds, secret): this module renders that description and never takes
 * the type text apart. Reading follows the server's rules
 * (`greenhouse_ext/parameters/validation.py`): strict JSON types, an int is accepted for
 * a number, a bool is never a number, choices and bounds are checked after coercion.
 * Checking here only spares a round trip: the server checks every value again.
 */
import type {
  IParameter,
  IParameterField,
  IParameterType,
  JSONValue
} from './api';

/**
 * The input a parameter's field is edited with.
 *
 * - `password`: a secret of any kind, read as text of its kind.
 * - `select`: a field with choices (a `bool | None` offers true, false and None); its
 *   input is the JSON text of the chosen value. A list's choices are its allowed items:
 *   the list is typed, as any list is.
 * - `checkbox`: a `boolean`.
 * - `slider`: an `integer` or a `number` with both bounds.
 * - `number`: an `integer` or a `number` without both bounds.
 * - `text`: `text`.
 * - `json`: a `list`, a `dict`, or any JSON value.
 */
export type InputKind =
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

const INTEGER = /^\s*[+-]?\d+\s*$/;
const FLOAT = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;
const TRUE_WORDS = new Set(['true', 'yes', '1', 'on']);
const FALSE_WORDS = new Set(['false', 'no', '0', 'off']);

/**
 * The texts that mean None for a nullable field, as on the command line.
 */
const NONE = new Set(['null', 'None', 'none']);

/**
 * The type of a list's elements or a dict's values when the server names none.
 */
const ANY: IParameterType = { kind: 'json', nullable: true, item: null };

/**
 * How a value of each kind is named in a problem.
 */
const EXPECTED: Record<IParameterType['kind'], string> = {
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  text: 'text',
  list: 'a list',
  dict: 'a dict',
  json: 'a JSON value'
};

/**
 * The input that edits a parameter's field.
 *
 * @param field - The field as the server describes it.
 * @returns The input kind (see {@link InputKind}).
 */
export function inputKind(field: IParameterField): InputKind {
  if (field.secret) {
    return 'password';
  }
  if (
    field.choices !== null &&
    field.choices.length > 0 &&
    field.kind !== 'list'
  ) {
    return 'select';
  }
  switch (field.kind) {
    case 'boolean':
      return 'checkbox';
    case 'integer':
    case 'number':
      return field.minimum !== null && field.maximum !== null
        ? 'slider'
        : 'number';
    case 'text':
      return 'text';
    default:
      return 'json';
  }
}

/**
 * The options of a `select` field, as `[input, label]` pairs.
 *
 * @param field - A field whose input kind is `select`.
 * @returns Its choices, in the server's order.
 */
export function selectOptions(field: IParameterField): [string, string][] {
  return (field.choices ?? []).map(value => [
    JSON.stringify(value),
    displayValue(value)
  ]);
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
  const kind = inputKind(parameter.field);
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
 * Read a field's input as a value of its kind, and check it.
 *
 * @param field - The field as the server describes it.
 * @param input - The field's checked state or text.
 * @returns The typed value, or the first problem with it.
 */
export function readField(
  field: IParameterField,
  input: FieldInput
): FieldResult {
  try {
    const value = coerce(field, parse(field, input), '');
    const problem = choiceProblem(field, value) ?? boundProblem(field, value);
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

function parse(field: IParameterField, input: FieldInput): JSONValue {
  if (typeof input === 'boolean') {
    return input;
  }
  if (inputKind(field) === 'select') {
    try {
      return JSON.parse(input) as JSONValue;
    } catch {
      throw new MismatchError(`${input} is not one of the choices`);
    }
  }
  const trimmed = input.trim();
  if (field.nullable && field.kind !== 'json' && NONE.has(trimmed)) {
    return null;
  }
  if (trimmed === '' && field.nullable && field.kind !== 'text') {
    return null;
  }
  return fromText(field, input);
}

function fromText(type: IParameterType, text: string): JSONValue {
  switch (type.kind) {
    case 'text':
      return text;
    case 'integer': {
      if (!INTEGER.test(text)) {
        throw new MismatchError(`expected ${expected(type)}`);
      }
      const value = Number(text);
      if (!Number.isSafeInteger(value)) {
        throw new MismatchError(
          `${text.trim()} is too large for a whole number`
        );
      }
      return value;
    }
    case 'number': {
      const value = Number(text);
      if (!FLOAT.test(text) || !Number.isFinite(value)) {
        throw new MismatchError(`expected ${expected(type)}`);
      }
      return value;
    }
    case 'boolean': {
      const word = text.trim().toLowerCase();
      if (TRUE_WORDS.has(word) || FALSE_WORDS.has(word)) {
        return TRUE_WORDS.has(word);
      }
      throw new MismatchError(`expected ${expected(type)}`);
    }
  }
  if (type.kind === 'list' && !JSON_START.test(text)) {
    // A list typed as people write one, `a, b`: items read as the item type reads them.
    const item = type.item ?? ANY;
    return text
      .split(',')
      .map(piece => piece.trim())
      .filter(piece => piece !== '')
      .map((piece, index) => {
        try {
          return fromText(item, piece);
        } catch (error) {
          const message = (error as Error).message;
          throw new MismatchError(`[${index}]: ${message}, got ${piece}`);
        }
      });
  }
  try {
    return JSON.parse(text) as JSONValue;
  } catch {
    if (type.kind === 'json') {
      return text;
    }
    throw new MismatchError(
      JSON_EXAMPLES[type.kind] ?? `expected ${expected(type)}`
    );
  }
}

/**
 * Text that is meant as JSON rather than as a list written with commas.
 */
const JSON_START = /^\s*["[{]/;

/**
 * What a list or dict that could not be read should look like.
 */
const JSON_EXAMPLES: Partial<Record<IParameterType['kind'], string>> = {
  list: 'expected a list: values separated by commas (a, b), or JSON (["a", "b"])',
  dict: 'expected a dict as JSON, such as {"a": 1}'
};

function coerce(
  type: IParameterType,
  value: JSONValue,
  where: string
): JSONValue {
  if (value === null && type.nullable) {
    return null;
  }
  switch (type.kind) {
    case 'json':
      return value;
    case 'boolean':
      if (typeof value === 'boolean') {
        return value;
      }
      break;
    case 'integer':
      if (typeof value === 'number' && Number.isInteger(value)) {
        return value;
      }
      break;
    case 'number':
      if (typeof value === 'number') {
        return value;
      }
      break;
    case 'text':
      if (typeof value === 'string') {
        return value;
      }
      break;
    case 'list':
      if (Array.isArray(value)) {
        const item = type.item ?? ANY;
        return value.map((element, index) =>
          coerce(item, element, `${where}[${index}]`)
        );
      }
      break;
    case 'dict':
      if (isObject(value)) {
        const item = type.item ?? ANY;
        const result: Record<string, JSONValue> = {};
        for (const [key, element] of Object.entries(value)) {
          result[key] = coerce(
            item,
            element,
            `${where}[${JSON.stringify(key)}]`
          );
        }
        return result;
      }
      break;
  }
  const prefix = where ? `${where}: ` : '';
  throw new MismatchError(
    `${prefix}expected ${expected(type)}, got ${describe(value)}`
  );
}

function expected(type: IParameterType): string {
  const none = type.nullable && type.kind !== 'json' ? ' or None' : '';
  return EXPECTED[type.kind] + none;
}

function choiceProblem(
  field: IParameterField,
  value: JSONValue
): string | null {
  const choices = field.choices;
  if (!choices || choices.length === 0) {
    return null;
  }
  const allowed = choices.map(displayValue).join(', ');
  if (field.kind === 'list' && Array.isArray(value)) {
    // A list's choices are the items it may hold.
    const index = value.findIndex(
      item => !choices.some(choice => sameValue(choice, item))
    );
    return index < 0
      ? null
      : `[${index}]: ${displayValue(value[index])} is not one of the allowed items ${allowed}`;
  }
  if (choices.some(choice => sameValue(choice, value))) {
    return null;
  }
  return `${displayValue(value)} is not one of ${allowed}`;
}

function boundProblem(field: IParameterField, value: JSONValue): string | null {
  if (typeof value !== 'number') {
    return null;
  }
  if (field.minimum !== null && value < field.minimum) {
    return `must be at least ${field.minimum}`;
  }
  if (field.maximum !== null && value > field.maximum) {
    return `must be at most ${field.maximum}`;
  }
  return null;
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
