import type { IRun } from '../api';
import { GreenhouseModel, InvalidFormError } from '../model';
import { GreenhouseRequestError } from '../request';
import {
  FakeServer,
  FakeTimers,
  httpError,
  parameter,
  requestAPI,
  run,
  settle
} from './fakes';

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
 * A server holding train.ipynb with `runs` in its history, and a model on it.
 */
async function modelOn(
  runs: IRun[] = [],
  options: GreenhouseModel.IOptions = {}
): Promise<{
  model: GreenhouseModel;
  server: FakeServer;
  timers: FakeTimers;
}> {
  const server = new FakeServer()
    .on('GET parameters', {
      notebook: 'train.ipynb',
      parameters: PARAMETERS,
      warnings: []
    })
    .on('GET runs', { runs });
  const timers = new FakeTimers();
  const model = newModel({ timers, ...options });
  await model.setNotebook('train.ipynb');
  return { model, server, timers };
}

const models: GreenhouseModel[] = [];

/**
 * A model polling with fake timers, disposed after the test.
 */
function newModel(options: GreenhouseModel.IOptions = {}): GreenhouseModel {
  const model = new GreenhouseModel({ timers: new FakeTimers(), ...options });
  models.push(model);
  return model;
}

afterEach(() => {
  models.splice(0).forEach(model => model.dispose());
  requestAPI.mockReset();
});

describe('GreenhouseModel: the notebook in focus', () => {
  it('loads the parameters and the runs of the notebook', async () => {
    const { model, server } = await modelOn([run('r-1', 'succeeded')]);

    expect(server.called()).toEqual([
      'parameters?path=train.ipynb',
      'runs?notebook=train.ipynb&limit=50'
    ]);
    expect(model.notebook).toBe('train.ipynb');
    expect(model.parameterSet?.parameters).toHaveLength(PARAMETERS.length);
    expect(model.runs.map(r => r.id)).toEqual(['r-1']);
  });

  it('emits what changed', async () => {
    new FakeServer()
      .on('GET parameters', {
        notebook: 'a.ipynb',
        parameters: [],
        warnings: []
      })
      .on('GET runs', { runs: [] });
    const model = newModel();
    const parts: GreenhouseModel.Part[] = [];
    model.changed.connect((_, part) => parts.push(part));

    await model.setNotebook('a.ipynb');

    expect(parts).toEqual(
      expect.arrayContaining(['notebook', 'parameters', 'runs'])
    );
    model.dispose();
  });

  it('keeps the error when the parameters cannot be read', async () => {
    new FakeServer()
      .on('GET parameters', httpError(404, 'Notebook not found: gone.ipynb'))
      .on('GET runs', { runs: [] });
    const model = newModel();

    await model.setNotebook('gone.ipynb');

    expect(model.parameterSet).toBeNull();
    expect(model.parametersError).toBe('Notebook not found: gone.ipynb');
    model.dispose();
  });

  it('reports a failure to list the runs', async () => {
    new FakeServer()
      .on('GET parameters', {
        notebook: 'a.ipynb',
        parameters: [],
        warnings: []
      })
      .on('GET runs', httpError(500, 'Unhandled error: OperationalError'));
    const model = newModel();

    await model.setNotebook('a.ipynb');

    expect(model.lastError).toBe('Unhandled error: OperationalError');
    model.clearError();
    expect(model.lastError).toBeNull();
    model.dispose();
  });

  it('ignores the answers about a notebook no longer in focus', async () => {
    const server = new FakeServer().on('GET runs', { runs: [] });
    let answerFirst: (value: unknown) => void = () => undefined;
    server.on(
      'GET parameters',
      () => new Promise(resolve => (answerFirst = resolve)),
      { notebook: 'b.ipynb', parameters: [parameter('n', 'int')], warnings: [] }
    );
    const model = newModel();

    const first = model.setNotebook('a.ipynb');
    await model.setNotebook('b.ipynb');
    answerFirst({ notebook: 'a.ipynb', parameters: [], warnings: [] });
    await first;

    expect(model.notebook).toBe('b.ipynb');
    expect(model.parameterSet?.parameters.map(p => p.name)).toEqual(['n']);
    model.dispose();
  });

  it('shows nothing without a notebook', async () => {
    const { model, server } = await modelOn();

    await model.setNotebook(null);

    expect(model.parameterSet).toBeNull();
    expect(model.runs).toEqual([]);
    expect(server.calls).toHaveLength(2);
  });
});

