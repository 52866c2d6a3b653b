/**
 * Moving an alias is a decision: the dialog that confirms it, shows what changes
 * between the two versions' metrics, and takes the reason kept in its history.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import type { IVersion } from '../api';
import { element } from './dom';
import { formatValue } from './format';

/**
 * One metric of the version an alias leaves and of the one it moves to.
 */
export interface IMetricChange {
  name: string;
  from: unknown;
  to: unknown;
  /**
   * `to - from` when both are numbers, else null.
   */
  delta: number | null;
  changed: boolean;
}

/**
 * Every metric of either version, sorted by name, with what changed.
 *
 * @param from - The version the alias points at now.
 * @param to - The version it would point at.
 * @returns One row a metric.
 */
export function metricChanges(from: IVersion, to: IVersion): IMetricChange[] {
  const before = (from.metrics ?? {}) as Record<string, unknown>;
  const after = (to.metrics ?? {}) as Record<string, unknown>;
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return names.sort().map(name => {
    const a = before[name];
    const b = after[name];
    const numbers = typeof a === 'number' && typeof b === 'number';
    return {
      name,
      from: a,
      to: b,
      delta: numbers ? b - a : null,
      changed: JSON.stringify(a) !== JSON.stringify(b)
    };
  });
}

/**
 * Where an alias of an artefact points among its versions, if anywhere.
 *
 * @param versions - The artefact's versions, with their aliases.
 * @param alias - The alias.
 * @returns The version it points at, or null.
 */
export function aliasTarget(
  versions: readonly IVersion[],
  alias: string
): IVersion | null {
  return versions.find(v => v.aliases.includes(alias)) ?? null;
}

/**
 * Ask before moving `alias` from `from` to `to`, showing their metrics side by side.
 *
 * @returns The reason typed (maybe empty) when confirmed, or null when cancelled.
 */
export async function confirmAliasMove(
  alias: string,
  from: IVersion,
  to: IVersion,
  trans: TranslationBundle
): Promise<string | null> {
  const result = await showDialog({
    title: trans.__('Move %1 of %2?', alias, to.name),
    body: new AliasMoveForm(alias, from, to, trans),
    buttons: [
      Dialog.cancelButton(),
      Dialog.warnButton({ label: trans.__('Move %1', alias) })
    ],
    focusNodeSelector: 'input'
  });
  return result.button.accept ? result.value : null;
}

/**
 * The body of the confirmation: the move in words, the metrics table, the reason.
 */
class AliasMoveForm extends Widget implements Dialog.IBodyWidget<string> {
  constructor(
    alias: string,
    from: IVersion,
    to: IVersion,
    trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-greenhouse-alias-form');
    const summary = trans.__(
      '%1 points at %2@%3. Moving it to %2@%4 changes what everything that uses %2@%1 gets.',
      alias,
      to.name,
      from.number,
      to.number
    );
    this._reason = element('input', 'jp-greenhouse-alias-reason', undefined, {
      type: 'text',
      placeholder: trans.__('Why it moves (kept in its history)'),
      'aria-label': trans.__('Reason')
    });
    this.node.append(
      element('p', 'jp-greenhouse-alias-summary', summary),
      metricsTable(metricChanges(from, to), from, to, trans),
      element('label', '', trans.__('Reason (optional)')),
      this._reason
    );
  }

  /**
   * The reason typed, trimmed.
   */
  getValue(): string {
    return this._reason.value.trim();
  }

  private _reason: HTMLInputElement;
}

function metricsTable(
  changes: IMetricChange[],
  from: IVersion,
  to: IVersion,
  trans: TranslationBundle
): HTMLElement {
  if (changes.length === 0) {
    return element(
      'p',
      'jp-greenhouse-alias-metrics',
      trans.__('Neither version recorded metrics.')
    );
  }
  const table = element('table', 'jp-greenhouse-alias-metrics');
  const head = element('tr');
  for (const text of [
    trans.__('Metric'),
    `@${from.number}`,
    `@${to.number}`,
    trans.__('Change')
  ]) {
    head.append(element('th', '', text));
  }
  table.append(head);
  for (const change of changes) {
    const row = element('tr', 'jp-greenhouse-alias-metric', undefined, {
      'data-name': change.name,
      'data-changed': String(change.changed)
    });
    const delta =
      change.delta === null
        ? change.changed
          ? trans.__('changed')
          : ''
        : `${change.delta > 0 ? '+' : ''}${formatValue(change.delta)}`;
    for (const [text, whole] of [
      [change.name, change.name],
      cell(change.from),
      cell(change.to),
      [delta, delta]
    ]) {
      row.append(element('td', '', text, { title: whole }));
    }
    table.append(row);
  }
  return table;
}

/**
 * A value as shown (elided) and in full, for the cell's tooltip.
 */
function cell(value: unknown): [string, string] {
  if (value === undefined) {
    return ['-', ''];
  }
  return [formatValue(value), JSON.stringify(value)];
}
