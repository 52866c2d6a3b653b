import type { IRunSummary } from '../api';
import {
  chartSpec,
  drawnRuns,
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

describe('metricOverTime', () => {
  it('draws one point a run with the metric as a number, oldest first', () => {
    const spec = metricOverTime(RUNS, 'accuracy');
    const values = (spec.data as { values: { id: string }[] }).values;

    expect(values.map(v => v.id)).toEqual(['r-1', 'r-3']);
    expect(spec.layer).toEqual([
      { mark: { type: 'line' } },
      { mark: { type: 'point', filled: true, size: 60 } }
    ]);
    expect(spec.$schema).toContain('vega-lite/v5');
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
