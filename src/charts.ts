/**
 * Vega-Lite specifications built from runs, drawn by the Vega renderer JupyterLab
 * ships: a metric over time (with the published versions marked), a metric against
 * a parameter, parallel coordinates over a sweep's parameters and metrics, and a
 * metric's drift across an artefact's versions.
 */
import type { IRunSummary, IVersion } from './api';

/**
 * The MIME type of the bundles the charts are rendered from.
 */
export const VEGALITE_MIME = 'application/vnd.vegalite.v5+json';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';
/**
 * The field (and axis title) of a version's number.
 */
const VERSION_FIELD = 'version';

/**
 * The kinds of chart the view draws.
 */
export type ChartKind = 'time' | 'scatter' | 'parallel';

/**
 * A Vega-Lite specification (JSON).
 */
export type VegaLiteSpec = Record<string, unknown>;

/**
 * What a chart shows.
 */
export interface IChartRequest {
  kind: ChartKind;
  /**
   * The metric on the y axis (time, scatter).
   */
  metric: string;
  /**
   * The parameter on the x axis (scatter).
   */
  parameter?: string;
  /**
   * The axes of parallel coordinates: parameter or metric names (default: every
   * numeric parameter, then every numeric metric).
   */
  fields?: string[];
}

/**
 * The value of a metric, else a parameter, when it is a finite number.
 */
