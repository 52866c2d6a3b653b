import { ArtefactsModel } from '../artefacts';
import {
  FakeServer,
  FakeTimers,
  httpError,
  requestAPI,
  run,
  settle
} from './fakes';

jest.mock('../request', () => ({
  ...jest.requireActual('../request'),
  requestAPI: jest.fn()
}));

const models: ArtefactsModel[] = [];

/**
 * An empty server and a model of its artefacts, disposed after the test.
 */
function artefactsOn(timers = new FakeTimers()): {
  model: ArtefactsModel;
  server: FakeServer;
} {
  const model = new ArtefactsModel({ timers, pollMs: 500 });
  models.push(model);
  return { model, server: new FakeServer() };
}

afterEach(() => {
  models.splice(0).forEach(model => model.dispose());
  requestAPI.mockReset();
});

describe('ArtefactsModel', () => {
  const version = {
    name: 'train',
    number: 2,
    run_id: 'r-1',
    created_at: '2026-01-01T10:00:00+00:00',
    manifest_sha256: 'ab',
    published_by: 'ada',
    files: [],
    metrics: { mse: 0.1 },
    aliases: ['production']
  };

  it('publishes a run and lists the new version', async () => {
    const { model, server } = artefactsOn();
    server.on('POST publish', version).on('GET artefacts/train/versions', {
      name: 'train',
      versions: [version]
    });

    await expect(model.publish('r-1', 'train', ['production'])).resolves.toBe(
      version
    );

    expect(server.calls.find(c => c.method === 'POST')?.body).toEqual({
      run: 'r-1',
      name: 'train',
      aliases: ['production']
    });
    expect(model.artefactNames).toEqual(['train']);
    expect(model.versions('train')).toEqual([version]);
  });

  it('lists the artefacts', async () => {
    const { model, server } = artefactsOn();
    server.on('GET artefacts', { names: ['forecast', 'train'] });

    await model.loadArtefacts();

    expect(model.artefactNames).toEqual(['forecast', 'train']);
    expect(model.versions('train')).toBeNull();
  });

  it('moves an alias and lists the versions again', async () => {
    const { model, server } = artefactsOn();
    server
      .on('PUT artefacts/train/aliases/production', version)
      .on('GET artefacts/train/versions', { versions: [version] });

    await model.setAlias('train', 'production', 2);

    expect(server.calls.find(c => c.method === 'PUT')?.body).toEqual({
      version: 2
    });
    expect(model.versions('train')).toEqual([version]);
  });

  it('sends the reason for moving an alias', async () => {
    const { model, server } = artefactsOn();
    server
      .on('PUT artefacts/train/aliases/production', {
        ...version,
        change: null
      })
      .on('GET artefacts/train/versions', { versions: [version] });

    await model.setAlias('train', 'production', 2, 'higher recall');

    expect(server.calls.find(c => c.method === 'PUT')?.body).toEqual({
      version: 2,
      reason: 'higher recall'
    });
  });

  it('keeps the outcome of a verification', async () => {
    const { model, server } = artefactsOn();
    const answer = {
      ref: 'train@2',
      location: '/s',
      checked: 4,
      problems: [],
      ok: true
    };
    server.on('POST verify', answer);

    const pending = model.verify('train@2');
    expect(model.check('train@2')).toEqual({
      kind: 'verify',
      state: 'pending'
    });
    await pending;

    expect(server.calls.at(-1)?.body).toEqual({ ref: 'train@2' });
    expect(model.check('train@2')).toEqual({
      kind: 'verify',
      state: 'done',
      result: answer
    });
  });

  it("follows a reproduction's re-run, then keeps its comparison", async () => {
    const timers = new FakeTimers();
    const { model, server } = artefactsOn(timers);
    const comparison = {
      ref: 'train@2',
      verdict: 'reproducible',
      run_id: 'r-1',
      rerun_id: 'r-9',
      reason: null
    };
    server
      .on('POST reproduce', run('r-9', 'queued'))
      .on('GET runs/r-9', run('r-9', 'running'), run('r-9', 'succeeded'))
      .on('GET runs/r-9/reproduction', comparison);

    const reproducing = model.reproduce('train@2');
    await settle();

    expect(model.check('train@2')).toEqual({
      kind: 'reproduce',
      state: 'pending',
      rerun: 'r-9'
    });
    expect(timers.delays).toEqual([500]);
    expect(server.called()).toEqual(['runs/r-9']);
    await timers.tick();
    await expect(reproducing).resolves.toBe(comparison);
    expect(server.called()).toEqual([
      'runs/r-9',
      'runs/r-9',
      'runs/r-9/reproduction'
    ]);
    expect(model.check('train@2')).toEqual({
      kind: 'reproduce',
      state: 'done',
      result: comparison
    });
  });

  it('asks for the recorded environment and says while it is built', async () => {
    const timers = new FakeTimers();
    const { model, server } = artefactsOn(timers);
    const comparison = { rerun_id: 'r-9', environment_from: 'recorded' };
    server
      .on('POST reproduce', run('r-9', 'queued'))
      .on(
        'GET runs/r-9',
        run('r-9', 'queued'),
        run('r-9', 'running'),
        run('r-9', 'succeeded')
      )
      .on('GET runs/r-9/reproduction', comparison);

    const reproducing = model.reproduce('train@2', {
      env: 'recorded',
      allow_partial: true
    });
    await settle();

    expect(server.calls[0].body).toEqual({
      ref: 'train@2',
      env: 'recorded',
      allow_partial: true
    });
    expect(model.check('train@2')).toEqual({
      kind: 'reproduce',
      state: 'pending',
      rerun: 'r-9',
      building: true
    });
    await timers.tick();
    expect(model.check('train@2')).toEqual({
      kind: 'reproduce',
      state: 'pending',
      rerun: 'r-9'
    });
    await timers.tick();
    await expect(reproducing).resolves.toBe(comparison);
  });

  it('keeps the failure of a reproduction', async () => {
    const { model, server } = artefactsOn();
    server.on('POST reproduce', httpError(409, 'Run r-1 did not succeed'));

    await expect(model.reproduce('train@2')).rejects.toMatchObject({
      status: 409
    });

    expect(model.check('train@2')).toEqual({
      kind: 'reproduce',
      state: 'failed',
      error: 'Run r-1 did not succeed'
    });
  });

  it('tells when something changed', async () => {
    const { model, server } = artefactsOn();
    server.on('GET artefacts', { names: [] });
    let changes = 0;
    model.changed.connect(() => changes++);

    await model.loadArtefacts();

    expect(changes).toBe(1);
  });

  it('passes a server error on when listing', async () => {
    const { model, server } = artefactsOn();
    server.on(
      'GET artefacts/nope/versions',
      httpError(404, "Nothing is published as 'nope'")
    );

    await expect(model.loadVersions('nope')).rejects.toMatchObject({
      status: 404
    });
    expect(model.versions('nope')).toBeNull();
  });

  it('runs a version, asking for each secret its run masked', async () => {
    const { model, server } = artefactsOn();
    server
      .on(
        'GET runs/r-1',
        run('r-1', 'succeeded', { parameters: { epochs: 3, api_token: '***' } })
      )
      .on('POST runs', run('r-7', 'queued'));
    const asked: [string, string][] = [];

    const started = await model.runVersion(version, async (name, ref) => {
      asked.push([name, ref]);
      return 's3cret';
    });

    expect(started?.id).toBe('r-7');
    expect(asked).toEqual([['api_token', 'train@2']]);
    expect(server.calls.find(c => c.method === 'POST')?.body).toEqual({
      version: 'train@2',
      secrets: { api_token: 's3cret' }
    });
    expect(model.start('train@2')).toEqual({ state: 'started', run: 'r-7' });
  });

  it('starts nothing when a secret is not given', async () => {
    const { model, server } = artefactsOn();
    server.on(
      'GET runs/r-1',
      run('r-1', 'succeeded', { parameters: { api_token: '***' } })
    );

    await expect(model.runVersion(version, async () => null)).resolves.toBe(
      null
    );

    expect(server.called('POST')).toEqual([]);
    expect(model.start('train@2')).toBe(null);
  });
});
