/**
 * The greenhouse JupyterLab extension's plugins.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  Dialog,
  ICommandPalette,
  showDialog,
  showErrorMessage
} from '@jupyterlab/apputils';
import { IEditorServices } from '@jupyterlab/codeeditor';
import { DocumentRegistry } from '@jupyterlab/docregistry';
import { ILauncher } from '@jupyterlab/launcher';
import {
  INotebookModel,
  INotebookTracker,
  NotebookPanel
} from '@jupyterlab/notebook';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { ToolbarButton } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';

// The sidebar is built at activation, so these load with the application; the
// diff view (nbdime) and the executed-notebook view load on first use.
import type { IVersionInfo } from './api';
import { CommandIDs } from './commandIds';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { addCommands } from './commands';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { PanelModel } from './panelModel';
import { requestAPI } from './request';
import { confirmUnsaved, parametersSource } from './unsaved';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { GreenhousePanel, greenhouseIcon } from './widgets/panel';

/**
 * How often the sidebar lists the notebook's runs again, to show the runs started
 * elsewhere (the CLI, a sweep, a teammate on a shared store).
 */
const HISTORY_INTERVAL_MS = 5000;
/**
 * How long the parameters cell must rest before the form follows its edits.
 */
const EDIT_DELAY_MS = 400;

/**
 * Checks at start-up that the greenhouse server extension answers, and adds the
 * About Greenhouse command.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: 'greenhouse-ext:plugin',
  description:
    'Checks that the greenhouse server extension answers and adds the About Greenhouse command.',
  autoStart: true,
  optional: [ICommandPalette, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ) => {
    const trans = (translator ?? nullTranslator).load('greenhouse_ext');

    app.commands.addCommand(CommandIDs.about, {
      label: trans.__('About Greenhouse'),
      caption: trans.__(
        'Show the greenhouse version and where its store lives'
      ),
      describedBy: { args: { type: 'object', properties: {} } },
      execute: async () => {
        try {
          const info = await requestAPI<IVersionInfo>('version');
          await showDialog({
            title: trans.__('About Greenhouse'),
            body: aboutBody(info, trans),
            buttons: [Dialog.okButton()]
          });
        } catch (error) {
          await showErrorMessage(trans.__('About Greenhouse'), error as Error);
        }
      }
    });
    palette?.addItem({
      command: CommandIDs.about,
      category: trans.__('Greenhouse')
    });

    requestAPI<IVersionInfo>('version').catch(error =>
      showErrorMessage(
        trans.__('The greenhouse server extension does not answer'),
        error as Error
      )
    );
  }
};

/**
 * The greenhouse sidebar following the notebook in focus, its commands, and a
 * "Run with Greenhouse" button on every notebook's toolbar.
 */
const panelPlugin: JupyterFrontEndPlugin<void> = {
  id: 'greenhouse-ext:panel',
  description:
    'Adds the Greenhouse sidebar (parameters, runs, diffs, published versions) and its commands.',
  autoStart: true,
  requires: [INotebookTracker, IRenderMimeRegistry, IEditorServices],
  optional: [
    ICommandPalette,
    ITranslator,
    ILayoutRestorer,
    IDefaultFileBrowser,
    ILauncher
  ],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    rendermime: IRenderMimeRegistry,
    editorServices: IEditorServices,
    palette: ICommandPalette | null,
    translator: ITranslator | null,
    restorer: ILayoutRestorer | null,
    fileBrowser: IDefaultFileBrowser | null,
    launcher: ILauncher | null
  ) => {
    const trans = (translator ?? nullTranslator).load('greenhouse_ext');
    const model = new PanelModel({ historyInterval: HISTORY_INTERVAL_MS });
    const confirmRun = async (notebook: string) => {
      const widget = tracker.find(
        candidate =>
          app.serviceManager.contents.localPath(candidate.context.path) ===
          notebook
      );
      return widget
        ? confirmUnsaved(widget.context, trans, app.serviceManager.contents)
        : true;
    };
    const panel = new GreenhousePanel({
      model,
      commands: app.commands,
      trans,
      confirmRun
    });
    app.shell.add(panel, 'left', { rank: 900 });
    restorer?.add(panel, panel.id);

    addCommands({
      app,
      panel,
      tracker,
      fileBrowser,
      rendermime,
      editorServices,
      trans
    });
    // A text notebook opens in the editor unless Jupytext's integration is installed:
    // the file browser offers any notebook file to the sidebar.
    app.contextMenu.addItem({
      command: CommandIDs.openInPanel,
      selector: '.jp-DirListing-item[data-isdir="false"]',
      rank: 3
    });
    for (const command of [
      CommandIDs.openPanel,
      CommandIDs.run,
      CommandIDs.diff,
      CommandIDs.publish,
      CommandIDs.openRuns
    ]) {
      palette?.addItem({ command, category: trans.__('Greenhouse') });
    }
    launcher?.add({
      command: CommandIDs.openRuns,
      args: { isLauncher: true },
      category: trans.__('Other'),
      rank: 50
    });
    // Jupytext's JupyterLab integration opens text notebooks with a factory of its own.
    for (const factory of ['Notebook', 'Jupytext Notebook']) {
      app.docRegistry.addWidgetExtension(
        factory,
        new RunButtonExtension(app.commands, trans)
      );
    }
    followFocus(app, tracker, model);
  }
};

