/**
 * The identifiers of greenhouse's commands, shared by the plugin, the commands and the
 * sidebar.
 */
export namespace CommandIDs {
  /**
   * Show the greenhouse version and the store the server uses.
   */
  export const about = 'greenhouse:about';
  /**
   * Show the greenhouse sidebar.
   */
  export const openPanel = 'greenhouse:open-panel';
  /**
   * Run the notebook in focus with the sidebar's parameter values.
   */
  export const run = 'greenhouse:run';
  /**
   * Open the diff of two runs (args `a`, `b`; default: the two chosen runs).
   */
  export const diff = 'greenhouse:diff';
  /**
   * Publish a run as a version of an artefact (arg `run`; default: the chosen or
   * latest succeeded run).
   */
  export const publish = 'greenhouse:publish';
  /**
   * Open a run's executed notebook, read-only (arg `id`).
   */
  export const openRunNotebook = 'greenhouse:open-run-notebook';
  /**
   * Open a run's HTML report (arg `id`).
   */
  export const openRunReport = 'greenhouse:open-run-report';
  /**
   * Open the full-width runs view (arg `notebook`; default: the whole store).
   */
  export const openRuns = 'greenhouse:open-runs';
  /**
   * Show a notebook file in the sidebar without opening it (arg `path`; default: the
   * file browser's selected file), for a text notebook that opens in the editor.
   */
  export const openInPanel = 'greenhouse:open-in-panel';
}
