/**
 * The runs view's charts, drawn by JupyterLab's own Vega renderer from specs built
 * of the listed runs (so they export as PNG or SVG from Vega's menu, as in a notebook);
 * the chart over time marks the versions published from the runs drawn.
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
  VEGALITE_MIME,
  VegaLiteSpec
} from '../charts';
import type { IVersion } from '../api';
import { RunsViewModel } from '../runsView';
import { button, element } from './dom';

const MIN_WIDTH = 320;
const AXES_WIDTH = 160;

/**
 * A chart of the listed runs, chosen and drawn on demand.
 */
export class RunsCharts extends Panel {
  /**
   * @param _versions - The published versions known, marked on the chart over time.
   */
  constructor(
    private _model: RunsViewModel,
    private _rendermime: IRenderMimeRegistry,
    private _trans: TranslationBundle,
    private _versions: () => readonly IVersion[]
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
    const spec = chartSpec(
      runs,
      {
        kind,
        metric: this._metric.value,
        parameter: this._parameter.value
      },
      this._versions()
    );
    this._chart.node.dataset.kind = kind;
    await drawChart(this._chart, spec, this._rendermime, this._trans, {
      empty: this._trans.__('No run listed has these values as numbers.'),
      width: Math.max(MIN_WIDTH, this.node.clientWidth - AXES_WIDTH)
    });
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
    offerNames(this._metric, metrics);
    offerNames(this._parameter, parameters);
  }

  private _kind: HTMLSelectElement;
  private _metric: HTMLSelectElement;
  private _parameter: HTMLSelectElement;
  private _chart: Panel;
}

/**
 * Offer these names in a select, keeping its choice when it is still offered.
 *
 * @param select - The select.
 * @param names - The names to offer, in order.
 */
export function offerNames(
  select: HTMLSelectElement,
  names: readonly string[]
): void {
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

/**
 * Draw a spec from `charts` into a panel with JupyterLab's Vega renderer, as SVG,
 * replacing what it held; a message instead when the spec draws nothing or Lab has
 * no Vega-Lite renderer. The panel's `data-runs` says how many rows it draws.
 *
 * @param panel - Where the chart goes.
 * @param spec - The spec (JSON: built from JSON records only).
 * @param rendermime - Lab's renderers.
 * @param trans - The translation bundle.
 * @param options - The message for an empty chart, and the width to draw at (Vega
 *   sizes a chart to its container only when that has a width of its own).
 */
export async function drawChart(
  panel: Panel,
  spec: VegaLiteSpec,
  rendermime: IRenderMimeRegistry,
  trans: TranslationBundle,
  options: { empty: string; width: number }
): Promise<void> {
  panel.widgets.slice().forEach(widget => widget.dispose());
  const drawn = drawnRuns(spec);
  panel.node.dataset.runs = String(drawn);
  const message = (text: string) =>
    panel.addWidget(
      new Widget({ node: element('div', 'jp-greenhouse-chart-message', text) })
    );
  const data = { ...spec, width: options.width } as ReadonlyPartialJSONObject;
  if (drawn === 0) {
    message(options.empty);
    return;
  }
  if (!rendermime.preferredMimeType({ [VEGALITE_MIME]: data })) {
    message(trans.__('JupyterLab has no Vega-Lite renderer enabled.'));
    return;
  }
  const renderer = rendermime.createRenderer(VEGALITE_MIME);
  panel.addWidget(renderer);
  await renderer.renderModel(
    rendermime.createModel({
      data: { [VEGALITE_MIME]: data },
      metadata: { [VEGALITE_MIME]: { embed_options: { renderer: 'svg' } } }
    })
  );
}
