/**
 * Stand-ins shared by the specs: the API behind the seam, timers, records.
 */
import type {
  IParameter,
  IParameterField,
  IRun,
  IRunSummary,
  RunStatus
} from '../api';
import * as request from '../request';
import { GreenhouseRequestError } from '../request';
import type { ITimers } from '../runs';
import described from '../../tests/cases/fields.json';

/**
 * The seam, as the spec that imports these fakes mocks it with
 * `jest.mock('../request', ...)` (a mock replacing `requestAPI` only).
 */
export const requestAPI = jest.mocked(request.requestAPI);

/**
 * One call the model made through the seam.
 */
export interface ICall {
  method: string;
  endPoint: string;
  body: unknown;
}

type Reply = unknown | ((call: ICall) => unknown);

/**
 * A stand-in for the greenhouse API behind `requestAPI`: replies are queued by
 * `METHOD path` (the path without its query); the last reply of a queue repeats.
 */
export class FakeServer {
  constructor() {
    requestAPI.mockImplementation(async (endPoint = '', init = {}) => {
      const call: ICall = {
        method: init.method ?? 'GET',
        endPoint,
        body: init.body ? JSON.parse(init.body as string) : undefined
      };
      this.calls.push(call);
      const key = `${call.method} ${endPoint.split('?')[0]}`;
      const queue = this._replies.get(key);
      if (!queue || queue.length === 0) {
        throw new Error(`unexpected request ${key}`);
      }
      const reply = queue.length > 1 ? queue.shift() : queue[0];
      const value = typeof reply === 'function' ? reply(call) : reply;
      if (value instanceof Error) {
        throw value;
      }
      return value;
    });
  }

  /**
   * Answer `key` (such as `GET runs/r-1`) with these replies, in turn.
   */
  on(key: string, ...replies: Reply[]): this {
    this._replies.set(key, replies);
    return this;
  }

  /**
   * The end points called with `method`, in order.
   */
  called(method = 'GET'): string[] {
    return this.calls.filter(c => c.method === method).map(c => c.endPoint);
  }

  calls: ICall[] = [];
  private _replies = new Map<string, Reply[]>();
}

/**
 * Timers that fire only when told to.
 */
export class FakeTimers implements ITimers {
  setTimeout(callback: () => void, ms: number): unknown {
    const handle = this._next++;
    this._pending.set(handle, { callback, ms });
    return handle;
  }

  clearTimeout(handle: unknown): void {
    this._pending.delete(handle as number);
  }

  /**
   * How many calls are scheduled.
   */
  get pending(): number {
    return this._pending.size;
  }

  /**
   * The delays of the scheduled calls.
   */
  get delays(): number[] {
    return [...this._pending.values()].map(item => item.ms);
  }

  /**
   * Fire every scheduled call, then let the promises they started settle.
   */
  async tick(): Promise<void> {
    const due = [...this._pending.values()];
    this._pending.clear();
    for (const item of due) {
      item.callback();
    }
    await settle();
  }

  private _next = 1;
  private _pending = new Map<number, { callback: () => void; ms: number }>();
}

/**
 * Let the promises started so far settle.
 */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await Promise.resolve();
  }
}

/**
 * The error the seam throws for an error status.
 */
export function httpError(
  status: number,
  message: string,
  problems: string[] = []
): GreenhouseRequestError {
  return new GreenhouseRequestError(
    new Response(null, { status }),
    message,
    problems
  );
}

/**
 * The field the server describes for each type declared without options, checked
 * against the Python grammar by tests/test_types.py.
 */
const FIELDS = described.fields as Record<string, IParameterField>;

/**
 * A parameter declaration with no default, help, choices or bounds unless given.
 *
 * Its field is the server's for its type (tests/cases/fields.json) with the given
 * choices, bounds and secrecy; `field` overrides any part of it (the server also
 * offers None among the choices of a type that allows it).
 */
export function parameter(
  name: string,
  type: string,
  options: Partial<Omit<IParameter, 'field'>> & {
    field?: Partial<IParameterField>;
  } = {}
): IParameter {
  const typeField = FIELDS[type];
  if (!typeField) {
    throw new Error(`tests/cases/fields.json has no field for ${type}`);
  }
  const { field, ...given } = options;
  const declared = {
    name,
    type,
    default: null,
    help: null,
    choices: null,
    min: null,
    max: null,
    secret: false,
    ...given
  };
  return {
    ...declared,
    field: {
      ...typeField,
      choices: declared.choices ?? typeField.choices,
      minimum: declared.min,
      maximum: declared.max,
      secret: declared.secret,
      ...field
    }
  };
}

const FINISHED: RunStatus[] = ['succeeded', 'failed', 'cancelled'];

/**
 * What a run record of train.ipynb and its listed summary share; a finished run
 * has an executed notebook.
 */
function shared(id: string, status: RunStatus) {
  return {
    id,
    notebook: 'train.ipynb',
    status,
    parameters: {},
    metrics: {},
    error: null,
    created_at: '2026-01-01T10:00:00+00:00',
    started_at: null,
    finished_at: null,
    duration_s: null,
    progress: null,
    files: [],
    has_notebook: FINISHED.includes(status),
    timeout: null,
    timeout_run: null,
    reproduces: null,
    reproduction: null,
    sweep_id: null,
    from_version: null
  };
}

/**
 * A run record of train.ipynb, as `GET runs/{id}` answers it.
 */
export function run(
  id: string,
  status: RunStatus,
  extra: Partial<IRun> = {}
): IRun {
  return {
    ...shared(id, status),
    provenance: null,
    timings: [],
    kept_inputs: [],
    ...extra
  };
}

/**
 * A run of train.ipynb as `GET runs` lists it, made by nobody known unless given.
 */
export function summary(
  id: string,
  status: RunStatus,
  extra: Partial<IRunSummary> = {}
): IRunSummary {
  return { ...shared(id, status), user: null, truncated: [], ...extra };
}
