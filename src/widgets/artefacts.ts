/**
 * Published artefacts: their versions and aliases, verifying and reproducing a
 * version, and the dialog that publishes a run.
 */
import {
  Dialog,
  InputDialog,
  showDialog,
  showErrorMessage
} from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import type { IReproduction, IVerifyResult, IVersion } from '../api';
import { ArtefactsModel } from '../artefacts';
import { messageOf } from '../errors';
import { aliasTarget, confirmAliasMove } from './aliasDialog';
import { askReproduceOptions, environmentLines } from './reproduceDialog';
import { button, element } from './dom';
import { formatTime, formatValue } from './format';

/**
 * The list of published artefacts and their versions.
 */
export class ArtefactsView extends Widget {
  /**
   * Create the view and list the artefacts.
   *
   * @param model - The artefacts' model.
   * @param trans - The translation bundle.
   */
  constructor(
    private _model: ArtefactsModel,
    private _trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-greenhouse-artefacts');
    this.node.dataset.testid = 'greenhouse-artefacts';
    const header = element('div', 'jp-greenhouse-section-header');
    header.append(
      element('h3', 'jp-greenhouse-section-title', _trans.__('Artefacts')),
      button(
        'jp-greenhouse-artefacts-refresh',
        _trans.__('Refresh'),
        () => void this.refresh(),
        _trans.__('List the published artefacts again')
      )
    );
    this._error = element('div', 'jp-greenhouse-error', undefined, {
      role: 'alert'
    });
    this._list = element('ul', 'jp-greenhouse-artefact-list');
    this.node.append(header, this._error, this._list);
    _model.changed.connect(this._render, this);
    void this.refresh();
  }

  /**
   * List the artefacts and the versions of those shown open again.
   *
   * @returns A promise settled once listed; a failure is shown in the view.
   */
  async refresh(): Promise<void> {
    this._error.textContent = '';
    try {
      await this._model.loadArtefacts();
      await Promise.all(
        [...this._open].map(name => this._model.loadVersions(name))
      );
    } catch (error) {
      this._error.textContent = messageOf(error);
    }
  }

  private _render(): void {
    const names = this._model.artefactNames;
    if (names.length === 0) {
      const none = this._trans.__(
        'Nothing published yet: publish a succeeded run.'
      );
      this._list.replaceChildren(
        element('li', 'jp-greenhouse-placeholder', none)
      );
      return;
    }
    this._list.replaceChildren(...names.map(name => this._artefact(name)));
  }

  private _artefact(name: string): HTMLElement {
    const item = element('li', 'jp-greenhouse-artefact', undefined, {
      'data-name': name
    });
    const details = element('details');
    details.open = this._open.has(name);
    details.append(element('summary', 'jp-greenhouse-artefact-name', name));
    details.addEventListener('toggle', () => {
      // Restoring the open state above fires a toggle too: only a person's counts.
      if (details.open === this._open.has(name)) {
        return;
      }
      if (!details.open) {
        this._open.delete(name);
        return;
      }
      this._open.add(name);
      this._model.loadVersions(name).catch(error => {
        details.append(element('div', 'jp-greenhouse-error', messageOf(error)));
      });
    });
    const versions = this._model.versions(name);
    if (versions !== null) {
      const list = element('ul', 'jp-greenhouse-versions');
      list.append(
        ...[...versions].reverse().map(version => this._version(version))
      );
      details.append(list);
    }
    item.append(details);
    return item;
  }

  private _version(version: IVersion): HTMLElement {
    const trans = this._trans;
    const ref = `${version.name}@${version.number}`;
    const item = element('li', 'jp-greenhouse-version', undefined, {
      'data-ref': ref,
      'data-number': String(version.number)
    });
    const header = element('div', 'jp-greenhouse-version-header');
    header.append(
      element('span', 'jp-greenhouse-version-number', `v${version.number}`),
      ...version.aliases.map(alias =>
        element('span', 'jp-greenhouse-alias', alias)
      ),
      element(
        'span',
        'jp-greenhouse-version-time',
        formatTime(version.created_at)
      ),
      element('span', 'jp-greenhouse-run-id', version.run_id, {
        title: trans.__('Made from run %1', version.run_id)
      })
    );
    const metrics = element('ul', 'jp-greenhouse-metrics');
    for (const [name, value] of Object.entries(version.metrics)) {
      const metric = element('li', 'jp-greenhouse-metric', undefined, {
        'data-name': name
      });
      metric.append(
        element('span', 'jp-greenhouse-value-name', name),
        element('span', 'jp-greenhouse-value', formatValue(value))
      );
      metrics.append(metric);
    }
    item.append(
      header,
      metrics,
      versionActions(this._model, version, trans),
      ...versionOutcome(this._model, ref, trans)
    );
    return item;
  }

