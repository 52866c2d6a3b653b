import { FormModel, InvalidFormError } from '../formModel';
import { GreenhouseRequestError } from '../request';
import { FakeServer, httpError, parameter, requestAPI } from './fakes';

jest.mock('../request', () => ({
  ...jest.requireActual('../request'),
  requestAPI: jest.fn()
}));

const PARAMETERS = [
  parameter('learning_rate', 'float', { default: 0.02, min: 0, max: 1 }),
  parameter('epochs', 'int', { default: 50, min: 1, max: 10000 }),
  parameter('model', 'str', {
    default: 'linear',
    choices: ['linear', 'constant']
  }),
  parameter('layers', 'list[int]', { default: [64, 32] }),
  parameter('verbose', 'bool', { default: false }),
  parameter('api_token', 'str', { default: '***', secret: true })
];

/**
 * The form of train.ipynb, its parameters loaded.
 */
function trainForm(): FormModel {
  const form = new FormModel();
  form.setParameters({
    notebook: 'train.ipynb',
    parameters: PARAMETERS,
    warnings: []
  });
  return form;
}

afterEach(() => {
  requestAPI.mockReset();
});

describe('FormModel: the fields', () => {
  it('starts every field at its default, a secret empty', () => {
    const form = trainForm();

    expect(form.field('epochs')).toMatchObject({
      kind: 'slider',
      input: '50',
      error: null
    });
    expect(form.field('model')).toMatchObject({
      kind: 'select',
      input: '"linear"'
    });
    expect(form.field('layers')).toMatchObject({
      kind: 'json',
      input: '[64,32]'
    });
    expect(form.field('verbose')).toMatchObject({
      kind: 'checkbox',
      input: false
    });
    expect(form.field('api_token')).toMatchObject({
      kind: 'password',
      input: ''
    });
    expect(form.field('unknown')).toBeNull();
  });

  it('sends only the values changed from the defaults', () => {
    const form = trainForm();

    form.setInput('epochs', '200');
    form.setInput('learning_rate', '0.02');
    form.setInput('layers', '[128]');
    form.setInput('verbose', true);
    form.setInput('model', '"constant"');
    form.setInput('api_token', 'tok');

    expect(form.validate()).toEqual({
      values: {
        epochs: 200,
        layers: [128],
        verbose: true,
        model: 'constant',
        api_token: 'tok'
      },
      errors: {}
    });
  });

  it('reads the changed values as text for a schedule, and refuses an invalid one', () => {
    const form = trainForm();

    form.setInput('epochs', '200');
    form.setInput('layers', '[128]');
    form.setInput('model', '"constant"');
    expect(form.textValues()).toEqual({
      epochs: '200',
      layers: '[128]',
      model: 'constant'
    });

    form.setInput('epochs', '0');
    expect(() => form.textValues()).toThrow(InvalidFormError);
    expect(form.field('epochs')?.error).toBe('must be at least 1');
  });

  it('keeps its fields when the same parameters come again', () => {
    const form = trainForm();
    form.setInput('epochs', '30');
    const changed = jest.fn();
    form.changed.connect(changed);

    form.setParameters({
      notebook: 'train.ipynb',
      parameters: PARAMETERS.map(p => ({ ...p })),
      warnings: []
    });

    expect(changed).not.toHaveBeenCalled();
    expect(form.field('epochs')?.input).toBe('30');
  });

  it('shows a problem as soon as a value is typed, and clears it once fixed', () => {
    const form = trainForm();

    form.setInput('epochs', '0');
    expect(form.field('epochs')?.error).toBe('must be at least 1');

    form.setInput('epochs', '5');
    expect(form.field('epochs')?.error).toBeNull();
  });

  it('reads a secret int as a number and offers None for a bool | None', () => {
    const form = new FormModel();
    form.setParameters({
      notebook: 'nb.ipynb',
      parameters: [
        parameter('pin', 'int', { default: '***', secret: true, max: 9999 }),
        parameter('flag', 'bool | None')
      ],
      warnings: []
    });
    expect(form.field('pin')).toMatchObject({ kind: 'password', input: '' });
    expect(form.field('flag')).toMatchObject({ kind: 'select', input: 'null' });

    form.setInput('pin', '1234');
    form.setInput('flag', 'false');
    expect(form.validate()).toEqual({
      values: { pin: 1234, flag: false },
      errors: {}
    });

    form.setInput('pin', '12345');
    expect(form.field('pin')?.error).toBe('must be at most 9999');
    form.dispose();
  });

  it('puts every field back to its default', () => {
    const form = trainForm();
    form.setInput('epochs', 'x');

    form.resetForm();

    expect(form.field('epochs')).toMatchObject({ input: '50', error: null });
    expect(form.validate()).toEqual({ values: {}, errors: {} });
  });
});

describe('FormModel: sending', () => {
  it('sends nothing while a value is invalid', async () => {
    const server = new FakeServer();
    const form = trainForm();
    form.setInput('epochs', 'ten');
    form.setInput('layers', '[1, "a"]');

    await expect(form.submitRun('train.ipynb')).rejects.toBeInstanceOf(
      InvalidFormError
    );

    expect(server.called('POST')).toEqual([]);
    expect(form.field('layers')?.error).toContain(
      '[1]: expected a whole number'
    );
  });

  it('shows a 400 on the fields it names, and the rest above them', async () => {
    const server = new FakeServer();
    const form = trainForm();
    server.on(
      'POST runs',
      httpError(400, 'Invalid parameters for train.ipynb:', [
        'epochs: 20000 is above the maximum 10000.',
        "'seed' is not a parameter of train.ipynb."
      ])
    );
    form.setInput('epochs', '200');

    await expect(form.submitRun('train.ipynb')).rejects.toMatchObject({
      status: 400
    });

    expect(form.field('epochs')?.error).toBe(
      '20000 is above the maximum 10000.'
    );
    expect(form.formProblems).toEqual([
      "'seed' is not a parameter of train.ipynb."
    ]);
  });

  it('shows the message of a 400 that lists no problems', async () => {
    const server = new FakeServer();
    const form = trainForm();
    server.on('POST runs', httpError(400, "field 'timeout' must be a number"));

    await expect(form.submitRun('train.ipynb')).rejects.toBeInstanceOf(
      GreenhouseRequestError
    );

    expect(form.formProblems).toEqual(["field 'timeout' must be a number"]);
  });
});
