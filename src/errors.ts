/**
 * How errors are worded for people: the server's message and its problems.
 */
import { GreenhouseRequestError } from './request';

/**
 * The message of anything thrown, for showing to a person.
 *
 * @param error - What was thrown.
 * @returns Its message, with the server's problems on the lines after it.
 */
export function messageOf(error: unknown): string {
  if (error instanceof GreenhouseRequestError && error.problems.length > 0) {
    const listed = error.problems.filter(
      problem => !error.message.includes(problem)
    );
    return [error.message, ...listed].join('\n');
  }
  return error instanceof Error ? error.message : String(error);
}
