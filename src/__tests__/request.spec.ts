import { PageConfig } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { GreenhouseRequestError, requestAPI } from '../request';

/**
 * Make the server answer the next request with `body`, and return the fetch spy.
 */
function answer(
  body: string,
  init: ResponseInit = { status: 200 }
): jest.SpyInstance {
  return jest
    .spyOn(globalThis, 'fetch')
    .mockResolvedValue(new Response(body, init));
}

/**
 * The request the seam sent through fetch.
 */
function sentRequest(fetchSpy: jest.SpyInstance): Request {
  expect(fetchSpy).toHaveBeenCalledTimes(1);
  return fetchSpy.mock.calls[0][0] as Request;
}

/**
 * The error `promise` rejects with.
 */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('the request did not fail');
}

describe('requestAPI', () => {
  beforeEach(() => {
    PageConfig.setOption('baseUrl', '/user/ada/');
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('sends the request under <base url>/greenhouse/api/', async () => {
    const fetchSpy = answer(
      '{"version": "0.1.0", "store": "/srv/.greenhouse"}'
    );

    await requestAPI('version');

    const url = new URL(sentRequest(fetchSpy).url);
    expect(url.origin + url.pathname).toBe(
      'http://localhost/user/ada/greenhouse/api/version'
    );
  });

  it('passes the method and body through', async () => {
    const fetchSpy = answer('{"id": "r-1"}');

    await requestAPI('runs', {
      method: 'POST',
      body: JSON.stringify({ notebook: 'train.ipynb' })
    });

    const request = sentRequest(fetchSpy);
    expect(request.method).toBe('POST');
    expect(await request.json()).toEqual({ notebook: 'train.ipynb' });
  });

  it('resolves with the parsed JSON body', async () => {
    answer('{"version": "0.1.0", "store": "/srv/.greenhouse"}');

    await expect(requestAPI('version')).resolves.toEqual({
      version: '0.1.0',
      store: '/srv/.greenhouse'
    });
  });

  it.each([
    [400, 'epochs must be an int', ["epochs: 'ten' is not an int"]],
    [404, "no run 'r-42'", []],
    [409, "run 'r-7' failed and cannot be published", []],
    [500, 'Unhandled error: RuntimeError: boom', []]
  ])(
    'rejects a %i with the status, message and problems the server gave',
    async (status, message, problems) => {
      answer(JSON.stringify({ message, problems }), {
        status,
        headers: { 'Content-Type': 'application/json' }
      });

      const error = await rejection(requestAPI('runs/r-42'));

      expect(error).toBeInstanceOf(GreenhouseRequestError);
      expect(error).toBeInstanceOf(ServerConnection.ResponseError);
      expect(error).toMatchObject({ status, message, problems });
    }
  );

  it('rejects a non-JSON error body with the HTTP status', async () => {
    answer('<html><body>Bad Gateway</body></html>', {
      status: 502,
      statusText: 'Bad Gateway',
      headers: { 'Content-Type': 'text/html' }
    });

    const error = await rejection(requestAPI('version'));

    expect(error).toBeInstanceOf(GreenhouseRequestError);
    expect(error).toMatchObject({
      status: 502,
      message: 'The greenhouse server answered 502 Bad Gateway',
      problems: []
    });
  });

  it('rejects a JSON error body that is not the API error shape', async () => {
    answer('["not", "an", "error", "body"]', { status: 500 });

    const error = await rejection(requestAPI('version'));

    expect(error).toMatchObject({
      status: 500,
      message: 'The greenhouse server answered 500',
      problems: []
    });
  });

  it('rejects an OK answer whose body is not JSON', async () => {
    answer('<html>login</html>', { status: 200, statusText: 'OK' });

    const error = await rejection(requestAPI('version'));

    expect(error).toBeInstanceOf(GreenhouseRequestError);
    expect(error).toMatchObject({
      status: 200,
      message:
        'The greenhouse server answered 200 OK, with a body that is not JSON'
    });
  });

  it('rejects with a network error when the server cannot be reached', async () => {
    jest
      .spyOn(globalThis, 'fetch')
      .mockRejectedValue(new TypeError('Failed to fetch'));

    const error = await rejection(requestAPI('version'));

    expect(error).toBeInstanceOf(ServerConnection.NetworkError);
    expect(error).toMatchObject({ message: 'Failed to fetch' });
  });
});
