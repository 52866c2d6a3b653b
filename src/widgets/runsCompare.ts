/**
 * The runs view's comparison: the chosen runs side by side (parameters and metrics,
 * differing rows highlighted) and the two-run diff of any pair of them.
 *
 * Hooks: `.jp-greenhouse-compare` with `data-runs` (how many are chosen),
 * `.jp-greenhouse-compare-table`, rows `.jp-greenhouse-compare-row[data-group][data-name]`
 * (`.jp-greenhouse-compare-differs` when the values differ),
 * `.jp-greenhouse-compare-pair` (a select of pairs), `.jp-greenhouse-compare-diff`
 * and `.jp-greenhouse-compare-clear`.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';

import { CommandIDs } from '../commandIds';
import { compareRows, pairs } from '../compare';
import { RunsViewModel } from '../runsView';
import { button, element } from './dom';

/**
 * The chosen runs, compared.
 */
export class RunsCompare extends Widget {
  constructor(
    private _model: RunsViewModel,
    private _commands: CommandRegistry,
    private _trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-greenhouse-compare');
    this.node.dataset.testid = 'greenhouse-compare';
    this._pair = element('select', 'jp-greenhouse-compare-pair', undefined, {
      'aria-label': _trans.__('The pair of runs to diff')
    });
    this._diff = button(
      'jp-greenhouse-compare-diff',
      _trans.__('Diff Pair'),
      () => this._diffPair(),
      _trans.__('Open the two-run diff of the chosen pair')
    );
    const bar = element('div', 'jp-greenhouse-compare-bar');
    this._note = element('span', 'jp-greenhouse-compare-note');
    bar.append(
      this._note,
      this._pair,
      this._diff,
      button(
        'jp-greenhouse-compare-clear',
        _trans.__('Clear'),
        () => _model.clearSelection(),
        _trans.__('Choose no run')
      )
    );
    this._table = element('div', 'jp-greenhouse-compare-body');
    this.node.append(bar, this._table);
    _model.changed.connect(this._render, this);
    this._render();
  }

  dispose(): void {
    this._model.changed.disconnect(this._render, this);
    super.dispose();
  }

  private _render(): void {
    const runs = this._model.selectedRuns;
    const trans = this._trans;
    this.node.dataset.runs = String(runs.length);
    this._note.textContent = runs.length
      ? trans._n('%1 run chosen', '%1 runs chosen', runs.length)
      : trans.__('Click rows of the table to choose runs to compare.');
    const chosen = this._pair.value;
    this._pair.replaceChildren(
      ...pairs(runs.map(run => run.id)).map(([a, b]) =>
        element('option', '', `${a.slice(0, 8)} ↔ ${b.slice(0, 8)}`, {
          value: `${a} ${b}`
        })
      )
    );
    if ([...this._pair.options].some(option => option.value === chosen)) {
      this._pair.value = chosen;
    }
    this._pair.disabled = this._diff.disabled = runs.length < 2;
    this._table.replaceChildren();
    if (runs.length === 0) {
      return;
    }
    const table = element('table', 'jp-greenhouse-compare-table');
    const head = element('tr');
    head.append(element('th', '', ''));
    for (const run of runs) {
      head.append(
        element('th', '', run.id.slice(0, 8), {
          title: `${run.id} (${run.status})`
        })
      );
    }
    table.append(head);
    for (const row of compareRows(runs)) {
      const tr = element(
        'tr',
        `jp-greenhouse-compare-row${row.differs ? ' jp-greenhouse-compare-differs' : ''}`,
        undefined,
        { 'data-group': row.group, 'data-name': row.name }
      );
      tr.append(element('th', '', row.name, { title: row.group }));
      for (const value of row.values) {
        tr.append(element('td', '', value, { title: value }));
      }
      table.append(tr);
    }
    this._table.append(table);
  }

  private _diffPair(): void {
    const [a, b] = this._pair.value.split(' ');
    if (a && b) {
      void this._commands.execute(CommandIDs.diff, { a, b });
    }
  }

  private _pair: HTMLSelectElement;
  private _diff: HTMLButtonElement;
  private _note: HTMLElement;
  private _table: HTMLElement;
}
