/**
 * The one HTTP seam between the greenhouse frontend and its server extension.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import type { IErrorBody } from './api';

/**
 * An error answered by the greenhouse API, or by whatever stands in front of it.
 */
export class GreenhouseRequestError extends ServerConnection.ResponseError {
  /**
   * Create an error for a response that was not OK.
   *
   * @param response - The server's response.
   * @param message - What went wrong, in the server's words where it gave them.
   * @param problems - The individual problems, when the server listed several.
   */
  constructor(response: Response, message: string, problems: string[] = []) {
    super(response, message);
    this.name = 'GreenhouseRequestError';
    this.status = response.status;
    this.problems = problems;
  }

  /**
   * The HTTP status of the response.
   */
  readonly status: number;

  /**
   * The individual problems the server listed (empty when it listed none).
   */
  readonly problems: string[];
}

/**
 * Call the greenhouse REST API.
 *
 * @param endPoint - The path under `<base url>/greenhouse/api/`.
 * @param init - The request's method, body and headers.
 * @returns The parsed JSON body of the answer.
 * @throws {GreenhouseRequestError} When the server answers an error status, or an
 * OK status whose body is not JSON.
 * @throws {ServerConnection.NetworkError} When the server cannot be reached.
 */
export async function requestAPI<T>(
  endPoint = '',
  init: RequestInit = {}
): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const url = apiURL(endPoint, settings);
  const response = await ServerConnection.makeRequest(url, init, settings);
  const text = await response.text();

  if (!response.ok) {
    const body = parseErrorBody(text);
    throw new GreenhouseRequestError(
      response,
      body?.message ?? statusMessage(response),
      body?.problems
    );
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new GreenhouseRequestError(
      response,
      `${statusMessage(response)}, with a body that is not JSON`
    );
  }
}

/**
 * The address of an API end point, for what the browser loads itself (an iframe's
 * report) rather than through {@link requestAPI}.
 *
 * @param endPoint - The path under `<base url>/greenhouse/api/`.
 * @param settings - The server connection settings (default: the page's).
 * @returns The absolute URL of the end point.
 */
export function apiURL(
  endPoint: string,
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): string {
  return URLExt.join(settings.baseUrl, 'greenhouse', 'api', endPoint);
}

/**
 * The API's error body, or `null` when the body is not one (a proxy's HTML page).
 */
function parseErrorBody(text: string): IErrorBody | null {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(body) || typeof body.message !== 'string') {
    return null;
  }
  const problems = Array.isArray(body.problems)
    ? body.problems.filter((item): item is string => typeof item === 'string')
    : [];
  return { message: body.message, problems };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function statusMessage(response: Response): string {
  return `The greenhouse server answered ${response.status} ${response.statusText}`.trimEnd();
}
