/**
 * The run history of the notebook in focus: status, times, parameters and metrics of
 * each run, a live progress bar and log while it runs, and its actions.
 */
import { showErrorMessage } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';

import type { IRunError, IRunOccurrence, RunOrSummary } from '../api';
import { CommandIDs } from '../commandIds';
import { PanelModel } from '../panelModel';
import { isFinished, IRunParameter, runParameters } from '../runs';
import { groupRuns, resultsTable, sweepCounts } from '../sweeps';
import { button, element } from './dom';
import { formatDuration, formatTime, formatUtc, formatValue } from './format';

/**
 * The list of runs; each item is updated in place, so an open log stays open.
 */
export class RunList extends Widget {
  /**
   * Create the list; it follows the model from then on.
   *
   * @param options - The model, the command registry and the translation bundle.
   */
  constructor(options: RunList.IOptions) {
    super({ node: element('ul', 'jp-greenhouse-runs') });
    this._options = options;
    this.node.dataset.testid = 'greenhouse-runs';
    options.model.changed.connect(this._onChanged, this);
    this._render();
  }

  private _onChanged(sender: PanelModel, part: PanelModel.Part) {
    if (
      part === 'notebook' ||
      part === 'parameters' ||
      part === 'runs' ||
      part === 'log' ||
      part === 'selection'
    ) {
      this._render();
    }
  }

  private _render(): void {
    const { model, trans } = this._options;
    const seen = new Set<string>();
    const nodes: HTMLElement[] = [];
    const runNode = (run: RunOrSummary): HTMLElement => {
      let item = this._items.get(run.id);
      if (!item) {
        item = new RunItem(run.id, this._options);
        this._items.set(run.id, item);
      }
      item.update(
        run,
        model.history.log(run.id),
        model.history.selection.includes(run.id)
      );
      seen.add(run.id);
      return item.node;
    };
    for (const entry of groupRuns(model.history.runs)) {
      if (!('sweep' in entry)) {
        nodes.push(runNode(entry));
        continue;
      }
      let group = this._sweeps.get(entry.sweep);
      if (!group) {
        group = new SweepItem(entry.sweep, trans);
        this._sweeps.set(entry.sweep, group);
      }
      const size = model.history.startedSweeps.get(entry.sweep);
      group.update(entry.runs, entry.runs.map(runNode), size);
      seen.add(entry.sweep);
      nodes.push(group.node);
    }
    // A sweep just started shows before its process has recorded any run.
    for (const [sweep, size] of model.history.startedSweeps) {
      if (!seen.has(sweep)) {
        let group = this._sweeps.get(sweep);
        if (!group) {
          group = new SweepItem(sweep, trans);
          this._sweeps.set(sweep, group);
        }
        group.update([], [], size);
        seen.add(sweep);
        nodes.unshift(group.node);
      }
    }
    for (const items of [this._items, this._sweeps]) {
      for (const id of [...items.keys()]) {
        if (!seen.has(id)) {
          items.delete(id);
        }
      }
    }
    if (nodes.length === 0 && model.notebook !== null) {
      nodes.push(
        element('li', 'jp-greenhouse-placeholder', trans.__('No runs yet.'))
      );
    }
    this.node.replaceChildren(...nodes);
  }

  private _options: RunList.IOptions;
  private _items = new Map<string, RunItem>();
  private _sweeps = new Map<string, SweepItem>();
}

/**
 * The runs of one sweep, folded under a summary, with its results table.
 */
class SweepItem {
  constructor(
    readonly id: string,
    private _trans: TranslationBundle
  ) {
    this.node = element('li', 'jp-greenhouse-sweep', undefined, {
      'data-sweep-id': id
    });
    this._summary = element('summary', 'jp-greenhouse-sweep-summary');
    this._table = element('table', 'jp-greenhouse-sweep-table');
    this._runs = element('ul', 'jp-greenhouse-sweep-runs');
    const details = element('details', 'jp-greenhouse-sweep-details');
    details.open = true;
    details.append(this._summary, this._table, this._runs);
    this.node.append(details);
  }

