/**
 * Which file names are notebooks greenhouse runs, as the server reads them
 * (`greenhouse_ext.notebooks.NOTEBOOK_SUFFIXES`): an `.ipynb`, or a text notebook that
 * Jupytext reads (percent scripts and Markdown).
 */
const NOTEBOOK_SUFFIX = /\.(ipynb|py|md|myst|mystnb|Rmd|R|r|jl)$/;

/**
 * Whether a file is a notebook greenhouse runs.
 *
 * @param name - A file's name or path.
 * @returns True when it ends like an `.ipynb` or a text notebook.
 */
export function isNotebookFile(name: string): boolean {
  return NOTEBOOK_SUFFIX.test(name);
}

/**
 * Whether a reference names a notebook file rather than a published version, as
 * `greenhouse run` reads it: a path (it holds a `/`) or a notebook's file name.
 *
 * @param ref - `NAME@ALIAS`, `NAME@N`, `NAME` or a notebook's path.
 * @returns True for a notebook file.
 */
export function namesNotebook(ref: string): boolean {
  return ref.includes('/') || isNotebookFile(ref);
}
