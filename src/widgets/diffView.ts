/**
 * The diff of two runs in the main area: the parameter, metric, input and
 * environment differences in small tables, then nbdime's own notebook diff.
 */
import type { INotebookContent } from '@jupyterlab/nbformat';
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';
import { Panel, Widget } from '@lumino/widgets';
import type { IDiffEntry } from 'nbdime/lib/diff/diffentries';
import { NotebookDiffModel } from 'nbdime/lib/diff/model';
import { NotebookDiffWidget } from 'nbdime/lib/diff/widget';

import type { IDiffResult, IEnvironmentDiff, IValueChange } from '../api';
import { element } from './dom';
import { formatValue } from './format';
import { withRecordLines } from './records';
import { withStandInImages } from './standIn';

import 'nbdime/lib/common/collapsible.css';
import 'nbdime/lib/upstreaming/flexpanel.css';
import 'nbdime/lib/common/dragpanel.css';
import 'nbdime/lib/styles/variables.css';
import 'nbdime/lib/styles/common.css';
import 'nbdime/lib/styles/diff.css';

/**
 * The diff of two runs, versions or notebooks.
 */
export class DiffView extends Panel {
  /**
   * Create the view; call {@link render} to draw the notebook diff.
   *
   * @param diff - The server's answer to `GET diff`.
   * @param rendermime - The renderers nbdime shows outputs with.
   * @param trans - The translation bundle.
   */
  constructor(
    readonly diff: IDiffResult,
    private _rendermime: IRenderMimeRegistry,
    private _trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-greenhouse-diff');
    this.node.dataset.testid = 'greenhouse-diff';
    this.addWidget(new Widget({ node: recordTables(diff, _trans) }));
  }

  /**
   * Build nbdime's notebook diff and add it below the tables.
   *
   * @returns A promise settled once nbdime has drawn every cell.
   */
  async render(): Promise<void> {
    const trans = this._trans;
    // The API describes the base notebook and the diff entries only loosely (any
    // objects); they are nbformat's and nbdime's own, which nbdime's types describe.
    const entries = this.diff.notebook.nbdime as unknown as IDiffEntry[];
    const base = this.diff.base as unknown as INotebookContent;
    const heading = element(
      'h3',
      'jp-greenhouse-diff-heading',
      trans.__('Notebook')
    );
    this.addWidget(new Widget({ node: heading }));
    if (entries.length === 0) {
      const same = trans.__('The notebooks do not differ.');
      this.addWidget(
        new Widget({ node: element('p', 'jp-greenhouse-placeholder', same) })
      );
      return;
    }
    const model = new NotebookDiffModel(base, entries);
    const widget = new NotebookDiffWidget({
      model,
      rendermime: withRecordLines(
        withStandInImages(this._rendermime, trans),
        trans
      )
    });
    widget.addClass('jp-greenhouse-diff-notebook');
    this.addWidget(widget);
    await widget.init();
  }
}

/**
 * The tables of parameter, metric, input and environment differences.
 */
function recordTables(
  diff: IDiffResult,
  trans: TranslationBundle
): HTMLElement {
  const node = element('div', 'jp-greenhouse-diff-records');
  const title = element('h2', 'jp-greenhouse-diff-title');
  title.append(
    element('span', 'jp-greenhouse-diff-side', diff.a),
    document.createTextNode(' → '),
    element('span', 'jp-greenhouse-diff-side', diff.b)
  );
  node.append(title);
  const sides = [diff.a, diff.b];
  const sections: [string, string, string[], string[][]][] = [
    [
      'parameters',
      trans.__('Parameters'),
      [trans.__('Name'), ...sides],
      diff.parameters.map(row => [row.name, ...sidesOf(row)])
    ],
    [
      'metrics',
      trans.__('Metrics'),
      [trans.__('Name'), ...sides, trans.__('Change')],
      diff.metrics.map(row => [
        row.name,
        ...sidesOf(row),
        delta(row.delta, row.percent)
      ])
    ],
    [
      'inputs',
      trans.__('Inputs'),
      [trans.__('Path'), ...sides],
      diff.inputs.map(row => [
        row.path,
        shortHash(row.a?.sha256),
        shortHash(row.b?.sha256)
      ])
    ],
    [
      'environment',
      trans.__('Environment'),
      [trans.__('What'), ...sides],
      environmentRows(diff.environment)
    ]
  ];
  let shown = 0;
  for (const [part, heading, columns, rows] of sections) {
    if (rows.length > 0) {
      node.append(table(part, heading, columns, rows));
      shown++;
    }
  }
  if (shown === 0) {
    node.append(
      element(
        'p',
        'jp-greenhouse-placeholder',
        trans.__('Same parameters, metrics, inputs and environment.')
      )
    );
  }
  return node;
}

function table(
  part: string,
  heading: string,
  columns: string[],
  rows: string[][]
): HTMLElement {
  const section = element('section', 'jp-greenhouse-diff-section', undefined, {
    'data-part': part
  });
  const body = element('table', 'jp-greenhouse-diff-table');
  const head = element('tr');
  head.append(...columns.map(text => element('th', '', text)));
  body.append(head);
  for (const row of rows) {
    const tr = element('tr', 'jp-greenhouse-diff-row', undefined, {
      'data-name': row[0]
    });
    tr.append(...row.map(text => element('td', '', text)));
    body.append(tr);
  }
  section.append(element('h3', 'jp-greenhouse-diff-heading', heading), body);
  return section;
}

function environmentRows(environment: IEnvironmentDiff | null): string[][] {
  if (environment === null) {
    return [];
  }
  const rows: string[][] = [];
  for (const [what, pair] of [
    ['python', environment.python],
    ['kernel', environment.kernel]
  ] as const) {
    if (pair.a !== pair.b) {
      rows.push([what, pair.a, pair.b]);
    }
  }
  const packages = environment.packages;
  rows.push(
    ...packages.changed.map(item => [item.name, item.a, item.b]),
    ...packages.added.map(item => [item.name, '–', item.version]),
    ...packages.removed.map(item => [item.name, item.version, '–'])
  );
  return rows;
}

/**
 * The two sides of a change, with a dash for the side that has no value.
 */
function sidesOf(row: IValueChange): [string, string] {
  return [
    row.change === 'added' ? '–' : formatValue(row.a),
    row.change === 'removed' ? '–' : formatValue(row.b)
  ];
}

function delta(value: number | null, percent: number | null): string {
  if (value === null) {
    return '';
  }
  const sign = value > 0 ? '+' : '';
  const text = `${sign}${formatValue(value)}`;
  return percent === null ? text : `${text} (${sign}${percent.toFixed(1)}%)`;
}

function shortHash(sha256: string | undefined): string {
  return sha256 ? sha256.slice(0, 12) : '–';
}