  /**
   * The item's root element.
   */
  readonly node: HTMLElement;

  /**
   * Show the sweep's runs so far: the summary, the table and each run's item.
   *
   * @param runs - Its runs recorded so far.
   * @param items - Their items.
   * @param size - How many runs it makes, if known: those not recorded yet count
   * as queued.
   */
  update(runs: RunOrSummary[], items: HTMLElement[], size?: number): void {
    const trans = this._trans;
    const total = Math.max(size ?? 0, runs.length);
    const counts = sweepCounts(runs, total);
    this._summary.textContent = trans._n(
      'Sweep %2: %1 run: %3 queued, %4 running, %5 finished (%6 not succeeded)',
      'Sweep %2: %1 runs: %3 queued, %4 running, %5 finished (%6 not succeeded)',
      total,
      this.id,
      counts.queued,
      counts.running,
      counts.finished,
      counts.failed
    );
    this.node.dataset.queued = String(counts.queued);
    this.node.dataset.running = String(counts.running);
    this.node.dataset.finished = String(counts.finished);
    const { columns, rows } = resultsTable(runs);
    const head = element('tr');
    head.append(...columns.map(name => element('th', '', name)));
    const body = rows.map((cells, index) => {
      const row = element('tr', '', undefined, {
        'data-run-id': runs[index].id
      });
      row.append(...cells.map(text => element('td', '', text)));
      return row;
    });
    this._table.replaceChildren(head, ...body);
    this._runs.replaceChildren(...items);
  }

  private _summary: HTMLElement;
  private _table: HTMLElement;
  private _runs: HTMLElement;
}

/**
 * Types of the run list.
 */
export namespace RunList {
  /**
   * Options of a run list.
   */
  export interface IOptions {
    /**
     * The sidebar's model.
     */
    model: PanelModel;
    /**
     * The application's commands, to open a run's notebook, report or publish it.
     */
    commands: CommandRegistry;
    /**
     * The translation bundle.
     */
    trans: TranslationBundle;
  }
}

/**
 * One run of the list.
 */
class RunItem {
  constructor(
    readonly id: string,
    private _options: RunList.IOptions
  ) {
    const { model, trans } = _options;
    this.node = element('li', 'jp-greenhouse-run', undefined, {
      'data-run-id': id
    });
    this._select = element('input', 'jp-greenhouse-run-select', undefined, {
      type: 'checkbox',
      title: trans.__('Choose for a diff'),
      'aria-label': trans.__('Choose run %1 for a diff', id)
    });
    this._select.addEventListener('change', () =>
      model.history.toggleSelected(id)
    );
    this._body = element('div', 'jp-greenhouse-run-body');
    this._logText = element('pre', 'jp-greenhouse-run-log-text');
    this._log = element('details', 'jp-greenhouse-run-log');
    this._log.append(element('summary', '', trans.__('Log')), this._logText);
    this._log.addEventListener('toggle', () => {
      if (this._log.open && this._run && isFinished(this._run)) {
        model.history
          .loadLog(id)
          .catch(error => showErrorMessage(trans.__('Run log'), error));
      }
    });
    this.node.append(this._select, this._body, this._log);
  }

  /**
   * The item's root element.
   */
  readonly node: HTMLElement;

  /**
   * Show the run's latest record and log.
   */
  update(run: RunOrSummary, log: string, selected: boolean): void {
    const wasRunning = this._run !== null && !isFinished(this._run);
    this._run = run;
    this.node.dataset.status = run.status;
    this.node.classList.toggle('jp-greenhouse-selected', selected);
    this._select.checked = selected;
    // Only a run with an executed notebook can be compared.
    this._select.disabled = !run.has_notebook && !selected;
    this._body.replaceChildren(...this._content(run));
    // The log opens as the run starts and stays as the reader leaves it: a run that
    // ends keeps its log open, with the last lines in view.
    if (!isFinished(run) && !wasRunning) {
      this._log.open = true;
    }
    if (this._logText.textContent !== log) {
      const atEnd =
        this._logText.scrollTop + this._logText.clientHeight >=
        this._logText.scrollHeight - 4;
      this._logText.textContent = log;
      if (atEnd) {
        this._logText.scrollTop = this._logText.scrollHeight;
      }
    }
  }