  private _error: HTMLElement;
  private _list: HTMLElement;
  private _open = new Set<string>();
}

/**
 * The actions on a version, the same in the sidebar and in the runs view's Versions
 * tab: Verify, Reproduce, Run this version and Set alias… (with its confirmation).
 *
 * @param model - The artefacts' model the actions go through.
 * @param version - The version.
 * @param trans - The translation bundle.
 * @returns The row of buttons.
 */
export function versionActions(
  model: ArtefactsModel,
  version: IVersion,
  trans: TranslationBundle
): HTMLElement {
  const ref = `${version.name}@${version.number}`;
  const actions = element('div', 'jp-greenhouse-run-actions');
  actions.append(
    button(
      'jp-greenhouse-verify-button',
      trans.__('Verify'),
      () => {
        model.verify(ref).catch(() => undefined);
      },
      trans.__('Check every file against the manifest')
    ),
    button(
      'jp-greenhouse-reproduce-button',
      trans.__('Reproduce'),
      () => {
        askReproduceOptions(ref, trans)
          .then(options => options && model.reproduce(ref, options))
          .catch(() => undefined);
      },
      trans.__('Run the notebook again and compare')
    ),
    button(
      'jp-greenhouse-run-version-button',
      trans.__('Run this version'),
      () => {
        model
          .runVersion(version, (name, of) => askSecret(name, of, trans))
          .catch(() => undefined);
      },
      trans.__(
        "Run this version's own notebook with its recorded values (not the working copy)"
      )
    ),
    button('jp-greenhouse-alias-button', trans.__('Set alias…'), () => {
      void setAlias(model, version, trans);
    })
  );
  return actions;
}

/**
 * What the actions on a version gave: the run last started from it and its last
 * check, in plain words (none yet: empty).
 *
 * @param model - The artefacts' model.
 * @param ref - The version's reference, `NAME@N`.
 * @param trans - The translation bundle.
 * @returns The nodes to show under the version's actions.
 */
export function versionOutcome(
  model: ArtefactsModel,
  ref: string,
  trans: TranslationBundle
): HTMLElement[] {
  const start = model.start(ref);
  const check = model.check(ref);
  return [
    ...(start ? [startNode(start, ref, trans)] : []),
    ...(check ? [checkNode(check, trans)] : [])
  ];
}

async function askSecret(
  name: string,
  ref: string,
  trans: TranslationBundle
): Promise<string | null> {
  const answer = await InputDialog.getPassword({
    title: trans.__('%1 for %2', name, ref),
    label: trans.__(
      'The secret parameter %1 was never stored: give its value again.',
      name
    ),
    okLabel: trans.__('Run')
  });
  return answer.button.accept ? (answer.value ?? '') : null;
}

async function setAlias(
  model: ArtefactsModel,
  version: IVersion,
  trans: TranslationBundle
): Promise<void> {
  const title = trans.__('Alias for %1@%2', version.name, version.number);
  const answer = await InputDialog.getText({
    title,
    placeholder: trans.__('production'),
    okLabel: trans.__('Set')
  });
  const alias = answer.value?.trim() ?? '';
  if (!answer.button.accept || !alias) {
    return;
  }
  const current = aliasTarget(model.versions(version.name) ?? [], alias);
  if (current?.number === version.number) {
    return;
  }
  let reason: string | null = '';
  if (current) {
    reason = await confirmAliasMove(alias, current, version, trans);
    if (reason === null) {
      return;
    }
  }
  try {
    await model.setAlias(version.name, alias, version.number, reason);
  } catch (error) {
    await showErrorMessage(title, error as Error);
  }
}

/**
 * A run started from a version, in plain words.
 */
function startNode(
  start: ArtefactsModel.Start,
  ref: string,
  trans: TranslationBundle
): HTMLElement {
  const node = element('div', 'jp-greenhouse-version-start', undefined, {
    'data-state': start.state,
    role: 'status'
  });
  if (start.state === 'pending') {
    node.textContent = trans.__('Starting a run of %1…', ref);
  } else if (start.state === 'started') {
    node.dataset.run = start.run;
    node.textContent = trans.__('Started run %1 of %2.', start.run, ref);
  } else {
    node.classList.add('jp-greenhouse-error');
    node.textContent = start.error;
  }
  return node;
}

/**
 * The outcome of a verification or reproduction, in plain words.
 */
