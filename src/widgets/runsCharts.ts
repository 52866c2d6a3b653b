/**
 * The runs view's charts, drawn by JupyterLab's own Vega renderer from specs built
 * of the listed runs (so they export as PNG or SVG from Vega's menu, as in a notebook).
 *
 * Hooks: `.jp-greenhouse-chart-kind` (time, scatter, parallel),
 * `.jp-greenhouse-chart-metric`, `.jp-greenhouse-chart-parameter`,
 * `.jp-greenhouse-chart-draw`, and `.jp-greenhouse-chart[data-kind][data-runs]`
 * holding the rendered chart (or `.jp-greenhouse-chart-message`).
 */
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { Panel, Widget } from '@lumino/widgets';

import {
  ChartKind,
  chartSpec,
  drawnRuns,
  numericFields,
  VEGALITE_MIME
} from '../charts';
import { RunsViewModel } from '../runsView';
import { button, element } from './dom';

const MIN_WIDTH = 320;
const AXES_WIDTH = 160;

/**
 * A chart of the listed runs, chosen and drawn on demand.
 */
export class RunsCharts extends Panel {
  constructor(
    private _model: RunsViewModel,
    private _rendermime: IRenderMimeRegistry,
    private _trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-greenhouse-charts');
    const trans = _trans;
    this._kind = element('select', 'jp-greenhouse-chart-kind', undefined, {
      'aria-label': trans.__('Chart')
    });
    const kinds: [ChartKind, string][] = [
      ['time', trans.__('Metric over time')],
      ['scatter', trans.__('Metric against parameter')],
      ['parallel', trans.__('Parallel coordinates')]
    ];
    for (const [value, label] of kinds) {
      this._kind.append(element('option', '', label, { value }));
    }
    this._metric = element('select', 'jp-greenhouse-chart-metric', undefined, {
      'aria-label': trans.__('Metric')
    });
    this._parameter = element(
      'select',
      'jp-greenhouse-chart-parameter',
      undefined,
      { 'aria-label': trans.__('Parameter') }
    );
    const bar = element('div', 'jp-greenhouse-chart-bar');
    bar.append(
      this._kind,
      this._metric,
      this._parameter,
      button(
        'jp-greenhouse-chart-draw',
        trans.__('Draw'),
        () => void this.draw(),
        trans.__('Draw the chart of the runs listed')
      )
    );
    this.addWidget(new Widget({ node: bar }));
    this._chart = new Panel();
    this._chart.addClass('jp-greenhouse-chart');
    this.addWidget(this._chart);
    _model.changed.connect(this._fillChoices, this);
    this._fillChoices();
  }

  dispose(): void {
    this._model.changed.disconnect(this._fillChoices, this);
    super.dispose();
  }

  /**
   * Draw the chart chosen, of the runs the table lists.
   */
  async draw(): Promise<void> {
    const kind = this._kind.value as ChartKind;
    const runs = this._model.runs;
    // The spec is JSON: it is built from JSON records only.
    const spec = chartSpec(runs, {
      kind,
      metric: this._metric.value,
      parameter: this._parameter.value
    }) as ReadonlyPartialJSONObject;
    // Vega sizes a chart to its container only when that has a width of its own: give one.
    const width = Math.max(MIN_WIDTH, this.node.clientWidth - AXES_WIDTH);
    this._chart.widgets.slice().forEach(widget => widget.dispose());
    this._chart.node.dataset.kind = kind;
    this._chart.node.dataset.runs = String(
      drawnRuns(spec as Record<string, unknown>)
    );
    if (drawnRuns(spec as Record<string, unknown>) === 0) {
      this._message(
        this._trans.__('No run listed has these values as numbers.')
      );
      return;
    }
    if (!this._rendermime.preferredMimeType({ [VEGALITE_MIME]: spec })) {
      this._message(
        this._trans.__('JupyterLab has no Vega-Lite renderer enabled.')
      );
      return;
    }
    const renderer = this._rendermime.createRenderer(VEGALITE_MIME);
    this._chart.addWidget(renderer);
    await renderer.renderModel(
      this._rendermime.createModel({
        data: { [VEGALITE_MIME]: { ...spec, width } },
        metadata: { [VEGALITE_MIME]: { embed_options: { renderer: 'svg' } } }
      })
    );
  }

  private _message(text: string): void {
    this._chart.addWidget(
      new Widget({
        node: element('div', 'jp-greenhouse-chart-message', text)
      })
    );
  }

  private _fillChoices(): void {
    const runs = this._model.runs;
    const numeric = numericFields(runs);
    const metrics = numeric.filter(name =>
      runs.some(run => name in run.metrics)
    );
    const parameters = numeric.filter(name =>
      runs.some(run => name in run.parameters)
    );
    fill(this._metric, metrics);
    fill(this._parameter, parameters);
  }

  private _kind: HTMLSelectElement;
  private _metric: HTMLSelectElement;
  private _parameter: HTMLSelectElement;
  private _chart: Panel;
}

/**
 * Offer these names in a select, keeping its choice when it is still offered.
 */
function fill(select: HTMLSelectElement, names: string[]): void {
  const chosen = select.value;
  const offered = [...select.options].map(option => option.value);
  if (offered.join('\n') === names.join('\n')) {
    return;
  }
  select.replaceChildren(
    ...names.map(name => element('option', '', name, { value: name }))
  );
  if (names.includes(chosen)) {
    select.value = chosen;
  }
}
