import type { IRunSummary, IVersion } from '../api';
import {
  chartSpec,
  drawnRuns,
  metricAcrossVersions,
  metricAgainstParameter,
  metricOverTime,
  numericFields,
  parallelCoordinates
} from '../charts';
import { compareRows, pairs } from '../compare';
import { summary } from './fakes';

function trial(
  n: number,
  parameters: Record<string, unknown>,
  metrics: Record<string, unknown>
): IRunSummary {
  return summary(`r-${n}`, 'succeeded', {
    parameters,
    metrics,
    created_at: `2026-01-0${n}T10:00:00+00:00`
  });
}

const RUNS = [
  trial(3, { lr: 0.3, opt: 'sgd' }, { accuracy: 0.91, loss: 0.4 }),
  trial(1, { lr: 0.1, opt: 'adam' }, { accuracy: 0.95, loss: 0.2 }),
  trial(2, { lr: 0.2, opt: 'adam' }, { loss: 0.3 }),
  trial(4, { lr: 'auto', opt: 'adam' }, { accuracy: 'n/a' })
];

function version(
  number: number,
  run: string,
  metrics: Record<string, unknown>,
  aliases: string[] = []
): IVersion {
  return {
    name: 'model',
    number,
    run_id: run,
    created_at: `2026-02-0${number}T10:00:00+00:00`,
    manifest_sha256: '0'.repeat(64),
    published_by: 'ada',
    files: [],
    metrics,
    aliases
  };
}

const VERSIONS = [
  version(1, 'r-1', { accuracy: 0.95 }),
  version(2, 'r-3', { accuracy: 0.91 }, ['production']),
  version(3, 'r-gone', { accuracy: 0.99 }),
  version(4, 'r-2', { loss: 0.3 }, ['candidate'])
];

function mark(created: string, text: string, run: string) {
  return { created, ['label']: text, run };
}

describe('metricOverTime', () => {
  it('draws one point a run with the metric as a number, oldest first', () => {
    const spec = metricOverTime(RUNS, 'accuracy');
    const [runs, ...rest] = spec.layer as Record<string, unknown>[];
    const values = (runs.data as { values: { id: string }[] }).values;

    expect(values.map(v => v.id)).toEqual(['r-1', 'r-3']);
    expect(runs.layer).toEqual([
      { mark: { type: 'line' } },
      { mark: { type: 'point', filled: true, size: 60 } }
    ]);
    expect(rest).toEqual([]);
    expect(drawnRuns(spec)).toBe(2);
    expect(spec.$schema).toContain('vega-lite/v5');
  });

  it('marks where the versions of the runs drawn were published', () => {
    const spec = metricOverTime(RUNS, 'accuracy', VERSIONS);
    const [, rules, labels] = spec.layer as Record<string, unknown>[];

    expect((rules.mark as { type: string }).type).toBe('rule');
    expect((labels.mark as { type: string }).type).toBe('text');
    expect(rules.data).toEqual({
      values: [
        mark('2026-02-01T10:00:00+00:00', 'model@1', 'r-1'),
        mark('2026-02-02T10:00:00+00:00', 'model@2 (production)', 'r-3')
      ]
    });
  });
});

describe('metricAcrossVersions', () => {
  it('draws one point a version with the metric, by number, with its aliases', () => {
    const spec = metricAcrossVersions([...VERSIONS].reverse(), 'accuracy');
    const values = (spec.data as { values: Record<string, unknown>[] }).values;

    expect(values.map(v => [v.version, v.value, v.aliases])).toEqual([
      [1, 0.95, ''],
      [2, 0.91, 'production'],
      [3, 0.99, '']
    ]);
    expect(drawnRuns(spec)).toBe(3);
  });
});

describe('metricAgainstParameter', () => {
  it('draws the runs with both as numbers, the parameter on x', () => {
    const spec = metricAgainstParameter(RUNS, 'loss', 'lr');

    expect(spec.data).toEqual({
      values: [
        { id: 'r-3', status: 'succeeded', x: 0.3, y: 0.4 },
        { id: 'r-1', status: 'succeeded', x: 0.1, y: 0.2 },
        { id: 'r-2', status: 'succeeded', x: 0.2, y: 0.3 }
      ]
    });
    const { x, y } = spec.encoding as Record<string, Record<string, unknown>>;
    expect([x.field, x.title, y.field, y.title]).toEqual([
      'x',
      'lr',
      'y',
      'loss'
    ]);
  });
});

describe('parallelCoordinates', () => {
  it('takes the numeric parameters, then the numeric metrics, as axes', () => {
    expect(numericFields(RUNS.slice(0, 3))).toEqual(['lr', 'accuracy', 'loss']);
    expect(numericFields(RUNS)).toEqual(['loss']);
  });

  it('draws one line a run that has every field, folded and scaled per axis', () => {
    const spec = parallelCoordinates(RUNS, ['lr', 'loss']);

    expect(drawnRuns(spec)).toBe(3);
    expect(spec.transform).toContainEqual({ fold: ['lr', 'loss'] });
    const { detail, color } = spec.encoding as Record<
      string,
      Record<string, unknown>
    >;
    expect([detail.field, color.field, color.title]).toEqual([
      'index',
      'colour',
      'loss'
    ]);
  });
});

describe('chartSpec', () => {
  it.each([
    [{ kind: 'time' as const, metric: 'loss' }, 3],
    [{ kind: 'scatter' as const, metric: 'accuracy', parameter: 'lr' }, 2],
    [{ kind: 'parallel' as const, metric: '' }, 3],
    [{ kind: 'parallel' as const, metric: '', fields: ['lr', 'accuracy'] }, 2]
  ])('builds %j drawing %i runs', (request, drawn) => {
    expect(drawnRuns(chartSpec(RUNS, request))).toBe(drawn);
  });
});

describe('compareRows', () => {
  it('lists every parameter and metric, marking those that differ', () => {
    const rows = compareRows(RUNS.slice(1, 4));

    expect(rows).toEqual([
      {
        group: 'parameters',
        name: 'lr',
        values: ['0.1', '0.2', 'auto'],
        differs: true
      },
      {
        group: 'parameters',
        name: 'opt',
        values: ['adam', 'adam', 'adam'],
        differs: false
      },
      {
        group: 'metrics',
        name: 'accuracy',
        values: ['0.95', '', 'n/a'],
        differs: true
      },
      {
        group: 'metrics',
        name: 'loss',
        values: ['0.2', '0.3', ''],
        differs: true
      }
    ]);
  });

  it('shows a value of None so that it differs from no value', () => {
    const runs = [trial(1, { seed: null }, {}), trial(2, {}, {})];
    expect(compareRows(runs)[0]).toMatchObject({
      values: ['None', ''],
      differs: true
    });
  });
});

describe('pairs', () => {
  it('gives each pair of the chosen runs once', () => {
    expect(pairs(['a', 'b', 'c'])).toEqual([
      ['a', 'b'],
      ['a', 'c'],
      ['b', 'c']
    ]);
    expect(pairs(['a'])).toEqual([]);
  });
});
