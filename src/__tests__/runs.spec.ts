import type { IRun, RunStatus } from '../api';
import { isFinished, RunPoller } from '../runs';
import { FakeServer, FakeTimers, requestAPI, run, settle } from './fakes';

jest.mock('../request', () => ({
  ...jest.requireActual('../request'),
  requestAPI: jest.fn()
}));

const pollers: RunPoller[] = [];

/**
 * A poller on fake timers recording what it reports, disposed after the test.
 */
function poller(onRun: (run: IRun) => Promise<void> | void = () => undefined) {
  const timers = new FakeTimers();
  const seen: IRun[] = [];
  const errors: unknown[] = [];
  const instance = new RunPoller({
    interval: 500,
    timers,
    maxFailures: 2,
    onRun: polled => {
      seen.push(polled);
      return onRun(polled);
    },
    onError: error => errors.push(error)
  });
  pollers.push(instance);
  return { poller: instance, timers, seen, errors };
}

afterEach(() => {
  pollers.splice(0).forEach(item => item.dispose());
  requestAPI.mockReset();
});

describe('isFinished', () => {
  it.each<[RunStatus, boolean]>([
    ['queued', false],
    ['running', false],
    ['succeeded', true],
    ['failed', true],
    ['cancelled', true],
    ['interrupted', true]
  ])('tells whether a %s run has finished (%s)', (status, finished) => {
    expect(isFinished(run('r-1', status))).toBe(finished);
  });
});

describe('RunPoller', () => {
  it('polls every interval until the run finishes', async () => {
    new FakeServer().on(
      'GET runs/r-1',
      run('r-1', 'running'),
      run('r-1', 'succeeded')
    );
    const { poller: p, timers, seen } = poller();

    p.watch('r-1');
    p.watch('r-1');
    expect(timers.delays).toEqual([500]);

    await timers.tick();
    await timers.tick();

    expect(seen.map(item => item.status)).toEqual(['running', 'succeeded']);
    expect(p.watching).toBe(0);
  });

  it('counts a failure of the callback as a failed poll', async () => {
    new FakeServer().on('GET runs/r-1', run('r-1', 'running'));
    const {
      poller: p,
      timers,
      errors
    } = poller(() => Promise.reject(new Error('log unavailable')));

    p.watch('r-1');
    await timers.tick();
    expect(errors).toEqual([new Error('log unavailable')]);
    expect(p.watching).toBe(1);

    await timers.tick();
    expect(errors).toHaveLength(2);
    expect(p.watching).toBe(0);
  });

  it('drops an answer that arrives after it was stopped', async () => {
    let answer: (value: unknown) => void = () => undefined;
    new FakeServer().on(
      'GET runs/r-1',
      () => new Promise(resolve => (answer = resolve))
    );
    const { poller: p, timers, seen } = poller();

    p.watch('r-1');
    await timers.tick();
    p.stopAll();
    answer(run('r-1', 'running'));
    await settle();

    expect(seen).toEqual([]);
    expect(p.watching).toBe(0);
  });

  it('watches nothing once disposed', () => {
    const { poller: p, timers } = poller();

    p.dispose();
    p.watch('r-1');

    expect(p.isDisposed).toBe(true);
    expect(timers.pending).toBe(0);
  });
});