/**
 * Keep the model on the notebook in focus: switch when focus or the notebook's
 * path changes, read its parameters again whenever it is saved, and follow its
 * parameters cell as it is edited.
 */
function followFocus(
  app: JupyterFrontEnd,
  tracker: INotebookTracker,
  model: PanelModel
): void {
  let watched: DocumentRegistry.IContext<INotebookModel> | null = null;
  const show = () => {
    const path = tracker.currentWidget?.context.path;
    void model.setNotebook(
      path ? app.serviceManager.contents.localPath(path) : null
    );
  };
  const reread = () => void model.refresh();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const edited = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const source = watched?.isReady ? parametersSource(watched.model) : null;
      if (source !== null && watched?.model.dirty) {
        void model.showEditedParameters(source);
      }
    }, EDIT_DELAY_MS);
  };
  const follow = () => {
    watched?.pathChanged.disconnect(show);
    watched?.fileChanged.disconnect(reread);
    watched?.model.contentChanged.disconnect(edited);
    watched = tracker.currentWidget?.context ?? null;
    watched?.pathChanged.connect(show);
    watched?.fileChanged.connect(reread);
    watched?.model.contentChanged.connect(edited);
    show();
  };
  tracker.currentChanged.connect(follow);
  follow();
}

/**
 * Adds the "Run with Greenhouse" button to each notebook's toolbar.
 */
class RunButtonExtension implements DocumentRegistry.IWidgetExtension<
  NotebookPanel,
  INotebookModel
> {
  constructor(
    private _commands: CommandRegistry,
    private _trans: TranslationBundle
  ) {}

  /**
   * Add the button to a new notebook's toolbar.
   *
   * @param panel - The notebook panel.
   * @param context - Its document context.
   * @returns The button, disposed with the notebook.
   */
  createNew(
    panel: NotebookPanel,
    context: DocumentRegistry.IContext<INotebookModel>
  ): ToolbarButton {
    const button = new ToolbarButton({
      className: 'jp-greenhouse-toolbar-run',
      icon: greenhouseIcon,
      label: this._trans.__('Run with Greenhouse'),
      tooltip: this._trans.__(
        'Run this notebook reproducibly with the Greenhouse sidebar’s values'
      ),
      onClick: () =>
        void this._commands.execute(CommandIDs.run, { path: context.path })
    });
    const name = 'greenhouseRun';
    if (!panel.toolbar.insertAfter('cellType', name, button)) {
      panel.toolbar.addItem(name, button);
    }
    return button;
  }
}

/**
 * The dialog body listing the version and the store location.
 */
function aboutBody(info: IVersionInfo, trans: TranslationBundle): Widget {
  const list = document.createElement('dl');
  list.className = 'jp-greenhouse-about';
  const rows: [string, string][] = [
    [trans.__('Version'), info.version],
    [trans.__('Store'), info.store]
  ];
  for (const [term, value] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = term;
    const dd = document.createElement('dd');
    dd.textContent = value;
    list.append(dt, dd);
  }
  return new Widget({ node: list });
}

export default [plugin, panelPlugin];
