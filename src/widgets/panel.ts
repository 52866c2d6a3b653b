/**
 * The greenhouse sidebar: the notebook in focus, its parameter form, a Run button,
 * its run history, a Diff button for two chosen runs, and the published artefacts.
 *
 * Stable hooks for browser tests (classes and attributes; the sidebar, form, run
 * list, artefact list and diff also carry `data-testid="greenhouse-<part>"`):
 *
 * - `.jp-greenhouse-panel` (id `greenhouse-panel`): the sidebar.
 * - `.jp-greenhouse-notebook`: the path of the notebook in focus.
 * - `.jp-greenhouse-error`: an error the server answered (empty ones are hidden).
 * - `.jp-greenhouse-param[data-name=N]`: the field of parameter N, with
 *   `data-kind` (checkbox, select, slider, number, text, password, json) and
 *   `data-type`; it has `.jp-greenhouse-invalid` while its value is bad.
 *   Inside: `.jp-greenhouse-param-input` (input, select or textarea),
 *   `.jp-greenhouse-param-range` (a bounded number's slider),
 *   `.jp-greenhouse-param-help`, `.jp-greenhouse-param-more` (further values for a
 *   sweep, separated by `;`; `.jp-greenhouse-invalid-input` while one is bad) with
 *   its `.jp-greenhouse-param-more-error`, and `.jp-greenhouse-param-error` (the
 *   main value's problem; both empty when valid).
 * - `.jp-greenhouse-run-button`, `.jp-greenhouse-sweep-button`,
 *   `.jp-greenhouse-reset-button`: Run, Sweep (enabled once a field has further
 *   values), and back to the defaults; `.jp-greenhouse-run-message`: why the last
 *   Run or Sweep did not start.
 * - `.jp-greenhouse-sweep[data-sweep-id=ID]`: the runs of a sweep, grouped, with
 *   `.jp-greenhouse-sweep-table` (status, parameters and metrics of each run).
 * - `.jp-greenhouse-refresh-button`: read the parameters and list the runs again.
 * - `.jp-greenhouse-run[data-status=S][data-run-id=ID]`: a run of the history.
 *   Inside: `.jp-greenhouse-run-select` (its checkbox for a diff),
 *   `.jp-greenhouse-run-occurrence[data-occurrence-id][data-schedule-id]` (the
 *   schedule, fire time and attempt of a run a schedule started),
 *   `.jp-greenhouse-progress-bar` (a `<progress>` while it runs),
 *   `.jp-greenhouse-run-log-text` (its log tail),
 *   `.jp-greenhouse-run-param[data-name=P]`, `.jp-greenhouse-metric[data-name=M]`,
 *   `.jp-greenhouse-cancel-button` (while it runs),
 *   `.jp-greenhouse-open-notebook-button`, `.jp-greenhouse-open-report-button`
 *   (once finished) and `.jp-greenhouse-publish-button` (once succeeded).
 * - `.jp-greenhouse-open-runs-button`: open the full-width runs view of the notebook.
 * - `.jp-greenhouse-diff-button`: diff the two chosen runs (disabled until two are);
 *   `.jp-greenhouse-selection` says which runs are chosen.
 * - `.jp-greenhouse-artefacts-refresh`: list the artefacts again.
 * - `.jp-greenhouse-artefact[data-name=N]`: artefact N (a `<details>` that lists
 *   its versions when opened).
 * - `.jp-greenhouse-version[data-ref=N@V][data-number=V]`: a version, with its
 *   `.jp-greenhouse-alias`es, `.jp-greenhouse-metric`s, and the buttons
 *   `.jp-greenhouse-verify-button`, `.jp-greenhouse-reproduce-button` and
 *   `.jp-greenhouse-alias-button`.
 * - `.jp-greenhouse-check[data-kind][data-state][data-verdict]`: the outcome of the
 *   version's last check: kind `verify` or `reproduce`; state `pending`, `done` or
 *   `failed`; verdict `ok`, `failed`, `reproducible` or `differs`.
 *
 * Elsewhere: `.jp-greenhouse-toolbar-run` (the notebook toolbar's "Run with
 * Greenhouse"), `.jp-greenhouse-publish-form` with `.jp-greenhouse-publish-name`
 * and `.jp-greenhouse-publish-aliases` (the publish dialog), `.jp-greenhouse-diff`
 * with `.jp-greenhouse-diff-section[data-part=P]` (P: parameters, metrics, inputs,
 * environment) and `.jp-greenhouse-diff-notebook` (nbdime's widget),
 * `.jp-greenhouse-run-notebook` (an executed notebook) and `.jp-greenhouse-report`
 * (a report's frame), all in the main area.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { LabIcon } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import { Panel, Widget } from '@lumino/widgets';

import { CommandIDs } from '../commandIds';
import { messageOf } from '../errors';
import { InvalidFormError } from '../formModel';
import { PanelModel } from '../panelModel';
import { SchedulesModel } from '../schedules';
import { ArtefactsView } from './artefacts';
import { button, element } from './dom';
import { ParameterForm } from './parameterForm';
import { RunList } from './runList';
import { SchedulesView } from './schedules';

/**
 * The greenhouse icon: a small glasshouse.
 */
