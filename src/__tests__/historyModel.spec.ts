import type { IRun, ISweep } from '../api';
import { HistoryModel } from '../historyModel';
import {
  FakeServer,
  FakeTimers,
  httpError,
  ICall,
  requestAPI,
  run,
  settle,
  summary
} from './fakes';

jest.mock('../request', () => ({
  ...jest.requireActual('../request'),
  requestAPI: jest.fn()
}));

/**
 * A server with `runs` in the history of train.ipynb, and a history showing them.
 */
async function historyOn(
  runs: IRun[] = [],
  options: HistoryModel.IOptions = {}
): Promise<{
  history: HistoryModel;
  server: FakeServer;
  timers: FakeTimers;
}> {
  const server = new FakeServer().on('GET runs', { runs });
  const timers = new FakeTimers();
  const history = newHistory({ timers, ...options });
  history.show('train.ipynb');
  await history.load();
  return { history, server, timers };
}

const histories: HistoryModel[] = [];

/**
 * A history polling with fake timers, disposed after the test.
 */
function newHistory(options: HistoryModel.IOptions = {}): HistoryModel {
  const history = new HistoryModel({ timers: new FakeTimers(), ...options });
  histories.push(history);
  return history;
}

afterEach(() => {
  histories.splice(0).forEach(history => history.dispose());
  requestAPI.mockReset();
});

describe('HistoryModel: listing', () => {
  it('reports a failure to list the runs', async () => {
    new FakeServer().on(
      'GET runs',
      httpError(500, 'Unhandled error: OperationalError')
    );
    const history = newHistory();

    history.show('a.ipynb');
    await history.load();

    expect(history.lastError).toBe('Unhandled error: OperationalError');
    history.clearError();
    expect(history.lastError).toBeNull();
    history.dispose();
  });

  it('lists the runs again on its interval, showing the runs started elsewhere', async () => {
    const first = run('r-1', 'succeeded');
    const { history, server, timers } = await historyOn([first], {
      historyInterval: 5000
    });
    expect(timers.delays).toEqual([5000]);
    const later = run('r-2', 'running', {
      created_at: '2026-01-01T11:00:00+00:00'
    });
    server.on('GET runs', { runs: [later, first] });
    server.on('GET runs/r-2', later);
    const changes: string[] = [];
    history.changed.connect((_, part) => changes.push(part));

    await timers.tick();

    expect(history.runs.map(r => r.id)).toEqual(['r-2', 'r-1']);
    expect(changes).toEqual(['runs']);
    expect(timers.delays.sort()).toEqual([1000, 5000]);
  });

  it('changes nothing when the list is the same, and says nothing when it fails', async () => {
    const { history, server, timers } = await historyOn(
      [run('r-1', 'succeeded')],
      { historyInterval: 5000 }
    );
    const changes: string[] = [];
    history.changed.connect((_, part) => changes.push(part));

    await timers.tick();
    server.on('GET runs', new Error('offline'));
    await timers.tick();

    expect(changes).toEqual([]);
    expect(history.lastError).toBeNull();
    expect(timers.delays).toEqual([5000]);
  });

  it('lets go of runs that fell beyond the limit, keeping one just started', async () => {
    const old = run('r-1', 'succeeded');
    const { history, server, timers } = await historyOn([old], {
      historyInterval: 5000
    });
    const newer = run('r-2', 'succeeded', {
      created_at: '2026-01-01T11:00:00+00:00'
    });
    server.on('GET runs', { runs: [newer] });

    await timers.tick();

    expect(history.runs.map(r => r.id)).toEqual(['r-2']);
  });

  it('stops listing once another notebook is shown, or when disposed', async () => {
    const { history, server, timers } = await historyOn([], {
      historyInterval: 5000
    });
    server.on('GET runs', { runs: [] });
    history.show('other.ipynb');
    await history.load();
    expect(timers.pending).toBe(1);
    await timers.tick();
    expect(
      server
        .called()
        .filter(e => e.startsWith('runs?'))
        .pop()
    ).toContain('other.ipynb');

    history.dispose();

    expect(timers.pending).toBe(0);
  });
});

