/**
 * The greenhouse JupyterLab extension's plugins.
 */
import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  Dialog,
  ICommandPalette,
  showDialog,
  showErrorMessage
} from '@jupyterlab/apputils';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { requestAPI } from './request';
import { IVersionInfo } from './tokens';

/**
 * The identifiers of greenhouse's commands.
 */
export namespace CommandIDs {
  /**
   * Show the greenhouse version and the store the server uses.
   */
  export const about = 'greenhouse:about';
}

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

export default plugin;
