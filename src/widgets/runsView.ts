/**
 * The full-width runs view: filters as `greenhouse runs` takes them, a column
 * chooser, the runs table, and under it the chosen runs compared and charts.
 *
 * Hooks (`.jp-greenhouse-runs-view`, `data-testid="greenhouse-runs-view"`):
 * `.jp-greenhouse-runs-filter[data-name=N]` (N: status, user, sweep, schedule,
 * since, where),
 * `.jp-greenhouse-runs-apply`, `.jp-greenhouse-runs-live` (a checkbox),
 * `.jp-greenhouse-runs-sort` and `.jp-greenhouse-runs-descending`,
 * `.jp-greenhouse-runs-columns` (a `<details>` of
 * `.jp-greenhouse-runs-column[data-key=K]` checkboxes),
 * `.jp-greenhouse-runs-count` (with `data-count`), `.jp-greenhouse-runs-error`,
 * the grid `.jp-greenhouse-runs-grid` (with `data-rows`), then the tabs
 * `.jp-greenhouse-compare`, `.jp-greenhouse-charts` and `.jp-greenhouse-versions-tab`
 * (see their modules).
 */
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Panel, SplitPanel, TabPanel, Widget } from '@lumino/widgets';

import { ArtefactsModel } from '../artefacts';
import { IRunFilters, RunsViewModel } from '../runsView';
import { button, element } from './dom';
import { RunsCharts } from './runsCharts';
import { RunsCompare } from './runsCompare';
import { RunsGrid } from './runsGrid';
import { RunsVersions } from './runsVersions';

const STATUSES = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'interrupted'
];

/**
 * The runs view, for the whole store or one notebook.
 */
export class RunsView extends Panel {
  constructor(options: RunsView.IOptions) {
    super();
    const { model, trans } = options;
    this._model = model;
    this._trans = trans;
    this._notebook = model.filters.notebook;
    this.addClass('jp-greenhouse-runs-view');
    this.node.dataset.testid = 'greenhouse-runs-view';

    const bar = new Widget({ node: this._filterBar() });
    const controls = new Widget({ node: this._controls() });
    // The bars take the height they need (a flex column); the split, the rest.
    const split = new SplitPanel({ orientation: 'vertical', spacing: 4 });
    split.addClass('jp-greenhouse-runs-split');
    split.addWidget(new RunsGrid(model));
    const tabs = new TabPanel();
    tabs.addClass('jp-greenhouse-runs-tabs');
    const compare = new RunsCompare(model, options.commands, trans);
    compare.title.label = trans.__('Compare');
    const artefacts = this._artefacts;
    const charts = new RunsCharts(model, options.rendermime, trans, () =>
      artefacts.artefactNames.flatMap(name => artefacts.versions(name) ?? [])
    );
    charts.title.label = trans.__('Charts');
    const versions = new RunsVersions(
      model,
      artefacts,
      options.rendermime,
      trans
    );
    versions.title.label = trans.__('Versions');
    tabs.addWidget(compare);
    tabs.addWidget(charts);
    tabs.addWidget(versions);
    split.addWidget(tabs);
    split.setRelativeSizes([3, 2]);
    this.addWidget(bar);
    this.addWidget(controls);
    this.addWidget(split);
    model.changed.connect(this._render, this);
    this._render();
    void versions.refresh();
  }

  get model(): RunsViewModel {
    return this._model;
  }

  dispose(): void {
    this._model.stopPolling();
    this._model.changed.disconnect(this._render, this);
    super.dispose();
    this._artefacts.dispose();
  }

  private _filterBar(): HTMLElement {
    const trans = this._trans;
    const bar = element('form', 'jp-greenhouse-runs-filters');
    const status = element('select', 'jp-greenhouse-runs-filter', undefined, {
      'data-name': 'status',
      'aria-label': trans.__('Status')
    });
    status.append(element('option', '', trans.__('any status'), { value: '' }));
    for (const value of STATUSES) {
      status.append(element('option', '', value, { value }));
    }
    this._inputs.set('status', status);
    bar.append(status);
    const texts: [keyof IRunFilters, string, string][] = [
      ['user', trans.__('user'), trans.__('Only runs made by this user')],
      ['sweep', trans.__('sweep id'), trans.__('Only the runs of this sweep')],
      [
        'schedule',
        trans.__('schedule'),
        trans.__(
          "Only the runs of this schedule's occurrences (its name, or the id of a removed one)"
        )
      ],
      [
        'since',
        trans.__('since: 12h, 2026-12-01'),
        trans.__('Only runs since')
      ],
      [
        'where',
        trans.__('where: accuracy>0.95, lr<=0.1'),
        trans.__(
          'Conditions NAME OP NUMBER on a metric (else a parameter), as greenhouse check reads them; all must hold'
        )
      ]
    ];
    for (const [name, placeholder, title] of texts) {
      const input = element('input', 'jp-greenhouse-runs-filter', undefined, {
        'data-name': name,
        type: 'text',
        placeholder,
        title,
        'aria-label': title
      });
      this._inputs.set(name, input);
      bar.append(input);
    }
    bar.append(
      element(
        'button',
        'jp-greenhouse-button jp-greenhouse-runs-apply',
        trans.__('Filter'),
        {
          type: 'submit'
        }
      )
    );
    bar.addEventListener('submit', event => {
      event.preventDefault();
      void this._model.setFilters(this._readFilters());
    });
    return bar;
  }