describe('GreenhouseModel: the parameter form', () => {
  it('starts every field at its default, a secret empty', async () => {
    const { model } = await modelOn();

    expect(model.field('epochs')).toMatchObject({
      kind: 'slider',
      input: '50',
      error: null
    });
    expect(model.field('model')).toMatchObject({
      kind: 'select',
      input: '"linear"'
    });
    expect(model.field('layers')).toMatchObject({
      kind: 'json',
      input: '[64,32]'
    });
    expect(model.field('verbose')).toMatchObject({
      kind: 'checkbox',
      input: false
    });
    expect(model.field('api_token')).toMatchObject({
      kind: 'password',
      input: ''
    });
    expect(model.field('unknown')).toBeNull();
  });

  it('sends only the values changed from the defaults', async () => {
    const { model } = await modelOn();

    model.setInput('epochs', '200');
    model.setInput('learning_rate', '0.02');
    model.setInput('layers', '[128]');
    model.setInput('verbose', true);
    model.setInput('model', '"constant"');
    model.setInput('api_token', 'tok');

    expect(model.validate()).toEqual({
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

  it('shows a problem as soon as a value is typed, and clears it once fixed', async () => {
    const { model } = await modelOn();

    model.setInput('epochs', '0');
    expect(model.field('epochs')?.error).toBe('must be at least 1');

    model.setInput('epochs', '5');
    expect(model.field('epochs')?.error).toBeNull();
  });

  it('puts every field back to its default', async () => {
    const { model } = await modelOn();
    model.setInput('epochs', 'x');

    model.resetForm();

    expect(model.field('epochs')).toMatchObject({ input: '50', error: null });
    expect(model.validate()).toEqual({ values: {}, errors: {} });
  });
});

describe('GreenhouseModel: the history', () => {
  it('lists the runs again on its interval, showing the runs started elsewhere', async () => {
    const first = run('r-1', 'succeeded');
    const { model, server, timers } = await modelOn([first], {
      historyInterval: 5000
    });
    expect(timers.delays).toEqual([5000]);
    const later = run('r-2', 'running', {
      created_at: '2026-01-01T11:00:00+00:00'
    });
    server.on('GET runs', { runs: [later, first] });
    server.on('GET runs/r-2', later);
    const changes: string[] = [];
    model.changed.connect((_, part) => changes.push(part));

    await timers.tick();

    expect(model.runs.map(r => r.id)).toEqual(['r-2', 'r-1']);
    expect(changes).toEqual(['runs']);
    expect(timers.delays.sort()).toEqual([1000, 5000]);
  });

  it('changes nothing when the list is the same, and says nothing when it fails', async () => {
    const { model, server, timers } = await modelOn([run('r-1', 'succeeded')], {
      historyInterval: 5000
    });
    const changes: string[] = [];
    model.changed.connect((_, part) => changes.push(part));

    await timers.tick();
    server.on('GET runs', new Error('offline'));
    await timers.tick();

    expect(changes).toEqual([]);
    expect(model.lastError).toBeNull();
    expect(timers.delays).toEqual([5000]);
  });

  it('lets go of runs that fell beyond the limit, keeping one just started', async () => {
    const old = run('r-1', 'succeeded');
    const { model, server, timers } = await modelOn([old], {
      historyInterval: 5000
    });
    const newer = run('r-2', 'succeeded', {
      created_at: '2026-01-01T11:00:00+00:00'
    });
    server.on('GET runs', { runs: [newer] });

    await timers.tick();

    expect(model.runs.map(r => r.id)).toEqual(['r-2']);
  });

  it('stops listing once another notebook is in focus, or when disposed', async () => {
    const { model, server, timers } = await modelOn([], {
      historyInterval: 5000
    });
    server
      .on('GET parameters', {
        notebook: 'other.ipynb',
        parameters: [],
        warnings: []
      })
      .on('GET runs', { runs: [] });
    await model.setNotebook('other.ipynb');
    expect(timers.pending).toBe(1);
    await timers.tick();
    expect(
      server
        .called()
        .filter(e => e.startsWith('runs?'))
        .pop()
    ).toContain('other.ipynb');

    model.dispose();

    expect(timers.pending).toBe(0);
  });
});

describe('GreenhouseModel: running', () => {
  it('sends nothing while a value is invalid', async () => {
    const { model, server } = await modelOn();
    model.setInput('epochs', 'ten');
    model.setInput('layers', '[1, "a"]');

    await expect(model.run()).rejects.toBeInstanceOf(InvalidFormError);

    expect(server.called('POST')).toEqual([]);
    expect(model.field('layers')?.error).toContain('[1]: expected int');
  });

  it('starts a run, lists it at once and polls it to the end', async () => {
    const { model, server, timers } = await modelOn([run('r-0', 'succeeded')]);
    server
      .on('POST runs', run('r-1', 'queued', { parameters: { epochs: 200 } }))
      .on(
        'GET runs/r-1',
        run('r-1', 'running', { progress: { done: 1, total: 4, current: 1 } }),
        run('r-1', 'running', { progress: { done: 3, total: 4, current: 3 } }),
        run('r-1', 'succeeded', { metrics: { mse: 0.1 }, duration_s: 3.2 })
      )
      .on(
        'GET runs/r-1/log',
        { text: 'Executing: 25%\n', offset: 15 },
        { text: '', offset: 15 },
        { text: 'done\n', offset: 20 }
      );
    model.setInput('epochs', '200');

    const started = await model.run();

    expect(started.id).toBe('r-1');
    expect(server.calls.at(-1)).toEqual({
      method: 'POST',
      endPoint: 'runs',
      body: { notebook: 'train.ipynb', parameters: { epochs: 200 } }
    });
    expect(model.runs.map(r => [r.id, r.status])).toEqual([
      ['r-1', 'queued'],
      ['r-0', 'succeeded']
    ]);
    expect(timers.delays).toEqual([1000]);

    await timers.tick();
    expect(model.runs[0].progress).toEqual({ done: 1, total: 4, current: 1 });
    expect(model.log('r-1')).toBe('Executing: 25%\n');

    await timers.tick();
    expect(model.runs[0].progress?.done).toBe(3);

    await timers.tick();
    expect(model.runs[0]).toMatchObject({
      status: 'succeeded',
      metrics: { mse: 0.1 }
    });
    expect(model.log('r-1')).toBe('Executing: 25%\ndone\n');
    expect(server.called().filter(e => e.startsWith('runs/r-1/log'))).toEqual([
      'runs/r-1/log?offset=0',
      'runs/r-1/log?offset=15',
      'runs/r-1/log?offset=15'
    ]);
    expect(timers.pending).toBe(0);
  });

  it('polls the runs still running when a notebook is shown', async () => {
    const { timers } = await modelOn([
      run('r-2', 'running'),
      run('r-1', 'failed')
    ]);

    expect(timers.pending).toBe(1);
  });

  it('shows a 400 on the fields it names, and the rest above them', async () => {
    const { model, server } = await modelOn();
    server.on(
      'POST runs',
      httpError(400, 'Invalid parameters for train.ipynb:', [
        'epochs: 20000 is above the maximum 10000.',
        "'seed' is not a parameter of train.ipynb."
      ])
    );
    model.setInput('epochs', '200');

    await expect(model.run()).rejects.toMatchObject({ status: 400 });

    expect(model.field('epochs')?.error).toBe(
      '20000 is above the maximum 10000.'
    );
    expect(model.formProblems).toEqual([
      "'seed' is not a parameter of train.ipynb."
    ]);
  });

  it('shows the message of a 400 that lists no problems', async () => {
    const { model, server } = await modelOn();
    server.on('POST runs', httpError(400, "field 'timeout' must be a number"));

    await expect(model.run()).rejects.toBeInstanceOf(GreenhouseRequestError);

    expect(model.formProblems).toEqual(["field 'timeout' must be a number"]);
  });

  it('passes other server errors on without touching the form', async () => {
    const { model, server } = await modelOn();
    server.on(
      'POST runs',
      httpError(500, 'Unhandled error: OSError: disk full')
    );

    await expect(model.run()).rejects.toMatchObject({
      status: 500,
      message: 'Unhandled error: OSError: disk full'
    });
    expect(model.formProblems).toEqual([]);
    expect(model.runs).toEqual([]);
  });

  it('cancels a run and shows its new status', async () => {
    const { model, server } = await modelOn([run('r-1', 'running')]);
    server.on('POST runs/r-1/cancel', run('r-1', 'cancelled'));

    await model.cancel('r-1');

    expect(server.called('POST')).toEqual(['runs/r-1/cancel']);
    expect(model.runs[0].status).toBe('cancelled');
  });

  it('reports failed polls and gives up after three in a row', async () => {
    const { model, server, timers } = await modelOn([run('r-1', 'running')], {
      maxPollFailures: 3
    });
    server.on(
      'GET runs/r-1',
      httpError(502, 'The greenhouse server answered 502')
    );

    await timers.tick();
    expect(model.lastError).toBe('The greenhouse server answered 502');
    expect(timers.pending).toBe(1);

    await timers.tick();
    await timers.tick();
    expect(timers.pending).toBe(0);
  });

  it('stops polling a run the server no longer knows', async () => {
    const { model, server, timers } = await modelOn([run('r-1', 'running')]);
    server.on('GET runs/r-1', httpError(404, "No run 'r-1'"));

    await timers.tick();

    expect(model.lastError).toBe("No run 'r-1'");
    expect(timers.pending).toBe(0);
  });

  it('stops polling when disposed, even with a poll on its way', async () => {
    const { model, server, timers } = await modelOn([run('r-1', 'running')]);
    let answer: (value: unknown) => void = () => undefined;
    server.on('GET runs/r-1', () => new Promise(resolve => (answer = resolve)));

    await timers.tick();
    model.dispose();
    answer(run('r-1', 'running'));
    await settle();

    expect(model.isDisposed).toBe(true);
    expect(timers.pending).toBe(0);
    expect(server.called().filter(e => e.includes('/log'))).toEqual([]);
  });

  it('stops polling the runs of a notebook no longer in focus', async () => {
    const { model, server, timers } = await modelOn([run('r-1', 'running')]);
    server
      .on('GET parameters', {
        notebook: 'other.ipynb',
        parameters: [],
        warnings: []
      })
      .on('GET runs', { runs: [] });

    await model.setNotebook('other.ipynb');

    expect(timers.pending).toBe(0);
  });

  it('keeps only the end of a long log', async () => {
    const { model, server } = await modelOn([run('r-1', 'succeeded')], {
      logLimit: 10
    });
    server.on('GET runs/r-1/log', { text: '0123456789abcdef', offset: 16 });

    await model.loadLog('r-1');

    expect(model.log('r-1')).toBe('6789abcdef');
  });
});

describe('GreenhouseModel: diffs', () => {
  it('keeps the two latest choices', async () => {
    const { model } = await modelOn();

    model.toggleSelected('r-1');
    model.toggleSelected('r-2');
    model.toggleSelected('r-3');
    expect(model.selection).toEqual(['r-2', 'r-3']);

    model.toggleSelected('r-2');
    expect(model.selection).toEqual(['r-3']);
  });

  it('compares the two chosen runs, the older one on the left', async () => {
    const older = run('r-old', 'succeeded', {
      created_at: '2026-01-01T09:00:00+00:00'
    });
    const newer = run('r-new', 'succeeded', {
      created_at: '2026-01-02T09:00:00+00:00'
    });
    const { model, server } = await modelOn([newer, older]);
    const answer = {
      a: 'run r-old',
      b: 'run r-new',
      parameters: [],
      metrics: []
    };
    server.on('GET diff', answer);
    model.toggleSelected('r-new');
    model.toggleSelected('r-old');

    await expect(model.diff()).resolves.toBe(answer);

    expect(server.called().at(-1)).toBe('diff?a=r-old&b=r-new');
  });

  it('compares any two references it is given', async () => {
    const { model, server } = await modelOn();
    server.on('GET diff', {});

    await model.diff('train@1', 'train@production');

    expect(server.called().at(-1)).toBe(
      'diff?a=train%401&b=train%40production'
    );
  });

  it('refuses to compare fewer than two runs', async () => {
    const { model } = await modelOn();
    model.toggleSelected('r-1');

    await expect(model.diff()).rejects.toThrow('Choose two runs to compare.');
  });

  it('passes a server error on', async () => {
    const { model, server } = await modelOn();
    server.on('GET diff', httpError(404, "No run or version 'nope'"));

    await expect(model.diff('nope', 'r-1')).rejects.toMatchObject({
      status: 404
    });
  });
});
