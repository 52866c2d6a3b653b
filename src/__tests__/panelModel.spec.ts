import type { IRun } from '../api';
import { PanelModel } from '../panelModel';
import {
  FakeServer,
  FakeTimers,
  httpError,
  parameter,
  requestAPI,
  run
} from './fakes';

jest.mock('../request', () => ({
  ...jest.requireActual('../request'),
  requestAPI: jest.fn()
}));

const PARAMETERS = [
  parameter('learning_rate', 'float', { default: 0.02, min: 0, max: 1 }),
  parameter('epochs', 'int', { default: 50, min: 1, max: 10000 })
];

/**
 * A server holding train.ipynb with `runs` in its history, and a model on it.
 */
async function modelOn(
  runs: IRun[] = [],
  options: PanelModel.IOptions = {}
): Promise<{
  model: PanelModel;
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

const models: PanelModel[] = [];

/**
 * A model polling with fake timers, disposed after the test.
 */
function newModel(options: PanelModel.IOptions = {}): PanelModel {
  const model = new PanelModel({ timers: new FakeTimers(), ...options });
  models.push(model);
  return model;
}

afterEach(() => {
  models.splice(0).forEach(model => model.dispose());
  requestAPI.mockReset();
});

describe('PanelModel: the notebook in focus', () => {
  it('loads the parameters and the runs of the notebook', async () => {
    const { model, server } = await modelOn([run('r-1', 'succeeded')]);

    expect(server.called()).toEqual([
      'parameters?path=train.ipynb',
      'runs?notebook=train.ipynb&limit=50'
    ]);
    expect(model.notebook).toBe('train.ipynb');
    expect(model.form.parameterSet?.parameters).toHaveLength(PARAMETERS.length);
    expect(model.history.runs.map(r => r.id)).toEqual(['r-1']);
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
    const parts: PanelModel.Part[] = [];
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

    expect(model.form.parameterSet).toBeNull();
    expect(model.form.parametersError).toBe('Notebook not found: gone.ipynb');
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
    expect(model.form.parameterSet?.parameters.map(p => p.name)).toEqual(['n']);
    model.dispose();
  });

  it('shows nothing without a notebook', async () => {
    const { model, server } = await modelOn();

    await model.setNotebook(null);

    expect(model.form.parameterSet).toBeNull();
    expect(model.history.runs).toEqual([]);
    expect(server.calls).toHaveLength(2);
  });
});

describe('PanelModel: running', () => {
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
    model.form.setInput('epochs', '200');

    const started = await model.run();

    const history = model.history;
    expect(started.id).toBe('r-1');
    expect(server.calls.at(-1)).toEqual({
      method: 'POST',
      endPoint: 'runs',
      body: { notebook: 'train.ipynb', parameters: { epochs: 200 } }
    });
    expect(history.runs.map(r => [r.id, r.status])).toEqual([
      ['r-1', 'queued'],
      ['r-0', 'succeeded']
    ]);
    expect(timers.delays).toEqual([1000]);

    await timers.tick();
    expect(history.runs[0].progress).toEqual({ done: 1, total: 4, current: 1 });
    expect(history.log('r-1')).toBe('Executing: 25%\n');

    await timers.tick();
    expect(history.runs[0].progress?.done).toBe(3);

    await timers.tick();
    expect(history.runs[0]).toMatchObject({
      status: 'succeeded',
      metrics: { mse: 0.1 }
    });
    expect(history.log('r-1')).toBe('Executing: 25%\ndone\n');
    expect(server.called().filter(e => e.startsWith('runs/r-1/log'))).toEqual([
      'runs/r-1/log?offset=0',
      'runs/r-1/log?offset=15',
      'runs/r-1/log?offset=15'
    ]);
    expect(timers.pending).toBe(0);
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
    expect(model.form.formProblems).toEqual([]);
    expect(model.history.runs).toEqual([]);
  });
});
