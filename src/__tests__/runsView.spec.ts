import type { IRunSummary, RunStatus } from '../api';
import { cellText, columnsOf, sortRuns } from '../runColumns';
import { MAX_RUNS, PAGE_SIZE, runsQuery, RunsViewModel } from '../runsView';
import {
  FakeServer,
  FakeTimers,
  httpError,
  requestAPI,
  summary
} from './fakes';

jest.mock('../request', () => ({
  ...jest.requireActual('../request'),
  requestAPI: jest.fn()
}));

afterEach(() => requestAPI.mockReset());

function trial(id: string, lr: number | null, accuracy?: number): IRunSummary {
  return summary(id, 'succeeded', {
    parameters: lr === null ? {} : { lr, optimiser: 'adam' },
    metrics: accuracy === undefined ? {} : { accuracy },
    created_at: `2026-01-01T10:00:0${id.slice(-1)}+00:00`,
    duration_s: Number(id.slice(-1))
  });
}

const RUNS = [
  trial('r-1', 0.1, 0.9),
  trial('r-2', 0.3),
  trial('r-3', 0.2, 0.97)
];

describe('runsQuery', () => {
  it.each([
    [{}, 'offset=0&limit=50'],
    [{ status: '' as const, user: ' ' }, 'offset=0&limit=50'],
    [
      { status: 'failed' as const, user: 'ana', sweep: 's1', since: '12h' },
      'status=failed&user=ana&sweep=s1&since=12h&offset=0&limit=50'
    ],
    [
      { schedule: 'nightly', status: 'running' as const },
      'status=running&schedule=nightly&offset=0&limit=50'
    ],
    [
      { where: 'accuracy>0.95, lr<=0.2', notebook: 'a b.ipynb' },
      'notebook=a+b.ipynb&where=accuracy%3E0.95&where=lr%3C%3D0.2&offset=0&limit=50'
    ]
  ])('sends the filters %j as %s', (filters, query) => {
    expect(runsQuery(filters, 0, 50)).toBe(query);
  });
});

describe('columnsOf', () => {
  it('lists the record columns, then every parameter, then every metric', () => {
    const columns = columnsOf(RUNS);

    expect(columns.map(c => c.key)).toEqual([
      'id',
      'status',
      'created',
      'duration',
      'user',
      'parameters.lr',
      'parameters.optimiser',
      'metrics.accuracy'
    ]);
    expect(columns.filter(c => c.numeric).map(c => c.label)).toEqual([
      'duration',
      'lr',
      'accuracy'
    ]);
  });
});

describe('sortRuns', () => {
  it.each([
    ['metrics.accuracy', false, ['r-1', 'r-3', 'r-2']],
    ['metrics.accuracy', true, ['r-3', 'r-1', 'r-2']],
    ['parameters.lr', false, ['r-1', 'r-3', 'r-2']],
    ['parameters.lr', true, ['r-2', 'r-3', 'r-1']],
    ['created', true, ['r-3', 'r-2', 'r-1']],
    ['id', false, ['r-1', 'r-2', 'r-3']]
  ])('sorts by %s (descending %s), runs without it last', (key, down, ids) => {
    expect(sortRuns(RUNS, key, down).map(r => r.id)).toEqual(ids);
  });

  it('puts numbers before text in a mixed column', () => {
    const mixed = [
      summary('a', 'succeeded', { parameters: { n: 'many' } }),
      summary('b', 'succeeded', { parameters: { n: 10 } }),
      summary('c', 'succeeded', { parameters: { n: 2 } })
    ];
    expect(sortRuns(mixed, 'parameters.n', false).map(r => r.id)).toEqual([
      'c',
      'b',
      'a'
    ]);
  });
});

describe('cellText', () => {
  it.each([
    [undefined, ''],
    [null, ''],
    [3, '3'],
    [0.123456789, '0.123457'],
    ['adam', 'adam'],
    [[1, 2], '[1,2]']
  ])('shows %j as %j', (value, text) => {
    expect(cellText(value)).toBe(text);
  });
});

