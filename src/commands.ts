/**
 * Greenhouse's commands: run, diff, publish, open the sidebar, and open a run's
 * executed notebook or report in the main area.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import {
  Dialog,
  MainAreaWidget,
  showDialog,
  showErrorMessage
} from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import type { IEditorServices } from '@jupyterlab/codeeditor';
import type { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import type { INotebookContent } from '@jupyterlab/nbformat';
import type { INotebookTracker } from '@jupyterlab/notebook';
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';
import { IFrame } from '@jupyterlab/ui-components';
import type { Widget } from '@lumino/widgets';

import { CommandIDs } from './commandIds';
import { isNotebookFile } from './notebookNames';
import { apiURL, requestAPI } from './request';
import { addRunsCommand } from './runsCommand';
import { askPublish } from './widgets/artefacts';
import { GreenhousePanel, greenhouseIcon } from './widgets/panel';

/**
 * What the commands act on.
 */
export interface ICommandContext {
  /**
   * The application.
   */
  app: JupyterFrontEnd;
  /**
   * The greenhouse sidebar.
   */
  panel: GreenhousePanel;
  /**
   * The notebooks open in the application.
   */
  tracker: INotebookTracker;
  /**
   * The file browser, whose selected notebook file the sidebar can show (if any).
   */
  fileBrowser: IDefaultFileBrowser | null;
  /**
   * The renderers used by diffs and executed notebooks.
   */
  rendermime: IRenderMimeRegistry;
  /**
   * The editor factory and MIME types for executed notebooks.
   */
  editorServices: IEditorServices;
  /**
   * The translation bundle.
   */
  trans: TranslationBundle;
}

/**
 * Add greenhouse's commands (all but `greenhouse:about`) to the application.
 *
 * @param context - The application, sidebar and services the commands use.
 */
export function addCommands(context: ICommandContext): void {
  const { app, panel, trans } = context;
  const model = panel.model;
  const commands = app.commands;
  const noArgs = { args: { type: 'object', properties: {} } };
  const idArg = {
    args: {
      type: 'object',
      properties: { id: { type: 'string', description: trans.__('A run id') } },
      required: ['id']
    }
  };

  commands.addCommand(CommandIDs.openPanel, {
    label: trans.__('Open the Greenhouse Sidebar'),
    icon: greenhouseIcon,
    describedBy: noArgs,
    execute: () => app.shell.activateById(panel.id)
  });

  commands.addCommand(CommandIDs.openInPanel, {
    label: trans.__('Show in Greenhouse Sidebar'),
    caption: trans.__(
      'Read this notebook’s parameters and runs in the sidebar without opening it'
    ),
    icon: greenhouseIcon,
    describedBy: {
      args: {
        type: 'object',
        properties: {
          path: {
            type: 'string',
            description: trans.__('The notebook file to show')
          }
        }
      }
    },
    isVisible: args => {
      const path = (args.path as string | undefined) ?? selectedFile(context);
      return path !== null && isNotebookFile(path);
    },
    execute: async args => {
      const path = (args.path as string | undefined) ?? selectedFile(context);
      if (path !== null) {
        app.shell.activateById(panel.id);
        await model.setNotebook(app.serviceManager.contents.localPath(path));
      }
    }
  });

  commands.addCommand(CommandIDs.run, {
    label: trans.__('Run with Greenhouse'),
    caption: trans.__(
      'Run the notebook reproducibly with the sidebar’s parameter values'
    ),
    icon: greenhouseIcon,
    describedBy: {
      args: {
        type: 'object',
        properties: {
          path: { type: 'string', description: trans.__('The notebook to run') }
        }
      }
    },
    isEnabled: () =>
      context.tracker.currentWidget !== null || model.notebook !== null,
    execute: args => runNotebook(context, args.path as string | undefined)
  });

  commands.addCommand(CommandIDs.diff, {
    label: trans.__('Diff Two Greenhouse Runs'),
    caption: trans.__(
      'Compare the two runs chosen in the sidebar (or refs a and b)'
    ),
    describedBy: {
      args: {
        type: 'object',
        properties: {
          a: { type: 'string', description: trans.__('Left reference') },
          b: { type: 'string', description: trans.__('Right reference') }
        }
      }
    },
    isEnabled: args =>
      (!!args.a && !!args.b) || model.history.selection.length === 2,
    execute: args =>
      openDiff(
        context,
        args.a as string | undefined,
        args.b as string | undefined
      )
  });

  commands.addCommand(CommandIDs.publish, {
    label: trans.__('Publish a Greenhouse Run'),
    caption: trans.__(
      'Publish a succeeded run as the next version of an artefact'
    ),
    describedBy: {
      args: {
        type: 'object',
        properties: {
          run: { type: 'string', description: trans.__('The run to publish') }
        }
      }
    },
    isEnabled: args => !!args.run || publishable(context) !== null,
    execute: args =>
      publishRun(
        context,
        (args.run as string | undefined) ?? publishable(context)
      )
  });

  commands.addCommand(CommandIDs.openRunNotebook, {
    label: trans.__('Open Executed Notebook'),
    describedBy: idArg,
    execute: args => openRunNotebook(context, args.id as string)
  });

  commands.addCommand(CommandIDs.openRunReport, {
    label: trans.__('Open Run Report'),
    describedBy: idArg,
    execute: args => openRunReport(context, args.id as string)
  });

  addRunsCommand(context);
}

/**
 * The file selected in the file browser (not a folder), if any.
 */
