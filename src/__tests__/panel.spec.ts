import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';

import type { IRunSummary, ISweep, RunOrSummary } from '../api';
import { CommandIDs } from '../commandIds';
import { PanelModel } from '../panelModel';
import { GreenhousePanel } from '../widgets/panel';
import {
  FakeServer,
  FakeTimers,
  httpError,
  parameter,
  requestAPI,
  run,
  settle,
  summary
} from './fakes';

jest.mock('../request', () => ({
  ...jest.requireActual('../request'),
  requestAPI: jest.fn()
}));

const trans = nullTranslator.load('greenhouse_ext');

const VERSION = {
  name: 'train',
  number: 1,
  run_id: 'r-1',
  created_at: '2026-01-01T10:00:00+00:00',
  manifest_sha256: 'ab',
  published_by: 'ada',
  files: [],
  metrics: { r2: 0.99 },
  aliases: ['production']
};

/**
 * The sidebar on train.ipynb, attached to the document, with the history `runs`.
 */
async function panelOn(
  runs: RunOrSummary[] = [run('r-1', 'succeeded', { metrics: { mse: 0.12 } })],
  confirmRun?: (notebook: string) => Promise<boolean>
) {
  const server = new FakeServer()
    .on('GET parameters', {
      notebook: 'train.ipynb',
      parameters: [
        parameter('epochs', 'int', {
          default: 50,
          min: 1,
          max: 100,
          help: 'passes'
        }),
        parameter('model', 'str', {
          default: 'linear',
          choices: ['linear', 'constant']
        }),
        parameter('verbose', 'bool', { default: false }),
        parameter('layers', 'list[int]', { default: [64] }),
        parameter('columns', 'list[str]', {
          default: ['bill_length_mm'],
          choices: ['bill_length_mm', 'bill_depth_mm']
        }),
        parameter('api_token', 'str', { default: '***', secret: true }),
        parameter('pin', 'int', { default: '***', secret: true }),
        parameter('flag', 'bool | None')
      ],
      warnings: ['Line 3: unknown option']
    })
    .on('GET runs', { runs })
    .on('GET artefacts', { names: ['train'] });
  const commands = new CommandRegistry();
  const executed: [string, unknown][] = [];
  for (const id of [
    CommandIDs.diff,
    CommandIDs.publish,
    CommandIDs.openRunNotebook
  ]) {
    commands.addCommand(id, {
      execute: args => void executed.push([id, args])
    });
  }
  const timers = new FakeTimers();
  const model = new PanelModel({ timers });
  const panel = new GreenhousePanel({ model, commands, trans, confirmRun });
  Widget.attach(panel, document.body);
  await model.setNotebook('train.ipynb');
  await settle();
  return { panel, model, server, timers, executed, node: panel.node };
}

function field(node: HTMLElement, name: string): HTMLElement {
  return node.querySelector(`.jp-greenhouse-param[data-name="${name}"]`)!;
}

/**
 * Press Run with the form as it is, and let the answer arrive.
 */
async function panelRun(node: HTMLElement): Promise<void> {
  node.querySelector<HTMLButtonElement>('.jp-greenhouse-run-button')!.click();
  await settle();
}

function type(
  input: HTMLInputElement | HTMLTextAreaElement,
  text: string
): void {
  input.value = text;
  input.dispatchEvent(new Event('input'));
}

afterEach(() => {
  requestAPI.mockReset();
  document.body.replaceChildren();
});

