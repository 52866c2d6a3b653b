/**
 * Wire types of the greenhouse REST API, mirroring the server's JSON answers.
 */

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