function selectedFile(context: ICommandContext): string | null {
  const first = context.fileBrowser?.selectedItems().next();
  return first && !first.done && first.value.type !== 'directory'
    ? first.value.path
    : null;
}

/**
 * Save the notebook if it has unsaved changes, show it in the sidebar, and run it.
 */
async function runNotebook(
  context: ICommandContext,
  path?: string
): Promise<void> {
  const { app, panel, tracker } = context;
  const widget = path
    ? tracker.find(candidate => candidate.context.path === path)
    : tracker.currentWidget;
  app.shell.activateById(panel.id);
  if (widget) {
    const notebook = app.serviceManager.contents.localPath(widget.context.path);
    const changed = notebook !== panel.model.notebook;
    try {
      // The sidebar asks what to do with unsaved edits when the run starts.
      await (changed
        ? panel.model.setNotebook(notebook)
        : panel.model.refresh());
    } catch (error) {
      await showErrorMessage(
        context.trans.__('Run with Greenhouse'),
        error as Error
      );
      return;
    }
  }
  await panel.startRun();
}

async function openDiff(
  context: ICommandContext,
  a?: string,
  b?: string
): Promise<void> {
  const { app, panel, rendermime, trans } = context;
  try {
    // nbdime and its styles load with the first diff, not with the application.
    const [diff, { DiffView }] = await Promise.all([
      panel.model.history.diff(a, b),
      import('./widgets/diffView')
    ]);
    const view = new DiffView(diff, rendermime, trans);
    const widget = new MainAreaWidget({ content: view });
    widget.addClass('jp-greenhouse-diff-widget');
    widget.title.label = trans.__('Diff %1 → %2', diff.a, diff.b);
    widget.title.icon = greenhouseIcon;
    app.shell.add(widget, 'main');
    app.shell.activateById(widget.id);
    await view.render();
  } catch (error) {
    await showErrorMessage(trans.__('Diff'), error as Error);
  }
}

/**
 * The run the publish command takes by default: a chosen succeeded run, else the
 * newest succeeded run.
 */
function publishable(context: ICommandContext): string | null {
  const history = context.panel.model.history;
  const succeeded = history.runs.filter(run => run.status === 'succeeded');
  const chosen = succeeded.find(run => history.selection.includes(run.id));
  return (chosen ?? succeeded[0])?.id ?? null;
}

async function publishRun(
  context: ICommandContext,
  run: string | null
): Promise<void> {
  const { panel, trans } = context;
  const title = trans.__('Publish');
  if (run === null) {
    await showErrorMessage(
      title,
      new Error(trans.__('There is no succeeded run to publish.'))
    );
    return;
  }
  const notebook = panel.model.history.runs.find(
    item => item.id === run
  )?.notebook;
  const proposed = notebook ? PathExt.basename(notebook, '.ipynb') : '';
  const answer = await askPublish(
    trans,
    run,
    proposed.replace(/[^A-Za-z0-9._-]+/g, '-')
  );
  if (answer === null) {
    return;
  }
  try {
    const version = await panel.model.artefacts.publish(
      run,
      answer.name,
      answer.aliases
    );
    const aliases =
      version.aliases.length > 0 ? ` (${version.aliases.join(', ')})` : '';
    await showDialog({
      title,
      body: trans.__(
        'Run %1 is published as %2@%3%4, with %5 files.',
        run,
        version.name,
        version.number,
        aliases,
        version.files.length
      ),
      buttons: [Dialog.okButton()]
    });
  } catch (error) {
    await showErrorMessage(title, error as Error);
  }
}

async function openRunNotebook(
  context: ICommandContext,
  id: string
): Promise<void> {
  const { rendermime, editorServices, trans } = context;
  const title = trans.__('Executed notebook of run %1', id);
  try {
    const [content, { runNotebookView }] = await Promise.all([
      requestAPI<INotebookContent>(`runs/${encodeURIComponent(id)}/notebook`),
      import('./widgets/runNotebook')
    ]);
    const view = runNotebookView(content, rendermime, editorServices);
    addToMain(
      context,
      view,
      trans.__('%1 (run %2)', runLabel(context, id), id),
      title
    );
  } catch (error) {
    await showErrorMessage(title, error as Error);
  }
}

function openRunReport(context: ICommandContext, id: string): void {
  const { trans } = context;
  // The report is offline HTML from a notebook: no scripts, no access to the page;
  // its links may still open in a new tab.
  const frame = new IFrame({ sandbox: ['allow-popups'] });
  frame.url = apiURL(`runs/${encodeURIComponent(id)}/html`);
  frame.addClass('jp-greenhouse-report');
  // Titled by what tells reports apart, the run id or NAME@N: a notebook has many.
  const caption = trans.__('Report of %1 (%2)', id, runLabel(context, id));
  addToMain(context, frame, trans.__('Report %1', id), caption);
}

function runLabel(context: ICommandContext, id: string): string {
  const notebook = context.panel.model.history.runs.find(
    run => run.id === id
  )?.notebook;
  return notebook ? PathExt.basename(notebook) : id;
}

function addToMain(
  context: ICommandContext,
  content: Widget,
  label: string,
  caption: string
) {
  const widget = new MainAreaWidget({ content });
  widget.title.label = label;
  widget.title.caption = caption;
  widget.title.icon = greenhouseIcon;
  context.app.shell.add(widget, 'main');
  context.app.shell.activateById(widget.id);
}
