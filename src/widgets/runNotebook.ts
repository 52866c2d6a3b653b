/**
 * A run's executed notebook shown read-only in the main area: no file, no kernel.
 */
import type { IEditorServices } from '@jupyterlab/codeeditor';
import type { INotebookContent } from '@jupyterlab/nbformat';
import {
  NotebookModel,
  NotebookPanel,
  StaticNotebook
} from '@jupyterlab/notebook';
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';

/**
 * Render an executed notebook read-only.
 *
 * Its cells are marked not editable and its outputs stay untrusted (HTML is
 * sanitised, scripts do not run), as for any notebook opened from elsewhere.
 *
 * @param content - The notebook as `GET runs/{id}/notebook` answered it.
 * @param rendermime - The application's renderers.
 * @param editorServices - The application's editor factory and MIME type service.
 * @returns A notebook widget holding its own model, disposed with it.
 */
export function runNotebookView(
  content: INotebookContent,
  rendermime: IRenderMimeRegistry,
  editorServices: IEditorServices
): StaticNotebook {
  const notebook = new StaticNotebook({
    rendermime,
    contentFactory: new NotebookPanel.ContentFactory({
      editorFactory: editorServices.factoryService.newInlineEditor
    }),
    mimeTypeService: editorServices.mimeTypeService,
    notebookConfig: {
      ...StaticNotebook.defaultNotebookConfig,
      windowingMode: 'none'
    }
  });
  notebook.addClass('jp-greenhouse-run-notebook');
  const model = new NotebookModel();
  model.fromJSON(readOnly(content));
  notebook.model = model;
  notebook.disposed.connect(() => model.dispose());
  return notebook;
}

/**
 * A copy of the notebook whose cells are marked not editable.
 */
function readOnly(content: INotebookContent): INotebookContent {
  return {
    ...content,
    cells: content.cells.map(cell => ({
      ...cell,
      metadata: { ...cell.metadata, editable: false }
    }))
  };
}
