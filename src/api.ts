/**
 * The wire types of the greenhouse REST API, mirroring the server's JSON bodies.
 */
import type { INotebookContent } from '@jupyterlab/nbformat';

/**
 * The answer of `GET /greenhouse/api/version`.
 */
export interface IVersionInfo {
  /**
   * The version of the greenhouse package serving the API.
   */
  version: string;
  /**
   * Where the server's greenhouse store lives.
   */
  store: string;
}

/**
 * The JSON body of every error the greenhouse API answers.
 */
export interface IErrorBody {
  /**
   * What went wrong and, where possible, what would be right.
   */
  message: string;
  /**
   * The individual problems, when several were found at once.
   */
  problems: string[];
}

/**
 * A JSON value, as parameters and metrics hold them.
 */
export type JSONValue =
  null | boolean | number | string | JSONValue[] | { [key: string]: JSONValue };

/**
 * One name declared in a notebook's `parameters` cell.
 */
export interface IParameter {
  /**
   * The variable's name.
   */
  name: string;
  /**
   * The normalised type: `int`, `float`, `bool`, `str`, `list`, `list[T]`, `dict`,
   * `dict[str, T]`, `any`, or `T | None`.
   */
  type: string;
  /**
   * The declared default (`***` for a secret that has one).
   */
  default: JSONValue;
  /**
   * The help comment, if the cell has one.
   */
  help: string | null;
  /**
   * The allowed values, if the parameter is restricted to some.
   */
  choices: JSONValue[] | null;
  /**
   * The smallest allowed number.
   */
  min: number | null;
  /**
   * The largest allowed number.
   */
  max: number | null;
  /**
   * Whether the value is masked in records and listings.
   */
  secret: boolean;
}

/**
 * The answer of `GET parameters?path=NB`.
 */
export interface IParameterSet {
  /**
   * The notebook's path, as given.
   */
  notebook: string;
  /**
   * The declared parameters, in the cell's order.
   */
  parameters: IParameter[];
  /**
   * What could not be read in the parameters cell.
   */
  warnings: string[];
}

/**
 * The status of a run: `queued -> running -> succeeded | failed | cancelled | interrupted`.
 */
export type RunStatus =
  'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

/**
 * Why a run did not succeed, and where.
 */
export interface IRunError {
  /**
   * The reason in words.
   */
  reason: string;
  /**
   * The exception's name, when a cell raised one.
   */
  ename: string | null;
  /**
   * The exception's value.
   */
  evalue: string | null;
  /**
   * The index of the failing cell.
   */
  cell_index: number | null;
}

/**
 * How far a running run has got.
 */
export interface IProgress {
  /**
   * Cells finished.
   */
  done: number;
  /**
   * Cells to execute.
   */
  total: number;
  /**
   * The index of the cell running now.
   */
  current: number | null;
}

/**
 * Where a run came from: source, environment, code version, inputs.
 */
export interface IProvenance {
  /**
   * The sha256 of the notebook source that ran.
   */
  source_sha256: string;
  /**
   * The kernel's name.
   */
  kernel: string;
  /**
   * The Python version of the kernel.
   */
  python: string;
  /**
   * Installed packages by name.
   */
  packages: Record<string, string>;
  /**
   * The git state of the notebook's folder, when it is in a repository.
   */
  git: Record<string, JSONValue> | null;
  /**
   * The declared input files and their hashes.
   */
  inputs: { path: string; sha256: string; size: number }[];
}

/**
 * The record of one execution of a notebook (`GET runs/{id}`).
 */
