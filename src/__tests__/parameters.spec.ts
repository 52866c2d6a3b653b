import type { IParameterField, JSONValue } from '../api';
import {
  FieldInput,
  initialInput,
  inputKind,
  readField,
  sameValue,
  selectOptions
} from '../parameters';
import coercion from '../../tests/cases/coercion.json';
import { parameter } from './fakes';

type Options = Parameters<typeof parameter>[2];

/**
 * A parameter named `p`, declared with `type` and the given options.
 */
function param(type: string, options: Options = {}) {
  return parameter('p', type, options);
}

/**
 * The field of a parameter named `p`, as the server describes it.
 */
function field(type: string, options: Options = {}): IParameterField {
  return param(type, options).field;
}

describe('inputKind', () => {
  it.each<[string, Options, string]>([
    ['bool', {}, 'checkbox'],
    ['bool | None', {}, 'select'],
    ['bool | None', { secret: true }, 'password'],
    ['int', {}, 'number'],
    ['int', { min: 1 }, 'number'],
    ['int', { min: 1, max: 10 }, 'slider'],
    ['float | None', { min: 0, max: 1 }, 'slider'],
    ['str', {}, 'text'],
    ['str', { choices: ['a', 'b'] }, 'select'],
    ['int', { choices: [1, 2] }, 'select'],
    ['str', { secret: true }, 'password'],
    ['int', { secret: true }, 'password'],
    ['int', { secret: true, choices: [1, 2] }, 'password'],
    ['list', {}, 'json'],
    ['list[int]', {}, 'json'],
    ['list[str]', { choices: ['a', 'b'] }, 'json'],
    ['dict', {}, 'json'],
    ['dict[str, float]', {}, 'json'],
    ['any', {}, 'json'],
    ['str | None', {}, 'text']
  ])('gives %s %j a %s input', (type, options, kind) => {
    expect(inputKind(field(type, options))).toBe(kind);
  });

  it.each<[IParameterField['kind'], string]>([
    ['integer', 'number'],
    ['boolean', 'checkbox'],
    ['list', 'json']
  ])('follows the field (%s), not the type text', (kind, input) => {
    expect(inputKind(field('str', { field: { kind } }))).toBe(input);
  });
});

describe('initialInput', () => {
  it.each<[string, Options, FieldInput]>([
    ['bool', { default: true }, true],
    ['bool', { default: false }, false],
    ['int', { default: 10 }, '10'],
    ['float', { default: 0.01 }, '0.01'],
    ['str', { default: 'fast' }, 'fast'],
    ['str', { default: 'fast', choices: ['fast', 'thorough'] }, '"fast"'],
    ['bool | None', { default: null }, 'null'],
    ['list[int]', { default: [64, 32] }, '[64,32]'],
    ['dict', { default: { a: 1 } }, '{"a":1}'],
    ['int | None', { default: null }, ''],
    ['any', { default: null }, ''],
    ['str', { default: '***', secret: true }, ''],
    ['int', { default: '***', secret: true }, '']
  ])('writes the default of %s %j as %j', (type, options, input) => {
    expect(initialInput(param(type, options))).toEqual(input);
  });
});

describe('selectOptions', () => {
  it('offers the choices in the order the server gives them', () => {
    const options = selectOptions(
      field('str | None', {
        choices: ['fast', 'thorough'],
        field: { choices: ['fast', 'thorough', null] }
      })
    );
    expect(options).toEqual([
      ['"fast"', 'fast'],
      ['"thorough"', 'thorough'],
      ['null', 'None']
    ]);
  });

  it('offers true, false and None for bool | None', () => {
    expect(selectOptions(field('bool | None')).map(([value]) => value)).toEqual(
      ['true', 'false', 'null']
    );
  });
});