export const greenhouseIcon = new LabIcon({
  name: 'greenhouse-ext:greenhouse',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16" height="16">' +
    '<path class="jp-icon3" fill="#616161" d="M12 2 2 9v13h20V9L12 2zm0 2.5 7.5 5.25H4.5L12 4.5z' +
    'M4 11h7v9H4v-9zm9 0h7v9h-7v-9z"/></svg>'
});

/**
 * The greenhouse sidebar.
 */
export class GreenhousePanel extends Panel {
  /**
   * Create the sidebar; it owns the model and disposes it with itself.
   *
   * @param options - The model, the command registry and the translation bundle.
   */
  constructor(options: GreenhousePanel.IOptions) {
    super();
    const { model, commands, trans } = options;
    this._confirmRun = options.confirmRun ?? null;
    this._model = model;
    this._commands = commands;
    this._trans = trans;
    this.id = 'greenhouse-panel';
    this.addClass('jp-greenhouse-panel');
    this.node.dataset.testid = 'greenhouse-panel';
    this.title.icon = greenhouseIcon;
    this.title.caption = trans.__('Greenhouse');

    this._header = element('div', 'jp-greenhouse-header');
    this._runMessage = element('div', 'jp-greenhouse-run-message', undefined, {
      role: 'alert'
    });
    this._runButton = button(
      'jp-greenhouse-run-button',
      trans.__('Run'),
      () => void this.startRun(),
      trans.__('Run the notebook with these values')
    );
    this._sweepButton = button(
      'jp-greenhouse-sweep-button',
      trans.__('Sweep'),
      () => void this.startSweep(),
      trans.__(
        'Run every combination of the fields’ values, each as its own run'
      )
    );
    this._diffButton = button(
      'jp-greenhouse-diff-button',
      trans.__('Diff'),
      () => void commands.execute(CommandIDs.diff),
      trans.__('Choose two runs with their checkboxes, then compare them')
    );
    const runBar = element('div', 'jp-greenhouse-run-bar');
    runBar.append(
      this._runButton,
      this._sweepButton,
      button(
        'jp-greenhouse-reset-button',
        trans.__('Reset'),
        () => model.form.resetForm(),
        trans.__('Back to the notebook’s defaults')
      ),
      this._runMessage
    );
    const historyHeader = element('div', 'jp-greenhouse-section-header');
    const actions = element('div', 'jp-greenhouse-section-actions');
    actions.append(
      button(
        'jp-greenhouse-refresh-button',
        trans.__('Refresh'),
        () => void model.refresh(),
        trans.__('Read the parameters and list the runs again')
      ),
      this._diffButton,
      button(
        'jp-greenhouse-open-runs-button',
        trans.__('All Runs'),
        () =>
          void commands.execute(CommandIDs.openRuns, {
            notebook: model.notebook ?? ''
          }),
        trans.__('Open the runs of this notebook in a full-width table')
      )
    );
    historyHeader.append(
      element('h3', 'jp-greenhouse-section-title', trans.__('Runs')),
      actions
    );
    this._selectionNote = element('div', 'jp-greenhouse-selection', undefined, {
      'aria-live': 'polite'
    });

    this._notebookSection = new Panel();
    this._notebookSection.addClass('jp-greenhouse-notebook-section');
    this._notebookSection.addWidget(new ParameterForm(model.form, trans));
    this._notebookSection.addWidget(new Widget({ node: runBar }));
    this._notebookSection.addWidget(new Widget({ node: historyHeader }));
    this._notebookSection.addWidget(new Widget({ node: this._selectionNote }));
    this._notebookSection.addWidget(new RunList({ model, commands, trans }));

    this.addWidget(new Widget({ node: this._header }));
    this.addWidget(this._notebookSection);
    this.addWidget(new ArtefactsView(model.artefacts, trans));
    this.addWidget(
      new SchedulesView({ model: new SchedulesModel(), commands, trans })
    );
    model.changed.connect(this._onChanged, this);
    this._renderHeader();
    this._updateButtons();
  }

  /**
   * The sidebar's model.
   */
  get model(): PanelModel {
    return this._model;
  }

  /**
   * Start a run with the form's values; a refusal is shown under the Run button.
   *
   * @returns The new run's id, or null when it did not start.
   */
  async startRun(): Promise<string | null> {
    return this._start(async () => (await this._model.run()).id);
  }

  /**
   * Start a sweep of the form's values; a refusal is shown under the buttons.
   *
   * @returns The new sweep's id, or null when it did not start.
   */
  async startSweep(): Promise<string | null> {
    return this._start(async () => {
      const sweep = await this._model.sweep();
      this._runMessage.textContent = this._trans.__(
        'Sweep %1 started: its runs appear below as they start.',
        sweep.id
      );
      this._runMessage.classList.add('jp-greenhouse-run-message-info');
      return sweep.id;
    });
  }