  private _controls(): HTMLElement {
    const trans = this._trans;
    const bar = element('div', 'jp-greenhouse-runs-controls');
    this._sort = element('select', 'jp-greenhouse-runs-sort', undefined, {
      'aria-label': trans.__('Sort by')
    });
    this._sort.addEventListener('change', () => {
      if (this._sort.value) {
        this._model.sortBy(this._sort.value, this._descending.checked);
      }
    });
    this._descending = element(
      'input',
      'jp-greenhouse-runs-descending',
      undefined,
      {
        type: 'checkbox',
        'aria-label': trans.__('Descending')
      }
    );
    this._descending.addEventListener('change', () => {
      if (this._sort.value) {
        this._model.sortBy(this._sort.value, this._descending.checked);
      }
    });
    const descending = element('label', 'jp-greenhouse-runs-toggle');
    descending.append(this._descending, trans.__('descending'));
    this._columns = element('details', 'jp-greenhouse-runs-columns');
    this._columns.append(element('summary', '', trans.__('Columns')));
    this._columnList = element('div', 'jp-greenhouse-runs-column-list');
    this._columns.append(this._columnList);
    const live = element('input', 'jp-greenhouse-runs-live', undefined, {
      type: 'checkbox',
      'aria-label': trans.__('Live')
    });
    live.checked = true;
    live.addEventListener('change', () =>
      live.checked ? this._model.startPolling() : this._model.stopPolling()
    );
    const liveLabel = element('label', 'jp-greenhouse-runs-toggle', undefined, {
      title: trans.__('List the runs again every few seconds')
    });
    liveLabel.append(live, trans.__('live'));
    this._count = element('span', 'jp-greenhouse-runs-count', undefined, {
      'aria-live': 'polite'
    });
    this._error = element(
      'span',
      'jp-greenhouse-runs-error jp-greenhouse-error',
      undefined,
      {
        role: 'alert'
      }
    );
    bar.append(
      element('span', '', trans.__('Sort by')),
      this._sort,
      descending,
      this._columns,
      liveLabel,
      button(
        'jp-greenhouse-runs-refresh',
        trans.__('Refresh'),
        () => void this._model.load(),
        trans.__('List the runs again')
      ),
      this._count,
      this._error
    );
    return bar;
  }

  private _readFilters(): IRunFilters {
    const value = (name: string) => this._inputs.get(name)?.value.trim() ?? '';
    return {
      notebook: this._notebook,
      status: value('status') as IRunFilters['status'],
      user: value('user'),
      sweep: value('sweep'),
      schedule: value('schedule'),
      since: value('since'),
      where: value('where')
    };
  }

  private _render(): void {
    const model = this._model;
    const trans = this._trans;
    const count = model.runs.length;
    this._count.dataset.count = String(count);
    this._count.textContent = model.capped
      ? trans.__('the first %1 runs: filter for the rest', count)
      : trans._n('%1 run', '%1 runs', count);
    this._error.textContent = model.error ?? '';
    const keys = model.columns.map(column => column.key).join('\n');
    if (keys !== this._shownKeys) {
      this._shownKeys = keys;
      this._renderColumnChoices();
    }
    const sort = model.sort;
    this._sort.value = sort?.key ?? '';
    this._descending.checked = sort?.descending ?? false;
  }

  private _renderColumnChoices(): void {
    const model = this._model;
    const visible = new Set(model.visibleColumns.map(column => column.key));
    this._columnList.replaceChildren();
    this._sort.replaceChildren(
      element('option', '', this._trans.__('newest first'), { value: '' })
    );
    for (const column of model.columns) {
      const name =
        column.kind === 'record'
          ? column.label
          : `${column.kind}: ${column.label}`;
      this._sort.append(element('option', '', name, { value: column.key }));
      const box = element('input', 'jp-greenhouse-runs-column', undefined, {
        type: 'checkbox',
        'data-key': column.key
      });
      box.checked = visible.has(column.key);
      box.addEventListener('change', () =>
        model.setColumnVisible(column.key, box.checked)
      );
      const label = element('label', 'jp-greenhouse-runs-column-label');
      label.append(box, name);
      this._columnList.append(label);
    }
  }

  private _model: RunsViewModel;
  private _artefacts = new ArtefactsModel();
  private _trans: TranslationBundle;
  private _notebook: string | undefined;
  private _inputs = new Map<string, HTMLInputElement | HTMLSelectElement>();
  private _sort!: HTMLSelectElement;
  private _descending!: HTMLInputElement;
  private _columns!: HTMLDetailsElement;
  private _columnList!: HTMLElement;
  private _count!: HTMLElement;
  private _error!: HTMLElement;
  private _shownKeys = '';
}

/**
 * The runs view's namespace.
 */
export namespace RunsView {
  export interface IOptions {
    model: RunsViewModel;
    commands: CommandRegistry;
    rendermime: IRenderMimeRegistry;
    trans: TranslationBundle;
  }
}
