/**
 * Reproducing a version is a choice of what it runs with: the dialog that asks for its
 * environment (today's kernel or the recorded one, rebuilt) and inputs (kept with the
 * version or today's files), and the lines that say which environment a reproduction
 * used and how it differed.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import type { IReproduction } from '../api';
import type { ArtefactsModel } from '../artefacts';
import { element } from './dom';

/**
 * Ask how to reproduce `ref`.
 *
 * @returns The options chosen, or null when cancelled.
 */
export async function askReproduceOptions(
  ref: string,
  trans: TranslationBundle
): Promise<ArtefactsModel.ReproduceOptions | null> {
  const result = await showDialog({
    title: trans.__('Reproduce %1', ref),
    body: new ReproduceForm(trans),
    buttons: [
      Dialog.cancelButton(),
      Dialog.okButton({ label: trans.__('Reproduce') })
    ]
  });
  return result.button.accept ? result.value : null;
}

/**
 * Which environment a reproduction ran in, what was left out of it, and how the
 * re-run's Python, kernel and packages differ from the run's.
 *
 * @param result - The reproduction.
 * @returns One line each.
 */
export function environmentLines(
  result: IReproduction,
  trans: TranslationBundle
): string[] {
  const built = result.rebuilt;
  const lines = [
    built
      ? trans.__(
          'Environment: recorded, rebuilt with uv (lock %1, Python %2, %3)',
          built.sha256.slice(0, 12),
          built.python,
          built.cached ? trans.__('from the cache') : trans.__('built now')
        )
      : result.environment_from === 'recorded'
        ? trans.__('Environment: recorded, not built')
        : trans.__("Environment: current (the run's kernel as installed today)")
  ];
  lines.push(...result.left_out.map(item => trans.__('Left out: %1', item)));
  const { packages, ...runtime } = result.environment as {
    packages?: Record<string, [string | null, string | null]>;
  } & Record<string, [string, string]>;
  for (const [key, [then, now]] of Object.entries(runtime)) {
    lines.push(`${key}: ${then} → ${now}`);
  }
  for (const [name, [then, now]] of Object.entries(packages ?? {})) {
    const none = trans.__('(none)');
    lines.push(
      trans.__('package %1: %2 → %3', name, then ?? none, now ?? none)
    );
  }
  return lines;
}

/**
 * The dialog's body: two choices and the partial rebuild's checkbox.
 */
class ReproduceForm
  extends Widget
  implements Dialog.IBodyWidget<ArtefactsModel.ReproduceOptions>
{
  constructor(trans: TranslationBundle) {
    super();
    this.addClass('jp-greenhouse-reproduce-form');
    this._partial = element(
      'input',
      'jp-greenhouse-reproduce-partial',
      undefined,
      {
        type: 'checkbox'
      }
    );
    this._partial.disabled = true;
    const environment = this._choice('env', trans.__('Environment'), [
      ['current', trans.__("Current: the run's kernel as installed today")],
      ['recorded', trans.__('Recorded: rebuild the version’s lock with uv')]
    ]);
    environment.addEventListener('change', () => {
      this._partial.disabled = this._chosen('env') !== 'recorded';
    });
    const partial = element('label', 'jp-greenhouse-reproduce-option');
    partial.append(
      this._partial,
      trans.__(
        'Allow a partial rebuild (leave out what cannot be installed here)'
      )
    );
    this.node.append(
      environment,
      partial,
      this._choice('inputs', trans.__('Inputs'), [
        ['stored', trans.__('Kept with the version (when it kept them)')],
        ['current', trans.__("Today's files")]
      ])
    );
  }

  /**
   * The options chosen; the defaults are left to the server.
   */
  getValue(): ArtefactsModel.ReproduceOptions {
    const options: ArtefactsModel.ReproduceOptions = {};
    if (this._chosen('env') === 'recorded') {
      options.env = 'recorded';
      options.allow_partial = this._partial.checked;
    }
    if (this._chosen('inputs') === 'current') {
      options.inputs = 'current';
    }
    return options;
  }

  private _choice(
    name: string,
    legend: string,
    options: [string, string][]
  ): HTMLElement {
    const group = element('fieldset', `jp-greenhouse-reproduce-${name}`);
    group.append(element('legend', '', legend));
    options.forEach(([value, label], index) => {
      const input = element('input', '', undefined, {
        type: 'radio',
        name: `jp-greenhouse-reproduce-${name}`,
        value
      });
      input.checked = index === 0;
      const row = element('label', 'jp-greenhouse-reproduce-option');
      row.append(input, label);
      group.append(row);
    });
    return group;
  }

  private _chosen(name: string): string | undefined {
    const checked = this.node.querySelector<HTMLInputElement>(
      `input[name="jp-greenhouse-reproduce-${name}"]:checked`
    );
    return checked?.value;
  }

  private _partial: HTMLInputElement;
}
