/**
 * The runs view's Versions tab: an artefact's versions (number, aliases, metrics,
 * when published, from which run) with the same actions as the sidebar, the run
 * chosen in the table published, the drift of a metric across the versions, and the
 * alias history.
 *
 * Hooks: `.jp-greenhouse-versions-tab`, `.jp-greenhouse-versions-artefact` (a select),
 * `.jp-greenhouse-versions-metric`, `.jp-greenhouse-versions-refresh`,
 * `.jp-greenhouse-versions-publish`, `.jp-greenhouse-versions-error`, rows
 * `.jp-greenhouse-versions-table tr.jp-greenhouse-versions-row[data-ref][data-number]`
 * (aliases `.jp-greenhouse-alias`, actions as in the sidebar), the chart
 * `.jp-greenhouse-drift[data-runs]` (one row a version drawn), and
 * `.jp-greenhouse-alias-history li.jp-greenhouse-alias-event[data-alias][data-action]`.
 */
import { showErrorMessage } from '@jupyterlab/apputils';
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';
import { Panel, Widget } from '@lumino/widgets';

import type { IAliasEvent, IVersion } from '../api';
import { ArtefactsModel } from '../artefacts';
import { metricAcrossVersions } from '../charts';
import { messageOf } from '../errors';
import { RunsViewModel } from '../runsView';
import { askPublish, versionActions, versionOutcome } from './artefacts';
import { button, element } from './dom';
import { formatTime, formatValue } from './format';
import { drawChart, offerNames } from './runsCharts';

const MIN_WIDTH = 320;
const AXES_WIDTH = 160;
const CELL = 'jp-greenhouse-versions-cell';

/**
 * An artefact's versions, their drift and their alias history.
 */
export class RunsVersions extends Panel {
  constructor(
    private _runs: RunsViewModel,
    private _model: ArtefactsModel,
    private _rendermime: IRenderMimeRegistry,
    private _trans: TranslationBundle
  ) {
    super();
    const trans = _trans;
    this.addClass('jp-greenhouse-versions-tab');
    this._artefact = element(
      'select',
      'jp-greenhouse-versions-artefact',
      undefined,
      { 'aria-label': trans.__('Artefact') }
    );
    this._artefact.addEventListener('change', () => void this._choose());
    this._metric = element(
      'select',
      'jp-greenhouse-versions-metric',
      undefined,
      { 'aria-label': trans.__('Metric') }
    );
    this._metric.addEventListener('change', () => void this._drawDrift());
    this._error = element(
      'span',
      'jp-greenhouse-versions-error jp-greenhouse-error',
      undefined,
      { role: 'alert' }
    );
    const bar = element('div', 'jp-greenhouse-chart-bar');
    bar.append(
      this._artefact,
      element('span', '', trans.__('drift of')),
      this._metric,
      button(
        'jp-greenhouse-versions-refresh',
        trans.__('Refresh'),
        () => void this.refresh(),
        trans.__('List the artefacts, their versions and alias history again')
      ),
      button(
        'jp-greenhouse-versions-publish',
        trans.__('Publish Chosen Run…'),
        () => void this._publish(),
        trans.__(
          'Publish the run chosen in the table as the next version of an artefact'
        )
      ),
      this._error
    );
    this._table = element('div', 'jp-greenhouse-versions-body');
    this._drift = new Panel();
    this._drift.addClass('jp-greenhouse-drift');
    this._history = element('div', 'jp-greenhouse-alias-history');
    this.addWidget(new Widget({ node: bar }));
    this.addWidget(new Widget({ node: this._table }));
    this.addWidget(this._drift);
    this.addWidget(new Widget({ node: this._history }));
    _model.changed.connect(this._render, this);
  }

  dispose(): void {
    this._model.changed.disconnect(this._render, this);
    super.dispose();
  }

  /**
   * The artefact shown (empty before any is listed).
   */
  get artefact(): string {
    return this._artefact.value;
  }

  /**
   * List the artefacts and every artefact's versions, then show the one chosen.
   *
   * @returns A promise settled once listed; a failure is shown in the tab.
   */
  async refresh(): Promise<void> {
    this._error.textContent = '';
    try {
      await this._model.loadArtefacts();
      await Promise.all(
        this._model.artefactNames.map(name => this._model.loadVersions(name))
      );
      const names = this._model.artefactNames;
      offerNames(this._artefact, names);
      if (this._artefact.value) {
        await this._model.loadAliasHistory(this._artefact.value);
      }
    } catch (error) {
      this._error.textContent = messageOf(error);
    }
    this._shownKey = '';
    this._render();
  }

  private async _choose(): Promise<void> {
    this._error.textContent = '';
    try {
      await this._model.loadAliasHistory(this._artefact.value);
    } catch (error) {
      this._error.textContent = messageOf(error);
    }
    this._render();
  }

  private _render(): void {
    const name = this._artefact.value;
    const versions = name ? (this._model.versions(name) ?? []) : [];
    const metrics = [
      ...new Set(
        versions.flatMap(version =>
          Object.entries(version.metrics as Record<string, unknown>)
            .filter(([, value]) => typeof value === 'number')
            .map(([metric]) => metric)
        )
      )
    ];
    offerNames(this._metric, metrics);
    this._renderTable(versions);
    this._renderHistory(name);
    // The chart is drawn again only when what it shows changed, not on every check.
    const key = JSON.stringify([name, this._metric.value, versions]);
    if (key !== this._shownKey) {
      this._shownKey = key;
      void this._drawDrift();
    }
  }