function checkNode(
  check: ArtefactsModel.Check,
  trans: TranslationBundle
): HTMLElement {
  const node = element('div', 'jp-greenhouse-check', undefined, {
    'data-kind': check.kind,
    'data-state': check.state,
    role: 'status'
  });
  if (check.state === 'pending') {
    if (check.kind === 'verify') {
      node.textContent = trans.__('Verifying…');
    } else if (check.rerun) {
      node.textContent = check.building
        ? trans.__('Building the recorded environment for run %1…', check.rerun)
        : trans.__('Re-running the notebook as run %1…', check.rerun);
    } else {
      node.textContent = trans.__('Re-running the notebook…');
    }
  } else if (check.state === 'failed') {
    node.classList.add('jp-greenhouse-error');
    node.textContent = check.error;
  } else if (check.kind === 'verify') {
    node.append(...verifyLines(check.result, trans));
    node.dataset.verdict = check.result.ok ? 'ok' : 'failed';
  } else {
    node.append(...reproduceLines(check.result, trans));
    node.dataset.verdict = check.result.verdict;
  }
  return node;
}

function verifyLines(
  result: IVerifyResult,
  trans: TranslationBundle
): HTMLElement[] {
  // `checked` counts the manifest too; the files counted are those it lists, the
  // count publishing gives (as `greenhouse verify` says it).
  const files = result.checked - 1;
  if (result.ok) {
    const text = trans.__(
      '✓ Verified: all %1 files match the manifest.',
      files
    );
    return [element('div', 'jp-greenhouse-check-summary', text)];
  }
  const summary = trans.__(
    '✗ %1 of %2 files do not match (the manifest and the %3 files it lists):',
    result.problems.length,
    result.checked,
    files
  );
  return [
    element('div', 'jp-greenhouse-check-summary', summary),
    list(result.problems.map(problem => `${problem.path}: ${problem.problem}`))
  ];
}

function reproduceLines(
  result: IReproduction,
  trans: TranslationBundle
): HTMLElement[] {
  if (result.verdict === 'reproducible') {
    const text = trans.__(
      '✓ Reproducible: run %1 gives the same %2 code cells and metrics.',
      result.rerun_id,
      result.compared_cells
    );
    return [
      element('div', 'jp-greenhouse-check-summary', text),
      list([...environmentLines(result, trans), ...result.warnings])
    ];
  }
  const reason = result.reason ?? trans.__('the outputs differ');
  const lines = [
    ...result.cells.map(cell => trans.__('cell %1: %2', cell.index, cell.what)),
    ...Object.entries(result.metrics).map(
      ([name, [before, after]]) =>
        `${name}: ${formatValue(before)} → ${formatValue(after)}`
    ),
    ...result.inputs.map(input =>
      input.current_sha256 === null
        ? trans.__('input %1 is gone', input.path)
        : trans.__('input %1 has changed since the run', input.path)
    ),
    ...environmentLines(result, trans),
    ...result.warnings
  ];
  return [
    element(
      'div',
      'jp-greenhouse-check-summary',
      trans.__('✗ Differs (re-run %1): %2', result.rerun_id, reason)
    ),
    list(lines)
  ];
}

function list(lines: string[]): HTMLElement {
  const node = element('ul', 'jp-greenhouse-check-details');
  node.append(...lines.map(line => element('li', '', line)));
  return node;
}

/**
 * Ask for the artefact name and aliases to publish a run under.
 *
 * @param trans - The translation bundle.
 * @param run - The run's id, shown in the title.
 * @param name - The name proposed.
 * @returns The name and aliases, or null when the dialog was cancelled.
 */
export async function askPublish(
  trans: TranslationBundle,
  run: string,
  name: string
): Promise<{ name: string; aliases: string[] } | null> {
  const result = await showDialog({
    title: trans.__('Publish run %1', run),
    body: new PublishForm(trans, name),
    buttons: [
      Dialog.cancelButton(),
      Dialog.okButton({ label: trans.__('Publish') })
    ],
    focusNodeSelector: 'input'
  });
  return result.button.accept ? result.value : null;
}

/**
 * The body of the publish dialog: an artefact name and comma-separated aliases.
 */
class PublishForm
  extends Widget
  implements Dialog.IBodyWidget<{ name: string; aliases: string[] }>
{
  constructor(trans: TranslationBundle, name: string) {
    super();
    this.addClass('jp-greenhouse-publish-form');
    this._name = element('input', 'jp-greenhouse-publish-name', undefined, {
      type: 'text',
      value: name,
      'aria-label': trans.__('Artefact name')
    });
    this._aliases = element(
      'input',
      'jp-greenhouse-publish-aliases',
      undefined,
      {
        type: 'text',
        placeholder: trans.__('production, candidate'),
        'aria-label': trans.__('Aliases')
      }
    );
    this.node.append(
      element('label', '', trans.__('Artefact name')),
      this._name,
      element('label', '', trans.__('Aliases (optional, comma-separated)')),
      this._aliases
    );
  }

  /**
   * The name and aliases typed.
   */
  getValue(): { name: string; aliases: string[] } {
    const aliases = this._aliases.value
      .split(',')
      .map(alias => alias.trim())
      .filter(alias => alias !== '');
    return { name: this._name.value.trim(), aliases };
  }

  private _name: HTMLInputElement;
  private _aliases: HTMLInputElement;
}
