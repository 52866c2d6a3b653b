/**
 * The wire types of the greenhouse REST API, under the names the frontend uses.
 *
 * Each is the type `jlpm run generate:api` generates from `docs/openapi.yaml` into
 * `schema.ts`, so the frontend's types follow the API's description; a jest test
 * fails when `schema.ts` no longer matches the YAML. Values the description leaves
 * untyped (parameters, metrics, defaults, choices) are `unknown` here.
 */
import type { components } from './schema';

type Schemas = components['schemas'];

/**
 * The answer of `GET version`.
 */
export type IVersionInfo = Schemas['VersionInfo'];

/**
 * The JSON body of every error the greenhouse API answers.
 */
export type IErrorBody = Schemas['Error'];

/**
 * A JSON value, as the parameter form reads and sends them.
 */
export type JSONValue =
  null | boolean | number | string | JSONValue[] | { [key: string]: JSONValue };

/**
 * One name declared in a notebook's `parameters` cell, with its form field.
 */
export type IParameter = Schemas['Parameter'];

/**
 * How a form offers a parameter: its kind, whether None is a value, what a list
 * or dict holds, its choices, bounds and secrecy; the server reads the type once.
 */
export type IParameterField = Schemas['ParameterField'];

/**
 * A parameter type as the server read it: its kind, whether None is a value, and
 * the type of a list's elements or a dict's values.
 */
export type IParameterType = Schemas['ParameterType'];

/**
 * The answer of `GET parameters?path=NB`.
 */
export type IParameterSet = Schemas['ParameterSet'];

/**
 * The status of a run: `queued -> running -> succeeded | failed | cancelled | interrupted`.
 */
export type RunStatus = Schemas['RunStatus'];

/**
 * Why a run did not succeed, and where.
 */
export type IRunError = Schemas['RunError'];

/**
 * The whole record of one execution of a notebook (`GET runs/{id}`, `POST runs`,
 * `POST runs/{id}/cancel`, and a sweep's runs).
 */
export type IRun = Schemas['Run'];

/**
 * The schedule occurrence a run is an attempt of, on a run a schedule started: the
 * schedule's id and name, the occurrence's id, fire time and kind, the attempt number.
 */
export type IRunOccurrence = Schemas['RunOccurrence'];

/**
 * A run as `GET runs` lists it: no provenance or timings, long values cut, and the
 * user who made it.
 */
export type IRunSummary = Schemas['RunSummary'];

/**
 * A run as the history holds it: listed as a summary, then replaced by its whole
 * record once polled.
 */
export type RunOrSummary = IRun | IRunSummary;

/**
 * The body of `POST runs`.
 */
export type ICreateRun = Schemas['CreateRun'];

/**
 * The answer of `GET runs`.
 */
export type IRunList = Schemas['RunList'];

/**
 * The answer of `GET runs/{id}/log?offset=N`.
 */
export type ILogChunk = Schemas['LogChunk'];

/**
 * The body of `POST sweeps`.
 */
export type ICreateSweep = Schemas['CreateSweep'];

/**
 * The answer of `POST sweeps` and `POST sweeps/{id}/cancel`.
 */
export type IStartedSweep = Schemas['StartedSweep'];

/**
 * The answer of `GET sweeps/{id}?offset=N&limit=M`: a page of its runs so far (summaries,
 * oldest first), the count of them all (`total`), and the page's results table.
 */
export type ISweep = Schemas['Sweep'];

/**
 * The answer of `GET diff?a=REF&b=REF`.
 */
export type IDiffResult = Schemas['Diff'];

/**
 * One difference between two parameters (or metrics) of the same name.
 */
export type IValueChange = IDiffResult['parameters'][number];

/**
 * The environment differences of two runs.
 */
export type IEnvironmentDiff = Schemas['EnvironmentDiff'];

/**
 * An immutable, numbered version of a named artefact.
 */
export type IVersion = Schemas['Version'];

/**
 * The answer of moving an alias: the version it points at and the change recorded.
 */
export type IAliasMoved = Schemas['AliasMoved'];

/**
 * One recorded change of an alias: set, moved or removed, by whom, when and why.
 */
export type IAliasEvent = Schemas['AliasEvent'];

/**
 * The answer of `GET artefacts/NAME/alias-history`: every change, oldest first.
 */
export type IAliasHistory = Schemas['AliasHistory'];

/**
 * The body of `POST publish`.
 */
export type IPublishRequest = Schemas['PublishRequest'];

/**
 * The answer of `GET artefacts`.
 */
export type IArtefactNames = Schemas['ArtefactList'];

/**
 * The answer of `GET artefacts/{name}/versions`.
 */
export type IVersionList = Schemas['VersionList'];

/**
 * The answer of `POST verify`.
 */
export type IVerifyResult = Schemas['VerifyResult'];

/**
 * The comparison a finished re-run recorded: the answer of
 * `GET runs/{id}/reproduction` (`POST reproduce` answers the queued re-run).
 */
export type IReproduction = Schemas['Reproduction'];

/**
 * The body of `POST reproduce`: the reference, secrets again, and where the re-run's
 * inputs and environment come from.
 */
export type IReproduceRequest = Schemas['ReproduceRequest'];