  private _renderTable(versions: readonly IVersion[]): void {
    const trans = this._trans;
    if (versions.length === 0) {
      this._table.replaceChildren(
        element(
          'div',
          'jp-greenhouse-placeholder',
          trans.__('Nothing published yet: publish a succeeded run.')
        )
      );
      return;
    }
    const table = element('table', 'jp-greenhouse-versions-table');
    const head = element('tr');
    for (const title of [
      trans.__('version'),
      trans.__('aliases'),
      trans.__('metrics'),
      trans.__('published'),
      trans.__('by'),
      trans.__('from run'),
      trans.__('actions')
    ]) {
      head.append(element('th', CELL, title));
    }
    table.append(head);
    for (const version of [...versions].reverse()) {
      table.append(this._row(version));
    }
    this._table.replaceChildren(table);
  }

  private _row(version: IVersion): HTMLElement {
    const trans = this._trans;
    const ref = `${version.name}@${version.number}`;
    const row = element('tr', 'jp-greenhouse-versions-row', undefined, {
      'data-ref': ref,
      'data-number': String(version.number)
    });
    const aliases = element('td', CELL);
    aliases.append(
      ...version.aliases.map(alias =>
        element('span', 'jp-greenhouse-alias', alias)
      )
    );
    const metrics = element('td', `${CELL} jp-greenhouse-versions-metrics`);
    metrics.textContent = Object.entries(
      version.metrics as Record<string, unknown>
    )
      .map(([name, value]) => `${name} ${formatValue(value)}`)
      .join(', ');
    const actions = element('td', `${CELL} jp-greenhouse-versions-actions`);
    actions.append(
      versionActions(this._model, version, trans),
      ...versionOutcome(this._model, ref, trans)
    );
    row.append(
      element(
        'td',
        `${CELL} jp-greenhouse-version-number`,
        `v${version.number}`
      ),
      aliases,
      metrics,
      element(
        'td',
        `${CELL} jp-greenhouse-version-time`,
        formatTime(version.created_at)
      ),
      element(
        'td',
        `${CELL} jp-greenhouse-version-publisher`,
        version.published_by ?? '-'
      ),
      element('td', `${CELL} jp-greenhouse-run-id`, version.run_id),
      actions
    );
    return row;
  }

  private _renderHistory(name: string): void {
    const trans = this._trans;
    const history = name ? this._model.aliasHistory(name) : null;
    const list = element('ul', 'jp-greenhouse-alias-events');
    for (const event of [...(history?.events ?? [])].reverse()) {
      list.append(
        element('li', 'jp-greenhouse-alias-event', eventText(event, trans), {
          'data-alias': event.alias,
          'data-action': event.action
        })
      );
    }
    const unrecorded = Object.entries(history?.unrecorded ?? {});
    for (const [alias, number] of unrecorded) {
      list.append(
        element(
          'li',
          'jp-greenhouse-alias-event',
          trans.__('%1 → v%2, set before its history was kept', alias, number),
          { 'data-alias': alias, 'data-action': 'unrecorded' }
        )
      );
    }
    if (list.childElementCount === 0) {
      list.append(
        element('li', 'jp-greenhouse-placeholder', trans.__('No alias set.'))
      );
    }
    this._history.replaceChildren(
      element('h4', '', trans.__('Alias history, newest first')),
      list
    );
  }

  private async _drawDrift(): Promise<void> {
    const name = this._artefact.value;
    const metric = this._metric.value;
    const versions = name ? (this._model.versions(name) ?? []) : [];
    await drawChart(
      this._drift,
      metricAcrossVersions(versions, metric),
      this._rendermime,
      this._trans,
      {
        empty: this._trans.__('No version recorded a metric as a number.'),
        width: Math.max(MIN_WIDTH, this.node.clientWidth - AXES_WIDTH)
      }
    );
  }

  private async _publish(): Promise<void> {
    const trans = this._trans;
    const title = trans.__('Publish');
    const chosen = this._runs.selectedRuns;
    if (chosen.length !== 1 || chosen[0].status !== 'succeeded') {
      await showErrorMessage(
        title,
        new Error(trans.__('Choose one succeeded run in the table to publish.'))
      );
      return;
    }
    const run = chosen[0].id;
    const answer = await askPublish(trans, run, this._artefact.value);
    if (answer === null) {
      return;
    }
    try {
      await this._model.publish(run, answer.name, answer.aliases);
      offerNames(this._artefact, this._model.artefactNames);
      this._artefact.value = answer.name;
      await this._choose();
    } catch (error) {
      await showErrorMessage(title, error as Error);
    }
  }

  private _artefact: HTMLSelectElement;
  private _metric: HTMLSelectElement;
  private _error: HTMLElement;
  private _table: HTMLElement;
  private _drift: Panel;
  private _history: HTMLElement;
  private _shownKey = '';
}

/**
 * One alias change in plain words: when, who, what, why.
 */
function eventText(event: IAliasEvent, trans: TranslationBundle): string {
  const what =
    event.action === 'removed'
      ? trans.__('%1 removed (was v%2)', event.alias, event.from_number)
      : event.from_number === null
        ? trans.__('%1 set to v%2', event.alias, event.to_number)
        : trans.__(
            '%1 moved v%2 → v%3',
            event.alias,
            event.from_number,
            event.to_number
          );
  const why = event.reason ? `: ${event.reason}` : '';
  return `${formatTime(event.at)} ${event.user}: ${what}${why}`;
}