  private _content(run: RunOrSummary): HTMLElement[] {
    const { trans } = this._options;
    const header = element('div', 'jp-greenhouse-run-header');
    header.append(
      element('span', 'jp-greenhouse-run-status', run.status, {
        'data-status': run.status
      }),
      element('span', 'jp-greenhouse-run-id', run.id),
      element('span', 'jp-greenhouse-run-user', madeBy(run), {
        title: trans.__('Made by')
      }),
      element(
        'span',
        'jp-greenhouse-run-time',
        formatTime(run.started_at ?? run.created_at),
        {
          title: trans.__('Started')
        }
      ),
      element(
        'span',
        'jp-greenhouse-run-duration',
        formatDuration(run.duration_s),
        {
          title: trans.__('Duration')
        }
      )
    );
    if (run.reproduces) {
      header.append(
        element(
          'span',
          'jp-greenhouse-run-reproduces',
          trans.__('reproduction of %1', run.reproduces),
          {
            title: trans.__(
              'Re-runs run %1 in its recorded environment to check that it reproduces',
              run.reproduces
            )
          }
        )
      );
    }
    if (run.from_version) {
      const ref = `${run.from_version.name}@${run.from_version.number}`;
      header.append(
        element('span', 'jp-greenhouse-run-version', ref, {
          title: trans.__('Ran the stored notebook of version %1', ref)
        })
      );
    }
    const parts: HTMLElement[] = [header];
    if (run.occurrence) {
      parts.push(this._occurrence(run.occurrence));
    }
    if (!isFinished(run)) {
      parts.push(this._progress(run));
    }
    if (run.error) {
      parts.push(
        element('div', 'jp-greenhouse-run-error', this._why(run.error))
      );
    }
    const declared = this._options.model.form.parameterSet?.parameters;
    parts.push(
      parameterList(runParameters(run, declared), trans),
      values('jp-greenhouse-metrics', 'jp-greenhouse-metric', run.metrics),
      this._actions(run)
    );
    return parts;
  }

  /**
   * The schedule occurrence that started the run: the schedule's name, the fire time
   * (or the moment it was triggered) in UTC, and which attempt of it the run is.
   */
  private _occurrence(occurrence: IRunOccurrence): HTMLElement {
    const { trans } = this._options;
    const when = formatUtc(occurrence.fire_at);
    return element(
      'div',
      'jp-greenhouse-run-occurrence',
      occurrence.kind === 'manual'
        ? trans.__(
            'Schedule %1 · triggered %2 · attempt %3',
            occurrence.schedule,
            when,
            occurrence.attempt
          )
        : trans.__(
            'Schedule %1 · fire time %2 · attempt %3',
            occurrence.schedule,
            when,
            occurrence.attempt
          ),
      {
        'data-occurrence-id': occurrence.occurrence,
        'data-schedule-id': occurrence.schedule_id,
        title: trans.__(
          'Attempt %1 of occurrence %2 of schedule %3 (%4)',
          occurrence.attempt,
          occurrence.occurrence,
          occurrence.schedule,
          occurrence.schedule_id
        )
      }
    );
  }

  /**
   * A bar of the cells done, or a busy bar until the kernel reports any.
   */
  private _progress(run: RunOrSummary): HTMLElement {
    const { trans } = this._options;
    const progress = run.progress;
    // The cell running is named as the log names it (`cell 3/7`), counted from 1.
    const label = progress
      ? progress.current !== null
        ? trans.__('cell %1 of %2', progress.current + 1, progress.total)
        : trans.__('%1 of %2 cells', progress.done, progress.total)
      : run.status === 'queued'
        ? trans.__('queued')
        : trans.__('starting the kernel');
    const bar = element('progress', 'jp-greenhouse-progress-bar', undefined, {
      'aria-label': label
    });
    if (progress) {
      bar.max = Math.max(progress.total, 1);
      bar.value = progress.done;
    }
    const node = element('div', 'jp-greenhouse-progress');
    node.append(bar, element('span', 'jp-greenhouse-progress-label', label));
    return node;
  }