export interface IRun {
  /**
   * The run's identifier.
   */
  id: string;
  /**
   * The notebook's path.
   */
  notebook: string;
  /**
   * Where the run is in its life.
   */
  status: RunStatus;
  /**
   * The values it ran with (secrets masked).
   */
  parameters: Record<string, JSONValue>;
  /**
   * The values the notebook recorded.
   */
  metrics: Record<string, JSONValue>;
  /**
   * Why it did not succeed.
   */
  error: IRunError | null;
  /**
   * When it was asked for (ISO 8601).
   */
  created_at: string;
  /**
   * When its kernel started.
   */
  started_at: string | null;
  /**
   * When it ended.
   */
  finished_at: string | null;
  /**
   * How long it ran, in seconds.
   */
  duration_s: number | null;
  /**
   * How far it has got, while it runs.
   */
  progress: IProgress | null;
  /**
   * Where it came from; absent from the summaries `GET runs` lists.
   */
  provenance?: IProvenance | null;
  /**
   * Who made it (its provenance's user), in the summaries `GET runs` lists: in a team
   * store, runs of several people show together.
   */
  user?: string | null;
  /**
   * In the summaries `GET runs` lists: the values cut to 200 characters and ending in
   * `…`, as `parameters.NAME`, `metrics.NAME`, `error.reason` or `error.evalue`.
   */
  truncated?: string[];
  /**
   * Whether the store holds its executed notebook (`GET runs/{id}/notebook`).
   */
  has_notebook: boolean;
  /**
   * The sweep it belongs to, if any.
   */
  sweep_id?: string | null;
}

/**
 * The body of `POST sweeps`: every combination of the values is run.
 */
export interface ICreateSweep {
  /**
   * The notebook's path relative to the server's root.
   */
  notebook: string;
  /**
   * Each parameter to set with the list of its values.
   */
  parameters: Record<string, JSONValue[]>;
}

/**
 * The answer of `POST sweeps` and `POST sweeps/{id}/cancel`.
 */
export interface IStartedSweep {
  /**
   * The sweep's identifier.
   */
  id: string;
  /**
   * Whether the sweep's process is running.
   */
  active: boolean;
  /**
   * How many runs it makes.
   */
  size?: number;
}

/**
 * The answer of `GET sweeps/{id}`: its runs so far and its results table.
 */
export interface ISweep extends IStartedSweep {
  /**
   * The runs stored so far, oldest first.
   */
  runs: IRun[];
  /**
   * The table's columns: run, status, every parameter, every metric.
   */
  columns: string[];
  /**
   * One row of text cells per run.
   */
  rows: string[][];
}

/**
 * The body of `POST runs`.
 */
export interface ICreateRun {
  /**
   * The notebook's path relative to the server's root.
   */
  notebook: string;
  /**
   * Typed values of the parameters to set; the others keep their defaults.
   */
  parameters: Record<string, JSONValue>;
}

/**
 * The answer of `GET runs`.
 */
export interface IRunList {
  /**
   * Summaries of the runs, newest first.
   */
  runs: IRun[];
}

/**
 * The answer of `GET runs/{id}/log?offset=N`.
 */
export interface ILogChunk {
  /**
   * The log text from the offset asked for.
   */
  text: string;
  /**
   * The offset to ask for next.
   */
  offset: number;
}

/**
 * One difference between two values of the same name.
 */
export interface IValueChange {
  /**
   * The parameter or metric's name.
   */
  name: string;
  /**
   * `added`, `removed` or `changed`.
   */
  change: 'added' | 'removed' | 'changed';
  /**
   * The value on side a (null when absent).
   */
  a: JSONValue;
  /**
   * The value on side b (null when absent).
   */
  b: JSONValue;
}

/**
 * A metric difference, with its delta when both values are numbers.
 */
export interface IMetricChange extends IValueChange {
  /**
   * `b - a`, when both are numbers.
   */
  delta: number | null;
  /**
   * The delta in percent of `|a|`, when both are numbers and a is not 0.
   */
  percent: number | null;
}

/**
 * A declared input file whose content differs.
 */
export interface IInputChange {
  /**
   * The file's path.
   */
  path: string;
  /**
   * `added`, `removed` or `changed`.
   */
  change: 'added' | 'removed' | 'changed';
  /**
   * The file on side a.
   */
  a: { sha256: string; size: number } | null;
  /**
   * The file on side b.
   */
  b: { sha256: string; size: number } | null;
}

/**
 * The environment differences of two runs.
 */
export interface IEnvironmentDiff {
  /**
   * Python versions.
   */
  python: { a: string; b: string };
  /**
   * Kernel names.
   */
  kernel: { a: string; b: string };
  /**
   * Package changes.
   */
  packages: {
    added: { name: string; version: string }[];
    removed: { name: string; version: string }[];
    changed: { name: string; a: string; b: string }[];
  };
}

