/**
 * Unsaved edits of the notebook in focus: the parameters cell as edited, and the
 * question asked before running a file whose editor holds changes.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import type { DocumentRegistry } from '@jupyterlab/docregistry';
import type { INotebookContent, MultilineString } from '@jupyterlab/nbformat';
import type { INotebookModel } from '@jupyterlab/notebook';
import type { Contents } from '@jupyterlab/services';
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
 * Whether two forms of a notebook run the same: the same kernel, and the same cells
 * (kind, source and tags) in the same order. Outputs, execution counts and the rest
 * of the metadata (JupyterLab writes the kernel's `language_info` as soon as a kernel
 * connects, which marks a notebook changed) do not change what a run executes.
 *
 * @param saved - The notebook as saved.
 * @param edited - The notebook as its editor holds it.
 * @returns True when running either would execute the same code.
 */
export function sameRun(
  saved: INotebookContent,
  edited: INotebookContent
): boolean {
  return JSON.stringify(runnable(saved)) === JSON.stringify(runnable(edited));
}

function runnable(content: INotebookContent): unknown {
  const text = (source: MultilineString) =>
    Array.isArray(source) ? source.join('') : source;
  return {
    kernel: content.metadata?.kernelspec?.name ?? null,
    cells: (content.cells ?? []).map(cell => [
      cell.cell_type,
      text(cell.source),
      cell.metadata?.tags ?? []
    ])
  };
}

/**
 * Ask what to run when the notebook has unsaved changes that change what runs: save
 * and run, run the saved version, or cancel (as JupyterLab asks before closing such
 * a file). Changes that run the same (see {@link sameRun}) are not asked about.
 *
 * @param context - The notebook's document context.
 * @param trans - The translation bundle.
 * @param contents - The contents manager, to read the notebook as saved.
 * @returns Whether to go on; the notebook is saved first if so chosen.
 */
export async function confirmUnsaved(
  context: DocumentRegistry.IContext<INotebookModel>,
  trans: TranslationBundle,
  contents: Contents.IManager
): Promise<boolean> {
  if (!context.model.dirty || context.model.readOnly) {
    return true;
  }
  const saved = await contents.get(context.path, {
    type: 'notebook',
    content: true
  });
  const edited = context.model.toJSON() as INotebookContent;
  if (sameRun(saved.content as INotebookContent, edited)) {
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