describe('GreenhousePanel', () => {
  it('shows the notebook, its warnings and one field per parameter', async () => {
    const { node, panel } = await panelOn();

    expect(node.classList).toContain('jp-greenhouse-panel');
    expect(node.querySelector('.jp-greenhouse-notebook')?.textContent).toBe(
      'train.ipynb'
    );
    expect(node.querySelector('.jp-greenhouse-warning')?.textContent).toBe(
      'Line 3: unknown option'
    );
    const kinds = [
      ...node.querySelectorAll<HTMLElement>('.jp-greenhouse-param')
    ].map(item => [item.dataset.name, item.dataset.kind]);
    expect(kinds).toEqual([
      ['epochs', 'slider'],
      ['model', 'select'],
      ['verbose', 'checkbox'],
      ['layers', 'json'],
      ['columns', 'json'],
      ['api_token', 'password'],
      ['pin', 'password'],
      ['flag', 'select']
    ]);
    expect(
      field(node, 'epochs').querySelector('.jp-greenhouse-param-help')
        ?.textContent
    ).toBe('passes');
    expect(field(node, 'api_token').querySelector('input')?.type).toBe(
      'password'
    );
    panel.dispose();
  });

  it('hides a secret int as it types and sends it as a number', async () => {
    const { node, server } = await panelOn([]);
    server.on('POST runs', run('r-2', 'queued'));
    const pin = field(node, 'pin').querySelector('input')!;
    expect(pin.type).toBe('password');
    expect(
      field(node, 'pin').querySelector('.jp-greenhouse-param-more')
    ).toBeNull();

    type(pin, '1234');
    node.querySelector<HTMLButtonElement>('.jp-greenhouse-run-button')!.click();
    await settle();

    expect(server.calls.at(-1)?.body).toEqual({
      notebook: 'train.ipynb',
      parameters: { pin: 1234 }
    });
  });

  it('asks before running and sends nothing when the answer is no', async () => {
    const asked: string[] = [];
    let answer = false;
    const confirm = async (notebook: string) => {
      asked.push(notebook);
      return answer;
    };
    const { node, server } = await panelOn([], confirm);
    server.on('POST runs', run('r-2', 'queued'));
    const runButton = node.querySelector<HTMLButtonElement>(
      '.jp-greenhouse-run-button'
    )!;

    runButton.click();
    await settle();
    expect(asked).toEqual(['train.ipynb']);
    expect(server.called('POST')).toEqual([]);
    expect(runButton.disabled).toBe(false);

    answer = true;
    runButton.click();
    await settle();
    expect(server.called('POST')).toEqual(['runs']);
  });

  it('follows the parameters cell as edited, keeping the values typed', async () => {
    const { node, model, server } = await panelOn([]);
    type(field(node, 'epochs').querySelector('input')!, '7');
    server.on('POST parameters', {
      notebook: 'train.ipynb',
      parameters: [
        parameter('epochs', 'int', { default: 50 }),
        parameter('seed', 'int', { default: 3 })
      ],
      warnings: []
    });

    await model.showEditedParameters('epochs = 50\nseed = 3');
    await model.showEditedParameters('epochs = 50\nseed = 3');

    expect(server.calls.filter(c => c.method === 'POST')).toEqual([
      {
        method: 'POST',
        endPoint: 'parameters',
        body: { notebook: 'train.ipynb', source: 'epochs = 50\nseed = 3' }
      }
    ]);
    const names = [
      ...node.querySelectorAll<HTMLElement>('.jp-greenhouse-param')
    ].map(item => item.dataset.name);
    expect(names).toEqual(['epochs', 'seed']);
    expect(field(node, 'epochs').querySelector('input')!.value).toBe('7');
  });

  it('offers true, false and None for a bool | None, and sends the choice', async () => {
    const { node, server } = await panelOn([]);
    server.on('POST runs', run('r-2', 'queued'));
    const flag = field(node, 'flag').querySelector('select')!;
    expect([...flag.options].map(option => option.textContent)).toEqual([
      'true',
      'false',
      'None'
    ]);
    expect(flag.value).toBe('null');

    flag.value = 'false';
    flag.dispatchEvent(new Event('change'));
    node.querySelector<HTMLButtonElement>('.jp-greenhouse-run-button')!.click();
    await settle();

    expect(server.calls.at(-1)?.body).toEqual({
      notebook: 'train.ipynb',
      parameters: { flag: false }
    });
  });

  it('steps an integer slider by whole numbers', async () => {
    const { node } = await panelOn();
    expect(
      field(node, 'epochs').querySelector<HTMLInputElement>(
        '.jp-greenhouse-param-range'
      )?.step
    ).toBe('1');
  });

  it('shows who made each run', async () => {
    const { node, panel } = await panelOn([
      summary('r-2', 'succeeded', { user: 'bob' }),
      summary('r-1', 'failed', { user: 'alice' }),
      summary('r-0', 'succeeded', { user: null })
    ]);

    const users = [
      ...node.querySelectorAll<HTMLElement>('.jp-greenhouse-run')
    ].map(item => [
      item.dataset.runId,
      item.querySelector('.jp-greenhouse-run-user')?.textContent
    ]);
    expect(users).toEqual([
      ['r-2', 'bob'],
      ['r-1', 'alice'],
      ['r-0', '']
    ]);
    panel.dispose();
  });

  it('marks an invalid value at once, and clears the mark once fixed', async () => {
    const { node } = await panelOn();
    const epochs = field(node, 'epochs');
    const input = epochs.querySelector<HTMLInputElement>(
      '.jp-greenhouse-param-input'
    )!;

    type(input, '500');
    expect(epochs.classList).toContain('jp-greenhouse-invalid');
    expect(
      epochs.querySelector('.jp-greenhouse-param-error')?.textContent
    ).toBe('must be at most 100');

    type(input, '20');
    expect(epochs.classList).not.toContain('jp-greenhouse-invalid');
    expect(
      epochs.querySelector<HTMLInputElement>('.jp-greenhouse-param-range')
        ?.value
    ).toBe('20');
  });

  it('refuses to run with an invalid value, and disables the Run button', async () => {
    const { node, model, server } = await panelOn();
    type(field(node, 'layers').querySelector('textarea')!, '[1, "a"]');

    await expect(model.run()).rejects.toThrow('layers: [1]');
    await settle();

    expect(server.called('POST')).toEqual([]);
    expect(
      node.querySelector<HTMLButtonElement>('.jp-greenhouse-run-button')
        ?.disabled
    ).toBe(true);
  });

  it('refuses a list item outside the allowed items on its field, with Run and Sweep disabled', async () => {
    const { node, server } = await panelOn();
    const columns = field(node, 'columns');
    const input = columns.querySelector('textarea')!;
    const run = node.querySelector<HTMLButtonElement>(
      '.jp-greenhouse-run-button'
    )!;
    const sweep = node.querySelector<HTMLButtonElement>(
      '.jp-greenhouse-sweep-button'
    )!;
    type(
      field(node, 'epochs').querySelector<HTMLInputElement>(
        '.jp-greenhouse-param-more'
      )!,
      '20'
    );
    expect(sweep.disabled).toBe(false);

    type(input, 'bill_length_mm, flipper_length_mm');

    expect(columns.classList).toContain('jp-greenhouse-invalid');
    expect(
      columns.querySelector('.jp-greenhouse-param-error')?.textContent
    ).toBe(
      '[1]: flipper_length_mm is not one of the allowed items bill_length_mm, bill_depth_mm'
    );
    expect(run.disabled).toBe(true);
    expect(sweep.disabled).toBe(true);
    run.click();
    await settle();
    expect(server.called('POST')).toEqual([]);

    type(input, 'bill_depth_mm, bill_length_mm');
    expect(columns.classList).not.toContain('jp-greenhouse-invalid');
    expect(run.disabled).toBe(false);
    expect(sweep.disabled).toBe(false);
  });

  it('runs with the values changed and lists the run at once', async () => {
    const { node, server, timers } = await panelOn([]);
    server
      .on('POST runs', run('r-2', 'queued'))
      .on(
        'GET runs/r-2',
        run('r-2', 'running', { progress: { done: 2, total: 5, current: 2 } })
      )
      .on('GET runs/r-2/log', { text: 'cell 2/5\n', offset: 9 });
    const verbose = field(node, 'verbose').querySelector('input')!;
    verbose.checked = true;
    verbose.dispatchEvent(new Event('change'));

    node.querySelector<HTMLButtonElement>('.jp-greenhouse-run-button')!.click();
    await settle();

    expect(server.calls.at(-1)?.body).toEqual({
      notebook: 'train.ipynb',
      parameters: { verbose: true }
    });
    expect(
      node.querySelector('.jp-greenhouse-run')?.getAttribute('data-status')
    ).toBe('queued');
    expect(
      node.querySelector('.jp-greenhouse-progress-label')?.textContent
    ).toBe('queued');

    await timers.tick();
    const item = node.querySelector(
      '.jp-greenhouse-run[data-status="running"]'
    )!;
    expect(
      item.querySelector<HTMLProgressElement>('.jp-greenhouse-progress-bar')
        ?.value
    ).toBe(2);
    expect(item.querySelector('.jp-greenhouse-run-log-text')?.textContent).toBe(
      'cell 2/5\n'
    );
    expect(item.querySelector('.jp-greenhouse-cancel-button')).not.toBeNull();
  });

  it('names the running cell as the log does, and keeps the log open as the run ends', async () => {
    const { node, server, timers } = await panelOn([]);
    server
      .on('POST runs', run('r-2', 'queued', { parameters: { verbose: true } }))
      .on(
        'GET runs/r-2',
        run('r-2', 'running', {
          parameters: { verbose: true },
          progress: { done: 1, total: 7, current: 1 }
        })
      )
      .on('GET runs/r-2/log', { text: 'greenhouse: cell 2/7\n', offset: 21 });
    await panelRun(node);
    await timers.tick();
    const item = node.querySelector('.jp-greenhouse-run[data-run-id="r-2"]')!;
    expect(
      item.querySelector('.jp-greenhouse-progress-label')?.textContent
    ).toBe('cell 2 of 7');
    const log = item.querySelector<HTMLDetailsElement>(
      '.jp-greenhouse-run-log'
    )!;
    expect(log.open).toBe(true);

    server
      .on(
        'GET runs/r-2',
        run('r-2', 'succeeded', {
          parameters: { verbose: true },
          progress: { done: 7, total: 7, current: null }
        })
      )
      .on('GET runs/r-2/log', { text: 'run r-2 succeeded\n', offset: 40 });
    await timers.tick();

    expect(item.getAttribute('data-status')).toBe('succeeded');
    expect(log.open).toBe(true);
    expect(item.querySelector('.jp-greenhouse-run-log-text')?.textContent).toBe(
      'greenhouse: cell 2/7\nrun r-2 succeeded\n'
    );
  });

  it("lists every parameter in the cell's order in every state, the changed ones marked", async () => {
    const { node, server, timers } = await panelOn([]);
    // The server answers a stored record's parameters sorted by name.
    const given = { layers: [64], verbose: true };
    server
      .on('POST runs', run('r-2', 'queued', { parameters: given }))
      .on('GET runs/r-2', run('r-2', 'running', { parameters: given }))
      .on('GET runs/r-2/log', { text: '', offset: 0 });
    const item = () =>
      node.querySelector('.jp-greenhouse-run[data-run-id="r-2"]')!;
    const listed = () =>
      [...item().querySelectorAll<HTMLElement>('.jp-greenhouse-run-param')].map(
        param =>
          `${param.dataset.name}=${param.querySelector('.jp-greenhouse-value')?.textContent}` +
          (param.classList.contains('jp-greenhouse-changed') ? ' *' : '')
      );
    const expected = [
      'epochs=50',
      'model=linear',
      'verbose=true *',
      'layers=[64]',
      'columns=["bill_length_mm"]',
      'api_token=***',
      'pin=***',
      'flag=None'
    ];

    await panelRun(node);
    expect(item().getAttribute('data-status')).toBe('queued');
    expect(listed()).toEqual(expected);

    await timers.tick();
    expect(item().getAttribute('data-status')).toBe('running');
    expect(listed()).toEqual(expected);
  });

  it('labels a reproduction as one', async () => {
    const { node } = await panelOn([
      run('r-2', 'succeeded', { reproduces: 'r-1' }),
      run('r-1', 'succeeded')
    ]);
    expect(
      node.querySelector(
        '.jp-greenhouse-run[data-run-id="r-2"] .jp-greenhouse-run-reproduces'
      )?.textContent
    ).toBe('reproduction of r-1');
    expect(
      node.querySelector(
        '.jp-greenhouse-run[data-run-id="r-1"] .jp-greenhouse-run-reproduces'
      )
    ).toBeNull();
  });

  it('sweeps every combination of the values and groups its runs with a table', async () => {
    const { node, server, timers } = await panelOn([]);
    const sweepButton = node.querySelector<HTMLButtonElement>(
      '.jp-greenhouse-sweep-button'
    )!;
    expect(sweepButton.disabled).toBe(true);
    const more = (name: string) =>
      field(node, name).querySelector<HTMLInputElement>(
        '.jp-greenhouse-param-more'
      )!;
    expect(
      field(node, 'api_token').querySelector('.jp-greenhouse-param-more')
    ).toBeNull();
    type(more('epochs'), '20; 30');
    type(more('model'), 'constant');
    expect(sweepButton.disabled).toBe(false);
    expect(sweepButton.textContent).toBe('Sweep (6 runs)');

    const swept = (
      id: string,
      epochs: number,
      status: 'succeeded' | 'failed'
    ) =>
      summary(id, status, {
        sweep_id: 's-1',
        parameters: { epochs },
        metrics: status === 'succeeded' ? { mse: epochs / 100 } : {}
      });
    const page = (active: boolean, runs: IRunSummary[]): ISweep => ({
      id: 's-1',
      active,
      total: runs.length,
      offset: 0,
      runs,
      columns: [],
      rows: []
    });
    server
      .on('POST sweeps', { id: 's-1', active: true, size: 6 })
      .on(
        'GET sweeps/s-1',
        page(true, [swept('r-1', 50, 'succeeded')]),
        page(false, [swept('r-1', 50, 'succeeded'), swept('r-2', 20, 'failed')])
      );
    sweepButton.click();
    await settle();
    expect(server.calls.at(-1)?.body).toEqual({
      notebook: 'train.ipynb',
      parameters: { epochs: [50, 20, 30], model: ['linear', 'constant'] }
    });
    const message = node.querySelector('.jp-greenhouse-run-message')!;
    expect(message.textContent).toBe(
      'Sweep s-1 started: its runs appear below as they start.'
    );
    expect(message.classList).toContain('jp-greenhouse-run-message-info');
    const pending = node.querySelector(
      '.jp-greenhouse-sweep[data-sweep-id="s-1"]'
    )!;
    expect(
      pending.querySelector('.jp-greenhouse-sweep-summary')?.textContent
    ).toBe(
      'Sweep s-1: 6 runs: 6 queued, 0 running, 0 finished (0 not succeeded)'
    );

    await timers.tick();
    await timers.tick();
    expect(timers.pending).toBe(0);
    const group = node.querySelector(
      '.jp-greenhouse-sweep[data-sweep-id="s-1"]'
    )!;
    expect(group.querySelectorAll('.jp-greenhouse-run')).toHaveLength(2);
    expect(
      group.querySelector('.jp-greenhouse-sweep-summary')?.textContent
    ).toBe(
      'Sweep s-1: 2 runs: 0 queued, 0 running, 2 finished (1 not succeeded)'
    );
    const rows = [
      ...group.querySelectorAll('.jp-greenhouse-sweep-table tr')
    ].map(row => [...row.children].map(cell => cell.textContent));
    expect(rows).toEqual([
      ['status', 'epochs', 'mse'],
      ['failed', '20', '-'],
      ['succeeded', '50', '0.5']
    ]);
  });

  it('marks an invalid further value on its own input, and counts only valid ones', async () => {
    const { node, model, server } = await panelOn([]);
    const epochs = field(node, 'epochs');
    const more = epochs.querySelector<HTMLInputElement>(
      '.jp-greenhouse-param-more'
    )!;
    type(more, '20; 500; 30');
    expect(epochs.classList.contains('jp-greenhouse-invalid')).toBe(false);
    expect(
      epochs.querySelector('.jp-greenhouse-param-error')?.textContent
    ).toBe('');
    expect(more.getAttribute('aria-invalid')).toBe('true');
    expect(
      epochs.querySelector('.jp-greenhouse-param-more-error')?.textContent
    ).toMatch(/^500: /);
    const sweep = node.querySelector<HTMLButtonElement>(
      '.jp-greenhouse-sweep-button'
    )!;
    expect(sweep.textContent).toBe('Sweep (3 runs)');
    expect(sweep.disabled).toBe(true);

    await expect(model.sweep()).rejects.toThrow('epochs: 500: ');
    expect(server.called('POST')).toEqual([]);

    type(more, '20; 30');
    expect(more.getAttribute('aria-invalid')).toBe('false');
    expect(sweep.disabled).toBe(false);
  });

  it('shows a server refusal under the Run button', async () => {
    const { node, server } = await panelOn();
    server.on('POST runs', httpError(409, 'The store is read-only'));

    node.querySelector<HTMLButtonElement>('.jp-greenhouse-run-button')!.click();
    await settle();

    expect(node.querySelector('.jp-greenhouse-run-message')?.textContent).toBe(
      'The store is read-only'
    );
  });

  it("shows a run's metrics and opens its notebook through the command", async () => {
    const { node, executed } = await panelOn();
    const item = node.querySelector(
      '.jp-greenhouse-run[data-status="succeeded"]'
    )!;

    expect(
      item.querySelector('.jp-greenhouse-metric[data-name="mse"]')?.textContent
    ).toBe('mse0.12');
    item
      .querySelector<HTMLButtonElement>('.jp-greenhouse-open-notebook-button')!
      .click();
    item
      .querySelector<HTMLButtonElement>('.jp-greenhouse-publish-button')!
      .click();

    expect(executed).toEqual([
      [CommandIDs.openRunNotebook, { id: 'r-1' }],
      [CommandIDs.publish, { run: 'r-1' }]
    ]);
  });

  it('offers no notebook, report or diff for a run that left none', async () => {
    const { node } = await panelOn([run('r-1', 'interrupted')]);
    const item = node.querySelector(
      '.jp-greenhouse-run[data-status="interrupted"]'
    )!;

    expect(
      item.querySelector('.jp-greenhouse-open-notebook-button')
    ).toBeNull();
    expect(item.querySelector('.jp-greenhouse-publish-button')).toBeNull();
    expect(
      item.querySelector<HTMLInputElement>('.jp-greenhouse-run-select')
        ?.disabled
    ).toBe(true);
  });

  it('enables the diff once two runs are chosen', async () => {
    const { node, model, executed } = await panelOn([
      run('r-2', 'succeeded'),
      run('r-1', 'succeeded')
    ]);
    const diff = node.querySelector<HTMLButtonElement>(
      '.jp-greenhouse-diff-button'
    )!;
    expect(diff.disabled).toBe(true);

    for (const box of node.querySelectorAll<HTMLInputElement>(
      '.jp-greenhouse-run-select'
    )) {
      box.checked = true;
      box.dispatchEvent(new Event('change'));
    }

    expect(model.history.selection).toEqual(['r-2', 'r-1']);
    expect(diff.disabled).toBe(false);
    diff.click();
    expect(executed[0][0]).toBe(CommandIDs.diff);
  });

  it('says a cancelled run was cancelled by the user, not interrupted', async () => {
    const error = {
      reason: 'cancelled',
      ename: 'KeyboardInterrupt',
      evalue: 'interrupted by the user',
      cell_index: 2
    };
    const { node } = await panelOn([run('r-1', 'cancelled', { error })]);

    expect(node.querySelector('.jp-greenhouse-run-error')?.textContent).toBe(
      'Cancelled by the user (cell 3)'
    );
  });

  it('says which runs are chosen, and which one a third choice unchose', async () => {
    const { node } = await panelOn([
      run('r-3', 'succeeded'),
      run('r-2', 'succeeded'),
      run('r-1', 'succeeded')
    ]);
    const note = node.querySelector('.jp-greenhouse-selection')!;
    const boxes = [
      ...node.querySelectorAll<HTMLInputElement>('.jp-greenhouse-run-select')
    ];
    const check = (index: number) => {
      boxes[index].checked = true;
      boxes[index].dispatchEvent(new Event('change'));
    };
    expect(note.textContent).toBe('');

    check(0);
    expect(note.textContent).toBe('Chosen for a diff: r-3; choose one more.');
    check(1);
    expect(note.textContent).toBe('Diff will compare r-3 and r-2.');
    check(2);
    expect(note.textContent).toBe(
      'Diff will compare r-2 and r-1. r-3 is no longer chosen (two at most).'
    );
    expect(boxes[0].checked).toBe(false);
  });

  it('lists the versions of an artefact and verifies one, counting the files as publishing does', async () => {
    const { node, server } = await panelOn();
    const files = ['notebook.ipynb', 'report.html'].map(path => ({
      path,
      sha256: 'ab',
      size: 1
    }));
    server
      .on('GET artefacts/train/versions', {
        name: 'train',
        versions: [{ ...VERSION, files }]
      })
      .on('POST verify', {
        ref: 'train@1',
        location: '/s',
        checked: 3,
        problems: [],
        ok: true
      });
    const details = node.querySelector<HTMLDetailsElement>(
      '.jp-greenhouse-artefact[data-name="train"] details'
    )!;

    details.open = true;
    details.dispatchEvent(new Event('toggle'));
    await settle();
    const version = node.querySelector(
      '.jp-greenhouse-version[data-ref="train@1"]'
    )!;
    expect(version.querySelector('.jp-greenhouse-alias')?.textContent).toBe(
      'production'
    );

    version
      .querySelector<HTMLButtonElement>('.jp-greenhouse-verify-button')!
      .click();
    await settle();

    const check = node.querySelector('.jp-greenhouse-check')!;
    expect(check.getAttribute('data-verdict')).toBe('ok');
    // The manifest and the two files it lists were checked: publishing said 2 files.
    expect(check.textContent).toContain(
      `all ${files.length} files match the manifest`
    );
    // Re-drawn open, the artefact fires a toggle of its own (a task later): it must
    // not load the versions again, and again.
    await new Promise(resolve => setTimeout(resolve, 20));
    expect(server.called().filter(e => e.endsWith('/versions'))).toHaveLength(
      1
    );
  });

  it('runs a version from its row, and says which run it started', async () => {
    const { node, server } = await panelOn();
    const started = run('r-9', 'queued', {
      from_version: { name: 'train', number: 1 }
    });
    server
      .on('GET artefacts/train/versions', {
        name: 'train',
        versions: [VERSION]
      })
      .on(
        'GET runs/r-1',
        run('r-1', 'succeeded', { parameters: { epochs: 3 } })
      )
      .on('POST runs', started);
    const details = node.querySelector<HTMLDetailsElement>(
      '.jp-greenhouse-artefact[data-name="train"] details'
    )!;
    details.open = true;
    details.dispatchEvent(new Event('toggle'));
    await settle();

    node
      .querySelector<HTMLButtonElement>(
        '.jp-greenhouse-version[data-ref="train@1"] .jp-greenhouse-run-version-button'
      )!
      .click();
    await settle();

    expect(server.calls.find(c => c.method === 'POST')).toEqual({
      method: 'POST',
      endPoint: 'runs',
      body: { version: 'train@1', secrets: {} }
    });
    const start = node.querySelector(
      '.jp-greenhouse-version[data-ref="train@1"] .jp-greenhouse-version-start'
    )!;
    expect(start.getAttribute('data-state')).toBe('started');
    expect(start.getAttribute('data-run')).toBe('r-9');
    expect(start.textContent).toBe('Started run r-9 of train@1.');
  });

  it('says why a version could not run', async () => {
    const { node, server } = await panelOn();
    const why =
      "'train' has no version 1; `greenhouse versions train` lists them";
    server
      .on('GET artefacts/train/versions', {
        name: 'train',
        versions: [VERSION]
      })
      .on('GET runs/r-1', run('r-1', 'succeeded'))
      .on('POST runs', httpError(400, why));
    const details = node.querySelector<HTMLDetailsElement>(
      '.jp-greenhouse-artefact[data-name="train"] details'
    )!;
    details.open = true;
    details.dispatchEvent(new Event('toggle'));
    await settle();

    node
      .querySelector<HTMLButtonElement>('.jp-greenhouse-run-version-button')!
      .click();
    await settle();

    const start = node.querySelector('.jp-greenhouse-version-start')!;
    expect(start.getAttribute('data-state')).toBe('failed');
    expect(start.classList.contains('jp-greenhouse-error')).toBe(true);
    expect(start.textContent).toBe(why);
  });

  it('marks a run that ran a published version', async () => {
    const { node } = await panelOn([
      run('r-2', 'succeeded', { from_version: { name: 'train', number: 3 } }),
      run('r-1', 'succeeded')
    ]);

    const badges = [
      ...node.querySelectorAll('.jp-greenhouse-run .jp-greenhouse-run-version')
    ].map(badge => badge.textContent);
    expect(badges).toEqual(['train@3']);
  });

  it('names the schedule, fire time and attempt of a run a schedule started', async () => {
    const occurrence = {
      schedule_id: 's-1',
      schedule: 'nightly-retrain',
      occurrence: 'o-1',
      fire_at: '2026-12-06T02:00:00.000000Z',
      kind: 'scheduled' as const,
      attempt: 2
    };
    const { node } = await panelOn([
      run('r-3', 'succeeded', { occurrence }),
      summary('r-2', 'failed', {
        occurrence: {
          ...occurrence,
          occurrence: 'o-2',
          fire_at: '2026-12-05T14:30:12.000000Z',
          kind: 'manual',
          attempt: 1
        }
      }),
      run('r-1', 'succeeded')
    ]);

    const lines = [
      ...node.querySelectorAll<HTMLElement>('.jp-greenhouse-run')
    ].map(item => {
      const line = item.querySelector<HTMLElement>(
        '.jp-greenhouse-run-occurrence'
      );
      return [
        item.dataset.runId,
        line?.textContent,
        line?.dataset.occurrenceId
      ];
    });
    expect(lines).toEqual([
      [
        'r-3',
        'Schedule nightly-retrain · fire time 2026-12-06 02:00 UTC · attempt 2',
        'o-1'
      ],
      [
        'r-2',
        'Schedule nightly-retrain · triggered 2026-12-05 14:30 UTC · attempt 1',
        'o-2'
      ],
      ['r-1', undefined, undefined]
    ]);
  });

  it('stops polling when disposed', async () => {
    const { panel, model, timers } = await panelOn([run('r-1', 'running')]);
    expect(timers.pending).toBe(1);

    panel.dispose();

    expect(model.isDisposed).toBe(true);
    expect(timers.pending).toBe(0);
  });
});
