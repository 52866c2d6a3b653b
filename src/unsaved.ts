/**
 * Unsaved edits of the notebook in focus: the parameters cell as edited, and the
 * question asked before running a file whose editor holds changes.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import type { DocumentRegistry } from '@jupyterlab/docregistry';
import type { INotebookModel } from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';

/**
 * The source of the first cell tagged `parameters`, as the editor holds it.
 *
 * @param model - A notebook's model.
 * @returns The cell's source, or null if no cell is tagged `parameters`.
 */
export function parametersSource(model: INotebookModel): string | null {
  for (const cell of model.cells) {
    const tags = cell.getMetadata('tags');
    if (Array.isArray(tags) && tags.includes('parameters')) {
      return cell.sharedModel.getSource();
    }
  }
  return null;
}

/**
 * Ask what to run when the notebook has unsaved changes: save and run, run the
 * saved version, or cancel (as JupyterLab asks before closing such a file).
 *
 * @param context - The notebook's document context.
 * @param trans - The translation bundle.
 * @returns Whether to go on; the notebook is saved first if so chosen.
 */
export async function confirmUnsaved(
  context: DocumentRegistry.IContext<INotebookModel>,
  trans: TranslationBundle
): Promise<boolean> {
  if (!context.model.dirty || context.model.readOnly) {
    return true;
  }
  const save = trans.__('Save and Run');
  const result = await showDialog({
    title: trans.__('Unsaved changes'),
    body: trans.__(
      '“%1” has unsaved changes, and Greenhouse runs the file as saved. Save it first?',
      PathExt.basename(context.path)
    ),
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.warnButton({ label: trans.__('Run the Saved Version') }),
      Dialog.okButton({ label: save })
    ],
    defaultButton: 2
  });
  if (!result.button.accept) {
    return false;
  }
  if (result.button.label === save) {
    await context.save();
  }
  return true;
}