describe('readField', () => {
  it.each<[string, Options, FieldInput, JSONValue]>([
    ['int', {}, '42', 42],
    ['int', {}, ' -7 ', -7],
    ['int', { min: 1, max: 10 }, '10', 10],
    ['int | None', {}, '', null],
    ['float', {}, '0.5', 0.5],
    ['float', {}, '1e-3', 0.001],
    ['float', {}, '2', 2],
    ['float', {}, '.5', 0.5],
    ['float', { min: 0, max: 1 }, '0', 0],
    ['float | None', {}, '  ', null],
    ['bool', {}, true, true],
    ['bool', {}, false, false],
    ['bool | None', {}, 'null', null],
    ['bool | None', {}, 'false', false],
    ['bool | None', { secret: true }, 'None', null],
    ['str', {}, '', ''],
    ['str', {}, ' spaced ', ' spaced '],
    ['str | None', {}, 'x', 'x'],
    ['str', { choices: ['fast', 'thorough'] }, '"thorough"', 'thorough'],
    ['int', { choices: [1, 2] }, '2', 2],
    ['str | None', { choices: ['a', null] }, 'null', null],
    ['list', {}, '[1, "a", null]', [1, 'a', null]],
    ['list[int]', {}, '[64, 32]', [64, 32]],
    ['list[float]', {}, '[1, 2.5]', [1, 2.5]],
    ['list[str]', {}, '[]', []],
    [
      'list[str]',
      {},
      'bill_depth_mm, body_mass_g',
      ['bill_depth_mm', 'body_mass_g']
    ],
    ['list[int]', {}, '64, 32', [64, 32]],
    ['list[str]', {}, 'a', ['a']],
    ['list[str]', { choices: ['a', 'b'] }, 'b, a', ['b', 'a']],
    ['list[str]', { choices: ['a', 'b'] }, '["a"]', ['a']],
    ['list[int | None]', {}, '[1, null]', [1, null]],
    ['list[list[int]]', {}, '[[1], [2, 3]]', [[1], [2, 3]]],
    ['dict', {}, '{"a": [1]}', { a: [1] }],
    ['dict[str, float]', {}, '{"lr": 0.1, "n": 2}', { lr: 0.1, n: 2 }],
    ['list | None', {}, '', null],
    ['any', {}, '3', 3],
    ['any', {}, 'a=b', 'a=b'],
    ['any', {}, '', null],
    ['Tensor', {}, 'not json', 'not json'],
    ['int', { secret: true }, '7', 7],
    ['int', { secret: true, choices: [1, 2] }, '2', 2],
    ['str', { secret: true }, 's3cret', 's3cret']
  ])('reads %s %j from %j as %j', (type, options, input, value) => {
    expect(readField(field(type, options), input)).toEqual({ ok: true, value });
  });

  it.each<[string, Options, FieldInput, string]>([
    ['int', {}, 'ten', 'expected a whole number'],
    ['int', {}, '2.5', 'expected a whole number'],
    ['int', {}, '', 'expected a whole number'],
    ['int | None', {}, 'ten', 'expected a whole number or None'],
    ['int', {}, '99999999999999999999', 'too large'],
    ['int', { min: 1 }, '0', 'must be at least 1'],
    ['int', { max: 1000 }, '1001', 'must be at most 1000'],
    ['int', { secret: true, max: 9 }, '10', 'must be at most 9'],
    ['float', {}, 'abc', 'expected a number'],
    ['float', {}, '1e999', 'expected a number'],
    ['float', {}, 'NaN', 'expected a number'],
    ['float', {}, '0x10', 'expected a number'],
    ['float', {}, '', 'expected a number'],
    ['float', { min: 0, max: 1 }, '1.5', 'must be at most 1'],
    ['float', { min: 0, max: 1 }, '-0.1', 'must be at least 0'],
    [
      'str',
      { choices: ['fast', 'thorough'] },
      '"slow"',
      'slow is not one of fast, thorough'
    ],
    ['int', { choices: [1, 2] }, '3', '3 is not one of 1, 2'],
    ['int', { secret: true, choices: [1, 2] }, '3', '3 is not one of 1, 2'],
    ['str | None', { choices: ['a'] }, 'null', 'None is not one of a'],
    ['bool', { secret: true }, 'maybe', 'expected true or false'],
    [
      'bool | None',
      { secret: true },
      'maybe',
      'expected true or false or None'
    ],
    [
      'list',
      {},
      '[1, 2',
      'expected a list: values separated by commas (a, b), or JSON (["a", "b"])'
    ],
    ['list[int]', {}, '1, two', '[1]: expected a whole number'],
    [
      'list[str]',
      { choices: ['a', 'b'] },
      'a, c',
      '[1]: c is not one of the allowed items a, b'
    ],
    [
      'list[str]',
      { choices: ['a', 'b'] },
      '["c"]',
      '[0]: c is not one of the allowed items a, b'
    ],
    ['dict', {}, '{"a": ', 'expected a dict as JSON, such as {"a": 1}'],
    ['list', {}, '{"a": 1}', 'expected a list, got {"a":1} (dict)'],
    [
      'list[int]',
      {},
      '[1, "two"]',
      '[1]: expected a whole number, got "two" (string)'
    ],
    ['list[int]', {}, '[1, 2.5]', '[1]: expected a whole number, got 2.5'],
    ['list[int]', {}, '[true]', '[0]: expected a whole number, got true'],
    ['list[str]', {}, '"a"', 'expected a list, got "a" (string)'],
    ['dict', {}, '[1]', 'expected a dict, got [1] (list)'],
    ['dict', {}, 'null', 'expected a dict, got None'],
    [
      'dict[str, float]',
      {},
      '{"lr": "high"}',
      '["lr"]: expected a number, got "high" (string)'
    ],
    [
      'list[int | None]',
      {},
      '[1, "x"]',
      '[1]: expected a whole number or None, got "x" (string)'
    ]
  ])('refuses %s %j from %j: %s', (type, options, input, error) => {
    const result = readField(field(type, options), input);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.error).toContain(error);
  });

  it.each(['[b', '{"a"', '["a", b]', '[1,]'])(
    'reads a list[str] from %j without a raw JSON.parse message',
    input => {
      const result = readField(field('list[str]'), input);
      expect(result).toEqual({
        ok: false,
        error:
          'expected a list: values separated by commas (a, b), or JSON (["a", "b"])'
      });
    }
  );

  it('reads by the field, not the type text', () => {
    const integer = field('str', { field: { kind: 'integer' } });
    expect(readField(integer, '7')).toEqual({ ok: true, value: 7 });
    expect(readField(integer, 'x').ok).toBe(false);
  });
});

describe('the coercion cases shared with the Python validator', () => {
  it.each(coercion.accepted.map(c => [c.type, c.input, c.value as JSONValue]))(
    'reads %s from %j as %j',
    (type, input, value) => {
      expect(readField(field(type), input)).toEqual({ ok: true, value });
    }
  );

  it.each(coercion.refused.map(c => [c.type, c.input]))(
    'refuses %s from %j',
    (type, input) => {
      expect(readField(field(type), input).ok).toBe(false);
    }
  );
});

describe('sameValue', () => {
  it.each<[JSONValue, JSONValue, boolean]>([
    [1, 1, true],
    [1, 2, false],
    [null, null, true],
    [[1, [2]], [1, [2]], true],
    [[1], [1, 2], false],
    [{ a: 1, b: [2] }, { b: [2], a: 1 }, true],
    [{ a: 1 }, { b: 1 }, false],
    [{ a: 1 }, [1], false],
    [true, 1, false]
  ])('compares %j and %j: %s', (a, b, same) => {
    expect(sameValue(a, b)).toBe(same);
  });
});
