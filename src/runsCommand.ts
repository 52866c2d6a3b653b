/**
 * The "Greenhouse: Open Runs" command (in the palette and the launcher): the
 * full-width runs view of the whole store, or of one notebook, in the main area (one
 * view a scope, brought forward when open).
 */
import { MainAreaWidget } from '@jupyterlab/apputils';

import { CommandIDs } from './commandIds';
import type { ICommandContext } from './commands';
import { RunsViewModel } from './runsView';
import { greenhouseIcon } from './widgets/panel';

/**
 * How often an open runs view lists the runs again, so that new runs appear.
 */
const LIVE_INTERVAL_MS = 5000;

/**
 * Add the command opening the runs view.
 *
 * @param context - The application and services the view uses.
 */
export function addRunsCommand(context: ICommandContext): void {
  const { app, trans } = context;
  const open = new Map<string, MainAreaWidget>();
  app.commands.addCommand(CommandIDs.openRuns, {
    label: args =>
      args.notebook
        ? trans.__('Open Runs of This Notebook')
        : args.isLauncher
          ? trans.__('Greenhouse Runs')
          : trans.__('Open Runs'),
    icon: args => (args.isPalette ? undefined : greenhouseIcon),
    caption: trans.__(
      'The runs of the whole store (or of one notebook) in a table, with charts and comparisons'
    ),
    describedBy: {
      args: {
        type: 'object',
        properties: {
          notebook: {
            type: 'string',
            description: trans.__(
              'Only the runs of this notebook (default: every run)'
            )
          }
        }
      }
    },
    execute: async args => {
      const notebook = (args.notebook as string | undefined) || undefined;
      const scope = notebook ?? '';
      const current = open.get(scope);
      if (current && !current.isDisposed) {
        app.shell.activateById(current.id);
        return;
      }
      // The grid and the view load with the first use, not with the application.
      const { RunsView } = await import('./widgets/runsView');
      const model = new RunsViewModel({
        filters: { notebook },
        interval: LIVE_INTERVAL_MS
      });
      const content = new RunsView({
        model,
        commands: app.commands,
        rendermime: context.rendermime,
        trans
      });
      const widget = new MainAreaWidget({ content });
      widget.id = `greenhouse-runs-${Date.now()}`;
      widget.title.label = notebook
        ? trans.__('Runs: %1', notebook)
        : trans.__('Greenhouse Runs');
      widget.title.closable = true;
      open.set(scope, widget);
      app.shell.add(widget, 'main');
      app.shell.activateById(widget.id);
      await model.load();
      model.startPolling();
    }
  });
}