/**
 * The answer of `GET diff?a=REF&b=REF`.
 */
export interface IDiffResult {
  /**
   * The label of side a.
   */
  a: string;
  /**
   * The label of side b.
   */
  b: string;
  /**
   * Parameters that differ.
   */
  parameters: IValueChange[];
  /**
   * Metrics that differ.
   */
  metrics: IMetricChange[];
  /**
   * Declared inputs that differ.
   */
  inputs: IInputChange[];
  /**
   * Environment differences; null when either side has no provenance.
   */
  environment: IEnvironmentDiff | null;
  /**
   * The notebook differences.
   */
  notebook: {
    /**
     * A summary of the changed cells.
     */
    changed_cells: unknown[];
    /**
     * nbdime's diff of the normalised notebooks, applying to `base`.
     */
    nbdime: unknown[];
  };
  /**
   * The normalised notebook of side a, which the nbdime diff applies to.
   */
  base: INotebookContent;
}

/**
 * One file of a published version.
 */
export interface IManifestFile {
  /**
   * The path inside the version.
   */
  path: string;
  /**
   * The content's sha256.
   */
  sha256: string;
  /**
   * The size in bytes.
   */
  size: number;
}

/**
 * An immutable, numbered version of a named artefact.
 */
export interface IVersion {
  /**
   * The artefact's name.
   */
  name: string;
  /**
   * The version's number, from 1.
   */
  number: number;
  /**
   * The run it was made from.
   */
  run_id: string;
  /**
   * When it was published.
   */
  created_at: string;
  /**
   * The sha256 of its manifest.
   */
  manifest_sha256: string;
  /**
   * Its files.
   */
  files: IManifestFile[];
  /**
   * The metrics of its run.
   */
  metrics: Record<string, JSONValue>;
  /**
   * The aliases pointing at it.
   */
  aliases: string[];
}

/**
 * The body of `POST publish`.
 */
export interface IPublishRequest {
  /**
   * The run to publish.
   */
  run: string;
  /**
   * The artefact's name.
   */
  name: string;
  /**
   * Aliases to point at the new version.
   */
  aliases: string[];
}

/**
 * The answer of `GET artefacts`.
 */
export interface IArtefactNames {
  /**
   * The artefacts' names.
   */
  names: string[];
}

/**
 * The answer of `GET artefacts/{name}/versions`.
 */
export interface IVersionList {
  /**
   * The versions, as the server lists them.
   */
  versions: IVersion[];
}

/**
 * The answer of `POST verify`.
 */
export interface IVerifyResult {
  /**
   * The version checked.
   */
  ref: string;
  /**
   * Where its files were read.
   */
  location: string;
  /**
   * How many files were checked.
   */
  checked: number;
  /**
   * Files that are not what the manifest says.
   */
  problems: {
    path: string;
    problem: string;
    expected_sha256: string;
    actual_sha256: string | null;
  }[];
  /**
   * True when every file matches its manifest.
   */
  ok: boolean;
}

/**
 * The comparison a finished re-run recorded: the answer of
 * `GET runs/{id}/reproduction` (`POST reproduce` answers the queued re-run).
 */
export interface IReproduction {
  /**
   * The reference re-run.
   */
  ref: string;
  /**
   * `reproducible` or `differs`.
   */
  verdict: 'reproducible' | 'differs';
  /**
   * The run that was re-run.
   */
  run_id: string;
  /**
   * The new run.
   */
  rerun_id: string;
  /**
   * Why it differs, in words.
   */
  reason: string | null;
  /**
   * How many code cells were compared.
   */
  compared_cells: number;
  /**
   * Code cells whose outputs differ.
   */
  cells: { index: number; what: string; before: string; after: string }[];
  /**
   * Metrics that differ, as `[before, after]`.
   */
  metrics: Record<string, JSONValue[]>;
  /**
   * Declared inputs whose content is no longer what the run read (`current_sha256`
   * null: the file is gone).
   */
  inputs: {
    path: string;
    recorded_sha256: string;
    current_sha256: string | null;
  }[];
  /**
   * Anything the re-run noticed on the way.
   */
  warnings: string[];
}