  /**
   * Start a run or a sweep with the buttons held, showing why it did not start.
   *
   * @param action - What starts it, answering the new id.
   * @returns The new id, or null when it did not start.
   */
  private async _start(action: () => Promise<string>): Promise<string | null> {
    this._runMessage.textContent = '';
    this._runMessage.classList.remove('jp-greenhouse-run-message-info');
    this._starting = true;
    this._updateButtons();
    try {
      const notebook = this._model.notebook;
      if (notebook !== null && this._confirmRun) {
        if (!(await this._confirmRun(notebook))) {
          return null;
        }
      }
      return await action();
    } catch (error) {
      this._runMessage.textContent =
        error instanceof InvalidFormError
          ? this._trans.__('Fix the values marked above; nothing was sent.')
          : messageOf(error);
      return null;
    } finally {
      this._starting = false;
      this._updateButtons();
    }
  }

  /**
   * Release the model (which stops polling) with the sidebar.
   */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._model.dispose();
    super.dispose();
  }

  private _onChanged(sender: PanelModel, part: PanelModel.Part) {
    if (part === 'notebook' || part === 'error' || part === 'parameters') {
      this._renderHeader();
    }
    if (part === 'notebook') {
      this._runMessage.textContent = '';
    }
    this._updateButtons();
  }

  private _renderHeader(): void {
    const model = this._model;
    const trans = this._trans;
    const title = element('div', 'jp-greenhouse-title');
    title.append(
      greenhouseIcon.element({ tag: 'span' }),
      element('h2', '', trans.__('Greenhouse'))
    );
    const parts: HTMLElement[] = [title];
    if (model.notebook === null) {
      parts.push(
        element(
          'div',
          'jp-greenhouse-placeholder',
          trans.__('Open a notebook to run it with its parameters.')
        )
      );
    } else {
      const notebook = element(
        'div',
        'jp-greenhouse-notebook',
        model.notebook,
        {
          title: model.notebook
        }
      );
      parts.push(notebook);
    }
    if (model.history.lastError !== null) {
      const banner = element(
        'div',
        'jp-greenhouse-error jp-greenhouse-banner',
        undefined,
        {
          role: 'alert'
        }
      );
      banner.append(
        element('span', '', model.history.lastError),
        button(
          'jp-greenhouse-dismiss-button',
          '×',
          () => model.history.clearError(),
          trans.__('Dismiss')
        )
      );
      parts.push(banner);
    }
    this._header.replaceChildren(...parts);
    this._notebookSection.setHidden(model.notebook === null);
  }

  private _updateButtons(): void {
    const model = this._model;
    this._runButton.disabled =
      this._starting ||
      model.form.parameterSet === null ||
      !model.form.fieldsValid;
    const size = model.form.sweepSize;
    this._sweepButton.disabled =
      this._runButton.disabled || size < 2 || !model.form.moreValuesValid;
    this._sweepButton.textContent =
      size < 2
        ? this._trans.__('Sweep')
        : this._trans.__('Sweep (%1 runs)', size);
    this._diffButton.disabled = model.history.selection.length !== 2;
    this._selectionNote.textContent = selectionNote(model, this._trans);
    if (this._commands.hasCommand(CommandIDs.diff)) {
      this._commands.notifyCommandChanged(CommandIDs.diff);
    }
  }

  private _model: PanelModel;
  private _commands: CommandRegistry;
  private _trans: TranslationBundle;
  private _header: HTMLElement;
  private _notebookSection: Panel;
  private _runButton: HTMLButtonElement;
  private _sweepButton: HTMLButtonElement;
  private _runMessage: HTMLElement;
  private _diffButton: HTMLButtonElement;
  private _selectionNote: HTMLElement;
  private _starting = false;
  private _confirmRun: ((notebook: string) => Promise<boolean>) | null;
}

/**
 * Which runs are chosen for a diff, and which one a third choice unchose.
 */
function selectionNote(model: PanelModel, trans: TranslationBundle): string {
  const chosen = model.history.selection;
  const dropped = model.history.dropped;
  const note =
    chosen.length === 2
      ? trans.__('Diff will compare %1 and %2.', chosen[0], chosen[1])
      : chosen.length === 1
        ? trans.__('Chosen for a diff: %1; choose one more.', chosen[0])
        : '';
  return dropped === null
    ? note
    : `${note} ${trans.__('%1 is no longer chosen (two at most).', dropped)}`;
}

/**
 * Types of the greenhouse sidebar.
 */
export namespace GreenhousePanel {
  /**
   * Options of the sidebar.
   */
  export interface IOptions {
    /**
     * The sidebar's model, owned by the sidebar from then on.
     */
    model: PanelModel;
    /**
     * The application's commands.
     */
    commands: CommandRegistry;
    /**
     * The translation bundle.
     */
    trans: TranslationBundle;
    /**
     * Asked before a run or sweep of a notebook starts (to save unsaved edits
     * first, for one); answering false cancels it.
     */
    confirmRun?: (notebook: string) => Promise<boolean>;
  }
}