describe('HistoryModel: polling', () => {
  it('polls the runs still running when a notebook is shown', async () => {
    const { timers } = await historyOn([
      run('r-2', 'running'),
      run('r-1', 'failed')
    ]);

    expect(timers.pending).toBe(1);
  });

  it('cancels a run and shows its new status', async () => {
    const { history, server } = await historyOn([run('r-1', 'running')]);
    server.on('POST runs/r-1/cancel', run('r-1', 'cancelled'));

    await history.cancel('r-1');

    expect(server.called('POST')).toEqual(['runs/r-1/cancel']);
    expect(history.runs[0].status).toBe('cancelled');
  });

  it('reports failed polls and gives up after three in a row', async () => {
    const { history, server, timers } = await historyOn(
      [run('r-1', 'running')],
      { maxPollFailures: 3 }
    );
    server.on(
      'GET runs/r-1',
      httpError(502, 'The greenhouse server answered 502')
    );

    await timers.tick();
    expect(history.lastError).toBe('The greenhouse server answered 502');
    expect(timers.pending).toBe(1);

    await timers.tick();
    await timers.tick();
    expect(timers.pending).toBe(0);
  });

  it('stops polling a run the server no longer knows', async () => {
    const { history, server, timers } = await historyOn([
      run('r-1', 'running')
    ]);
    server.on('GET runs/r-1', httpError(404, "No run 'r-1'"));

    await timers.tick();

    expect(history.lastError).toBe("No run 'r-1'");
    expect(timers.pending).toBe(0);
  });

  it('stops polling when disposed, even with a poll on its way', async () => {
    const { history, server, timers } = await historyOn([
      run('r-1', 'running')
    ]);
    let answer: (value: unknown) => void = () => undefined;
    server.on('GET runs/r-1', () => new Promise(resolve => (answer = resolve)));

    await timers.tick();
    history.dispose();
    answer(run('r-1', 'running'));
    await settle();

    expect(history.isDisposed).toBe(true);
    expect(timers.pending).toBe(0);
    expect(server.called().filter(e => e.includes('/log'))).toEqual([]);
  });

  it('stops polling the runs of a notebook no longer shown', async () => {
    const { history, server, timers } = await historyOn([
      run('r-1', 'running')
    ]);
    server.on('GET runs', { runs: [] });

    history.show('other.ipynb');
    await history.load();

    expect(timers.pending).toBe(0);
  });

  it('keeps only the end of a long log', async () => {
    const { history, server } = await historyOn([run('r-1', 'succeeded')], {
      logLimit: 10
    });
    server.on('GET runs/r-1/log', { text: '0123456789abcdef', offset: 16 });

    await history.loadLog('r-1');

    expect(history.log('r-1')).toBe('6789abcdef');
  });
});

describe('HistoryModel: sweeps', () => {
  it('reads a sweep a page at a time until it has every run', async () => {
    const { history, server, timers } = await historyOn();
    const runs = ['s-a', 's-b', 's-c'].map(id =>
      summary(id, 'succeeded', { sweep_id: 'w-1' })
    );
    server.on('GET sweeps/w-1', (call: ICall) => {
      const offset = Number(
        new URL(call.endPoint, 'http://x').searchParams.get('offset')
      );
      const page: ISweep = {
        id: 'w-1',
        active: false,
        total: runs.length,
        offset,
        runs: runs.slice(offset, offset + 2),
        columns: [],
        rows: []
      };
      return page;
    });
    history.watchSweep('w-1');
    await timers.tick();
    expect(server.called().filter(path => path.startsWith('sweeps/'))).toEqual([
      'sweeps/w-1?offset=0&limit=1000',
      'sweeps/w-1?offset=2&limit=1000'
    ]);
    expect(history.runs.map(item => item.id).sort()).toEqual([
      's-a',
      's-b',
      's-c'
    ]);
    expect(timers.pending).toBe(0);
  });
});

describe('HistoryModel: diffs', () => {
  it('keeps the two latest choices', async () => {
    const { history } = await historyOn();

    history.toggleSelected('r-1');
    history.toggleSelected('r-2');
    history.toggleSelected('r-3');
    expect(history.selection).toEqual(['r-2', 'r-3']);

    history.toggleSelected('r-2');
    expect(history.selection).toEqual(['r-3']);
  });

  it('compares the two chosen runs, the older one on the left', async () => {
    const older = run('r-old', 'succeeded', {
      created_at: '2026-01-01T09:00:00+00:00'
    });
    const newer = run('r-new', 'succeeded', {
      created_at: '2026-01-02T09:00:00+00:00'
    });
    const { history, server } = await historyOn([newer, older]);
    const answer = {
      a: 'run r-old',
      b: 'run r-new',
      parameters: [],
      metrics: []
    };
    server.on('GET diff', answer);
    history.toggleSelected('r-new');
    history.toggleSelected('r-old');

    await expect(history.diff()).resolves.toBe(answer);

    expect(server.called().at(-1)).toBe('diff?a=r-old&b=r-new');
  });

  it('compares any two references it is given', async () => {
    const { history, server } = await historyOn();
    server.on('GET diff', {});

    await history.diff('train@1', 'train@production');

    expect(server.called().at(-1)).toBe(
      'diff?a=train%401&b=train%40production'
    );
  });

  it('refuses to compare fewer than two runs', async () => {
    const { history } = await historyOn();
    history.toggleSelected('r-1');

    await expect(history.diff()).rejects.toThrow('Choose two runs to compare.');
  });

  it('passes a server error on', async () => {
    const { history, server } = await historyOn();
    server.on('GET diff', httpError(404, "No run or version 'nope'"));

    await expect(history.diff('nope', 'r-1')).rejects.toMatchObject({
      status: 404
    });
  });
});