  private _actions(run: RunOrSummary): HTMLElement {
    const { model, commands, trans } = this._options;
    const id = run.id;
    const actions = element('div', 'jp-greenhouse-run-actions');
    if (!isFinished(run)) {
      actions.append(
        button('jp-greenhouse-cancel-button', trans.__('Cancel'), () => {
          model.history
            .cancel(id)
            .catch(error =>
              showErrorMessage(trans.__('Cancel run %1', id), error)
            );
        })
      );
      return actions;
    }
    if (run.has_notebook) {
      actions.append(...this._openButtons(id));
    }
    if (run.status === 'succeeded') {
      actions.append(
        button(
          'jp-greenhouse-publish-button',
          trans.__('Publish'),
          () => {
            void commands.execute(CommandIDs.publish, { run: id });
          },
          trans.__('Publish this run as a version of an artefact')
        )
      );
    }
    return actions;
  }

  /**
   * Why a run did not succeed: the reason, where, and the exception.
   */
  private _why(error: IRunError): string {
    const { trans } = this._options;
    // A cancellation reaches the kernel as a KeyboardInterrupt: no one's error.
    const cancelled = error.reason === 'cancelled';
    let text = cancelled ? trans.__('Cancelled by the user') : error.reason;
    if (error.cell_index !== null) {
      // Cells are numbered from 1 in text, as the CLI numbers them; the API's index is 0-based.
      text += trans.__(' (cell %1)', error.cell_index + 1);
    }
    if (error.ename && !cancelled) {
      text += `: ${error.ename}${error.evalue ? `: ${error.evalue}` : ''}`;
    }
    return text;
  }

  private _openButtons(id: string): HTMLButtonElement[] {
    const { commands, trans } = this._options;
    return [
      button(
        'jp-greenhouse-open-notebook-button',
        trans.__('Notebook'),
        () => void commands.execute(CommandIDs.openRunNotebook, { id }),
        trans.__('Open the executed notebook, read-only')
      ),
      button(
        'jp-greenhouse-open-report-button',
        trans.__('Report'),
        () => void commands.execute(CommandIDs.openRunReport, { id }),
        trans.__('Open the HTML report')
      )
    ];
  }

  private _run: RunOrSummary | null = null;
  private _select: HTMLInputElement;
  private _body: HTMLElement;
  private _log: HTMLDetailsElement;
  private _logText: HTMLElement;
}

/**
 * A list of `name value` pairs, each item carrying `data-name`.
 */
function values(
  listClass: string,
  itemClass: string,
  record: Record<string, unknown>
): HTMLElement {
  const list = element('ul', listClass);
  for (const [name, value] of Object.entries(record)) {
    const item = element('li', itemClass, undefined, {
      'data-name': name,
      title: name
    });
    item.append(
      element('span', 'jp-greenhouse-value-name', name),
      element('span', 'jp-greenhouse-value', formatValue(value))
    );
    list.append(item);
  }
  return list;
}

/**
 * A run's parameters, each item carrying `data-name` and, when the run was given a
 * value other than the default, the class `jp-greenhouse-changed`.
 */
function parameterList(
  parameters: IRunParameter[],
  trans: TranslationBundle
): HTMLElement {
  const list = element('ul', 'jp-greenhouse-run-params');
  for (const { name, value, changed } of parameters) {
    const item = element('li', 'jp-greenhouse-run-param', undefined, {
      'data-name': name,
      title: changed ? trans.__('%1: changed from the default', name) : name
    });
    item.classList.toggle('jp-greenhouse-changed', changed);
    item.append(
      element('span', 'jp-greenhouse-value-name', name),
      element('span', 'jp-greenhouse-value', formatValue(value))
    );
    list.append(item);
  }
  return list;
}

/**
 * Who made a run, as its listed summary says; empty when unknown.
 */
function madeBy(run: RunOrSummary): string {
  return ('user' in run ? run.user : null) ?? '';
}