function numberOf(run: IRunSummary, name: string): number | null {
  const value = name in run.metrics ? run.metrics[name] : run.parameters[name];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/**
 * A metric's values on the y axis, fitted to the data rather than drawn from zero.
 */
function metricAxis(metric: string): Record<string, unknown> {
  return {
    field: 'value',
    type: 'quantitative',
    title: metric,
    scale: { zero: false }
  };
}
/**
 * A metric of each run that recorded it as a number, by the time the run was made,
 * with a rule where each version published from a run drawn was published.
 *
 * @param runs - The runs.
 * @param metric - The metric's name.
 * @param versions - Published versions; those made from a run drawn are marked.
 * @returns A layered line and point chart, one point a run, one rule a version.
 */
export function metricOverTime(
  runs: readonly IRunSummary[],
  metric: string,
  versions: readonly IVersion[] = []
): VegaLiteSpec {
  const values = runs.flatMap(run => {
    const value = numberOf(run, metric);
    return value === null
      ? []
      : [{ id: run.id, created: run.created_at, status: run.status, value }];
  });
  values.sort((a, b) => a.created.localeCompare(b.created));
  const drawn = new Set(values.map(row => row.id));
  const published = versions
    .filter(version => drawn.has(version.run_id))
    .map(version => ({
      created: version.created_at,
      label: versionLabel(version),
      run: version.run_id
    }));
  const time = 'created';
  const x = { field: time, type: 'temporal', title: time };
  const runLayer = {
    data: { values },
    encoding: {
      x,
      y: metricAxis(metric),
      tooltip: [
        { field: 'id', type: 'nominal' },
        { field: 'created', type: 'temporal', format: '%Y-%m-%d %H:%M:%S' },
        { field: 'value', type: 'quantitative', title: metric }
      ]
    },
    layer: [
      { mark: { type: 'line' } },
      { mark: { type: 'point', filled: true, size: 60 } }
    ]
  };
  const versionTooltip = [
    { field: 'label', type: 'nominal', title: VERSION_FIELD },
    { field: 'created', type: 'temporal', format: '%Y-%m-%d %H:%M:%S' },
    { field: 'run', type: 'nominal' }
  ];
  const versionLayers = published.length
    ? [
        {
          data: { values: published },
          mark: { type: 'rule', strokeDash: [4, 3], color: '#888' },
          encoding: { x, tooltip: versionTooltip }
        },
        {
          data: { values: published },
          mark: {
            type: 'text',
            align: 'left',
            baseline: 'top',
            dx: 3,
            y: 2,
            fontSize: 10,
            color: '#555'
          },
          encoding: { x, text: { field: 'label' } }
        }
      ]
    : [];
  return {
    $schema: SCHEMA,
    title: `${metric} over time`,
    width: 'container',
    height: 240,
    layer: [runLayer, ...versionLayers]
  };
}

/**
 * How a version is named on a chart: `NAME@N`, then its aliases.
 */
function versionLabel(version: IVersion): string {
  const ref = `${version.name}@${version.number}`;
  return version.aliases.length
    ? `${ref} (${version.aliases.join(', ')})`
    : ref;
}

/**
 * A metric across an artefact's versions, for drift: one point a version that
 * recorded it as a number, joined in order of number, labelled with its aliases.
 *
 * @param versions - The versions (of one artefact).
 * @param metric - The metric's name.
 * @returns A layered line, point and text chart.
 */
export function metricAcrossVersions(
  versions: readonly IVersion[],
  metric: string
): VegaLiteSpec {
  const values = versions.flatMap(version => {
    const value = (version.metrics as Record<string, unknown>)[metric];
    return typeof value === 'number' && Number.isFinite(value)
      ? [
          {
            version: version.number,
            ref: `${version.name}@${version.number}`,
            aliases: version.aliases.join(', '),
            published: version.created_at,
            run: version.run_id,
            value
          }
        ]
      : [];
  });
  values.sort((a, b) => a.version - b.version);
  return {
    $schema: SCHEMA,
    title: `${metric} across versions`,
    width: 'container',
    height: 200,
    data: { values },
    encoding: {
      x: {
        field: VERSION_FIELD,
        type: 'ordinal',
        title: VERSION_FIELD,
        sort: 'ascending',
        axis: { labelAngle: 0 }
      },
      y: metricAxis(metric),
      tooltip: [
        { field: 'ref', type: 'nominal', title: VERSION_FIELD },
        { field: 'aliases', type: 'nominal' },
        { field: 'published', type: 'temporal', format: '%Y-%m-%d %H:%M:%S' },
        { field: 'run', type: 'nominal' },
        { field: 'value', type: 'quantitative', title: metric }
      ]
    },
    layer: [
      { mark: { type: 'line' } },
      { mark: { type: 'point', filled: true, size: 80 } },
      {
        mark: { type: 'text', dy: -10, fontSize: 10 },
        encoding: { text: { field: 'aliases' } }
      }
    ]
  };
}

/**
 * A metric against a parameter, one point a run that has both as numbers.
 *
 * @param runs - The runs.
 * @param metric - The metric (y).
 * @param parameter - The parameter (x).
 * @returns A scatter plot coloured by status.
 */
export function metricAgainstParameter(
  runs: readonly IRunSummary[],
  metric: string,
  parameter: string
): VegaLiteSpec {
  const values = runs.flatMap(run => {
    const x = numberOf(run, parameter);
    const y = numberOf(run, metric);
    return x === null || y === null
      ? []
      : [{ id: run.id, status: run.status, x, y }];
  });
  return {
    $schema: SCHEMA,
    title: `${metric} against ${parameter}`,
    width: 'container',
    height: 240,
    data: { values },
    mark: { type: 'point', filled: true, size: 60 },
    encoding: {
      x: {
        field: 'x',
        type: 'quantitative',
        title: parameter,
        scale: { zero: false }
      },
      y: {
        field: 'y',
        type: 'quantitative',
        title: metric,
        scale: { zero: false }
      },
      color: { field: 'status', type: 'nominal' },
      tooltip: [
        { field: 'id', type: 'nominal' },
        { field: 'x', type: 'quantitative', title: parameter },
        { field: 'y', type: 'quantitative', title: metric }
      ]
    }
  };
}

/**
 * The numeric parameters, then the numeric metrics, of the runs.
 *
 * @param runs - The runs.
 * @returns The names whose every value present is a number.
 */
export function numericFields(runs: readonly IRunSummary[]): string[] {
  const fields: string[] = [];
  for (const group of ['parameters', 'metrics'] as const) {
    const seen = new Map<string, boolean>();
    for (const run of runs) {
      for (const [name, value] of Object.entries(run[group])) {
        const numeric = typeof value === 'number';
        seen.set(name, (seen.get(name) ?? true) && numeric);
      }
    }
    for (const [name, numeric] of seen) {
      if (numeric && !fields.includes(name)) {
        fields.push(name);
      }
    }
  }
  return fields;
}

/**
 * Parallel coordinates: one line a run across the fields, each axis scaled to its
 * own range (min 0, max 1), the line coloured by the last field.
 *
 * @param runs - The runs (typically a sweep's).
 * @param fields - The axes, in order.
 * @returns The spec; only runs with every field as a number are drawn.
 */
export function parallelCoordinates(
  runs: readonly IRunSummary[],
  fields: readonly string[]
): VegaLiteSpec {
  const values = runs.flatMap(run => {
    const row: Record<string, unknown> = { id: run.id };
    for (const field of fields) {
      const value = numberOf(run, field);
      if (value === null) {
        return [];
      }
      row[field] = value;
    }
    return [row];
  });
  const last = fields[fields.length - 1];
  return {
    $schema: SCHEMA,
    width: 'container',
    height: 240,
    data: { values },
    transform: [
      { window: [{ op: 'count', as: 'index' }] },
      { calculate: `datum[${JSON.stringify(last)}]`, as: 'colour' },
      { fold: [...fields] },
      {
        joinaggregate: [
          { op: 'min', field: 'value', as: 'min' },
          { op: 'max', field: 'value', as: 'max' }
        ],
        groupby: ['key']
      },
      {
        calculate:
          'datum.max === datum.min ? 0.5 : (datum.value - datum.min) / (datum.max - datum.min)',
        as: 'scaled'
      }
    ],
    mark: { type: 'line', opacity: 0.7 },
    encoding: {
      x: { field: 'key', type: 'nominal', sort: [...fields], title: null },
      y: { field: 'scaled', type: 'quantitative', axis: null },
      detail: { field: 'index', type: 'nominal' },
      color: { field: 'colour', type: 'quantitative', title: last },
      tooltip: [
        { field: 'id', type: 'nominal' },
        { field: 'key', type: 'nominal' },
        { field: 'value', type: 'quantitative' }
      ]
    }
  };
}

/**
 * The spec of a chart request.
 *
 * @param runs - The runs to draw.
 * @param request - What to draw.
 * @param versions - Published versions, marked on a chart over time.
 * @returns The Vega-Lite spec.
 */
export function chartSpec(
  runs: readonly IRunSummary[],
  request: IChartRequest,
  versions: readonly IVersion[] = []
): VegaLiteSpec {
  switch (request.kind) {
    case 'time':
      return metricOverTime(runs, request.metric, versions);
    case 'scatter':
      return metricAgainstParameter(
        runs,
        request.metric,
        request.parameter ?? ''
      );
    case 'parallel':
      return parallelCoordinates(runs, request.fields ?? numericFields(runs));
  }
}

/**
 * How many runs (or versions) a spec draws: its data rows (of its first layer when
 * the layers have data of their own; for parallel coordinates, its lines).
 *
 * @param spec - A spec from this module.
 * @returns The number of runs drawn.
 */
export function drawnRuns(spec: VegaLiteSpec): number {
  const layers = spec.layer as VegaLiteSpec[] | undefined;
  const data = (spec.data ?? layers?.[0]?.data) as
    { values: unknown[] } | undefined;
  return data?.values.length ?? 0;
}