describe('RunsViewModel', () => {
  it('lists the runs page by page with the filters', async () => {
    const first = Array.from({ length: PAGE_SIZE }, (_, i) =>
      summary(`p-${i}`, 'succeeded')
    );
    const server = new FakeServer().on(
      'GET runs',
      { runs: first },
      { runs: RUNS }
    );
    const model = new RunsViewModel({ filters: { where: 'accuracy>0.5' } });
    const shown: number[] = [];
    model.changed.connect(() => shown.push(model.runs.length));

    await model.load();

    // The first page is shown as soon as it arrives, the whole list once all have.
    expect(shown).toEqual([PAGE_SIZE, PAGE_SIZE + 3]);
    expect(server.called()).toEqual([
      'runs?where=accuracy%3E0.5&offset=0&limit=1000',
      'runs?where=accuracy%3E0.5&offset=1000&limit=1000'
    ]);
    expect(model.runs).toHaveLength(PAGE_SIZE + 3);
    expect(model.capped).toBe(false);
    expect(model.error).toBeNull();
  });

  it('stops at the most runs it holds', async () => {
    const page = Array.from({ length: PAGE_SIZE }, (_, i) =>
      summary(`p-${i}`, 'succeeded')
    );
    const server = new FakeServer().on('GET runs', { runs: page });
    const model = new RunsViewModel();

    await model.load();

    expect(server.calls).toHaveLength(MAX_RUNS / PAGE_SIZE);
    expect(model.capped).toBe(true);
  });

  it('keeps the sort, the hidden columns and the selection across loads', async () => {
    new FakeServer().on('GET runs', { runs: RUNS });
    const model = new RunsViewModel();
    await model.load();

    model.sortBy('metrics.accuracy');
    model.sortBy('metrics.accuracy');
    model.setColumnVisible('parameters.optimiser', false);
    model.toggleSelected('r-3');
    model.toggleSelected('r-1');
    model.toggleSelected('gone');
    await model.load();

    expect(model.sort).toEqual({ key: 'metrics.accuracy', descending: true });
    expect(model.runs.map(r => r.id)).toEqual(['r-3', 'r-1', 'r-2']);
    expect(model.visibleColumns.map(c => c.label)).not.toContain('optimiser');
    expect(model.visibleColumns.map(c => c.label)).toContain('lr');
    expect(model.selection).toEqual(['r-3', 'r-1', 'gone']);
    expect(model.selectedRuns.map(r => r.id)).toEqual(['r-3', 'r-1']);
    model.toggleSelected('r-3');
    expect(model.selection).toEqual(['r-1', 'gone']);
  });

  it('shows the server’s message for bad filters and keeps the runs it had', async () => {
    new FakeServer().on(
      'GET runs',
      { runs: RUNS },
      httpError(400, "--where: 'accuracy>>1' is not NAME OP NUMBER")
    );
    const model = new RunsViewModel();
    await model.load();

    await model.setFilters({ where: 'accuracy>>1' });

    expect(model.error).toContain('is not NAME OP NUMBER');
    expect(model.runs).toHaveLength(3);
  });

  it('polls so that new runs appear, until stopped', async () => {
    new FakeServer().on('GET runs', { runs: RUNS.slice(0, 1) }, { runs: RUNS });
    const timers = new FakeTimers();
    const model = new RunsViewModel({ interval: 3000, timers });
    await model.load();

    model.startPolling();
    expect(timers.delays).toEqual([3000]);
    await timers.tick();

    expect(model.runs).toHaveLength(3);
    expect(timers.pending).toBe(1);
    model.stopPolling();
    expect(timers.pending).toBe(0);
  });

  it('polls only the runs since the oldest unfinished one, keeping the older ones', async () => {
    const at = (second: number) => `2026-01-01T10:00:0${second}.000+00:00`;
    const run = (id: string, status: RunStatus, second: number) =>
      summary(id, status, { created_at: at(second) });
    const listed = [
      run('new', 'succeeded', 5),
      run('busy', 'running', 3),
      run('done', 'succeeded', 2),
      run('old', 'failed', 1)
    ];
    const fresh = [
      run('newer', 'queued', 6),
      run('new', 'succeeded', 5),
      run('busy', 'succeeded', 3)
    ];
    const server = new FakeServer().on(
      'GET runs',
      { runs: listed },
      { runs: fresh },
      { runs: fresh.slice(0, 1) }
    );
    const model = new RunsViewModel({ filters: { user: 'ana' } });
    await model.load();
    expect(model.liveSince).toBe(at(3));
    let changes = 0;
    model.changed.connect(() => changes++);

    await model.refresh();

    const since = encodeURIComponent(at(3));
    expect(server.called().slice(1)).toEqual([
      `runs?user=ana&since=${since}&offset=0&limit=1000`
    ]);
    expect(model.runs.map(r => `${r.id} ${r.status}`)).toEqual([
      'newer queued',
      'new succeeded',
      'busy succeeded',
      'done succeeded',
      'old failed'
    ]);
    expect(changes).toBe(1);
    expect(model.liveSince).toBe(at(6));

    await model.refresh();

    expect(server.called()[2]).toContain(`since=${encodeURIComponent(at(6))}`);
    expect(changes).toBe(1);
  });
});
