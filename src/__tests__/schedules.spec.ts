import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';

import { isNotebookFile, namesNotebook } from '../notebookNames';
import { PREVIEW_DELAY_MS, SchedulesModel } from '../schedules';
import { SchedulesView } from '../widgets/schedules';
import {
  FakeServer,
  FakeTimers,
  httpError,
  parameter,
  requestAPI,
  settle
} from './fakes';

jest.mock('../request', () => ({
  ...jest.requireActual('../request'),
  requestAPI: jest.fn()
}));

const models: SchedulesModel[] = [];

function schedulesOn(timers = new FakeTimers()): {
  model: SchedulesModel;
  server: FakeServer;
  timers: FakeTimers;
} {
  const model = new SchedulesModel({ timers });
  models.push(model);
  return { model, server: new FakeServer(), timers };
}

afterEach(() => {
  models.splice(0).forEach(model => model.dispose());
  requestAPI.mockReset();
});

const listed = {
  id: 's-1',
  name: 'report',
  target: 'report@production',
  when: 'every 1h',
  paused: false,
  next_fire: '2026-12-06T04:00:00+00:00',
  last_outcome: null
};
const times = [
  { local: '2026-12-07T06:00:00+01:00', utc: '2026-12-07T05:00:00+00:00' }
];

describe('SchedulesModel', () => {
  it('lists the schedules', async () => {
    const { model, server } = schedulesOn();
    server.on('GET schedules', { schedules: [listed] });
    const changed = jest.fn();
    model.changed.connect(changed);

    await model.load();

    expect(model.schedules).toEqual([listed]);
    expect(changed).toHaveBeenCalledTimes(1);
  });

  it('asks for the fire times once the timing stays unchanged', async () => {
    const { model, server, timers } = schedulesOn();
    server.on('GET schedules/preview', { when: 'x', next_fire_times: times });

    model.setTiming({ cron: '0 6 * * ', tz: '', every: '' });
    model.setTiming({ cron: '0 6 * * *', tz: 'Europe/Berlin', every: '' });
    expect(timers.pending).toBe(1);
    expect(timers.delays).toEqual([PREVIEW_DELAY_MS]);
    await timers.tick();

    expect(server.called()).toEqual([
      'schedules/preview?cron=0+6+*+*+*&tz=Europe%2FBerlin'
    ]);
    expect(model.preview).toEqual(times);
    expect(model.previewError).toBeNull();
  });

  it("shows the server's reason for a wrong timing, then a right one's fire times", async () => {
    const { model, server, timers } = schedulesOn();
    server.on(
      'GET schedules/preview',
      httpError(400, "cron '61 * * * *' is not a cron expression"),
      { when: 'x', next_fire_times: times }
    );
    model.setTiming({ cron: '61 * * * *', tz: '', every: '' });
    await timers.tick();
    expect(model.previewError).toBe(
      "cron '61 * * * *' is not a cron expression"
    );
    expect(model.preview).toEqual([]);

    model.setTiming({ cron: '', tz: '', every: '1h' });
    await timers.tick();
    expect(model.previewError).toBeNull();
    expect(model.preview).toEqual(times);
  });

  it('creates, pauses and triggers, reading back what changed', async () => {
    const { model, server } = schedulesOn();
    const occurrence = {
      id: 'o-1',
      status: 'queued',
      attempts: [],
      deliveries: []
    };
    server
      .on('POST schedules', { ...listed, spec: {}, occurrences: [] })
      .on('GET schedules', { schedules: [listed] })
      .on('PATCH schedules/s-1', { ...listed, paused: true })
      .on('POST schedules/s-1/trigger', { id: 'o-1' })
      .on('GET schedules/s-1/occurrences', { occurrences: [occurrence] });

    await model.create({ target: 'report@production', every: '1h' });
    await model.setPaused('s-1', true);
    await expect(model.trigger('s-1')).resolves.toBe('o-1');

    expect(server.calls.map(c => [c.method, c.endPoint, c.body])).toEqual([
      ['POST', 'schedules', { target: 'report@production', every: '1h' }],
      ['GET', 'schedules', undefined],
      ['PATCH', 'schedules/s-1', { paused: true }],
      ['GET', 'schedules', undefined],
      ['POST', 'schedules/s-1/trigger', {}],
      ['GET', 'schedules/s-1/occurrences?limit=10', undefined]
    ]);
    expect(model.occurrences('s-1')).toEqual([occurrence]);
    expect(model.occurrences('s-2')).toBeNull();
  });

  it('asks for nothing once disposed', async () => {
    const { model, server, timers } = schedulesOn();
    model.setTiming({ cron: '', tz: '', every: '1h' });
    model.dispose();
    await timers.tick();
    await settle();
    expect(server.calls).toEqual([]);
  });
});

describe("SchedulesModel: the target's parameters", () => {
  const set = {
    notebook: 'report@3',
    parameters: [parameter('region', 'str', { default: 'north' })],
    warnings: []
  };

  it('reads a version by reference and a notebook by path', async () => {
    const { model, server } = schedulesOn();
    server.on('GET parameters', set);

    await model.setTarget('report@production');
    expect(model.form.parameterSet).toEqual(set);
    await model.setTarget('work/report.ipynb');

    expect(server.called()).toEqual([
      'parameters?version=report%40production',
      'parameters?path=work%2Freport.ipynb'
    ]);
  });

  it("drops an older target's answer, and shows a refusal instead of fields", async () => {
    const { model, server } = schedulesOn();
    let answerFirst: (value: unknown) => void = () => undefined;
    const late = new Promise(resolve => (answerFirst = resolve));
    server.on(
      'GET parameters',
      () => late,
      httpError(404, "Nothing is published as 'reprot'")
    );

    const first = model.setTarget('report');
    await model.setTarget('reprot');
    answerFirst(set);
    await first;

    expect(model.form.parameterSet).toBeNull();
    expect(model.form.parametersError).toBe("Nothing is published as 'reprot'");
  });

  it.each([
    ['report@production', false],
    ['report', false],
    ['report.ipynb', true],
    ['work/report', true],
    ['report.py', true]
  ])('reads %s as a notebook: %s', (target, file) => {
    expect(namesNotebook(target)).toBe(file);
  });

  it.each([
    ['analysis.py', true],
    ['notes.md', true],
    ['train.ipynb', true],
    ['data/measurements.csv', false],
    ['report@production', false]
  ])('offers %s in the sidebar: %s', (name, offered) => {
    expect(isNotebookFile(name)).toBe(offered);
  });
});

describe('SchedulesView: the form', () => {
  const trans = nullTranslator.load('greenhouse_ext');

  async function formOn(server: FakeServer): Promise<SchedulesView> {
    server.on('GET schedules', { schedules: [] }).on('GET parameters', {
      notebook: 'report@3',
      parameters: [parameter('region', 'str', { default: 'north' })],
      warnings: []
    });
    const view = new SchedulesView({
      model: new SchedulesModel({ timers: new FakeTimers() }),
      commands: new CommandRegistry(),
      trans
    });
    await settle();
    return view;
  }

  function type(view: SchedulesView, name: string, value: string): void {
    const input = view.node.querySelector<HTMLInputElement>(
      `.jp-greenhouse-schedule-form [name=${name}]`
    )!;
    input.value = value;
    input.dispatchEvent(new Event('change'));
  }

  it('sends the changed parameters as text and the policy fields typed', async () => {
    const server = new FakeServer();
    const view = await formOn(server);
    server.on('POST schedules', { ...listed, spec: {}, occurrences: [] });
    type(view, 'target', 'report@production');
    await settle();
    const field = view.node.querySelector<HTMLInputElement>(
      '.jp-greenhouse-param[data-name=region] input'
    )!;
    field.value = 'south';
    field.dispatchEvent(new Event('input'));
    type(view, 'every', '1h');
    type(view, 'retries', '2');
    type(view, 'overlap', 'queue');
    type(view, 'checks', 'rows>0; score>=0.5');
    type(view, 'notify', 'json://localhost:9/hook');

    view.node
      .querySelector<HTMLButtonElement>('.jp-greenhouse-schedule-create')!
      .click();
    await settle();

    const posted = server.calls.find(c => c.method === 'POST');
    expect(posted?.body).toEqual({
      target: 'report@production',
      every: '1h',
      parameters: { region: 'south' },
      retries: 2,
      overlap: 'queue',
      checks: ['rows>0', 'score>=0.5'],
      notify: ['json://localhost:9/hook']
    });
    view.dispose();
  });

  it('refuses a number field that holds no number, sending nothing', async () => {
    const server = new FakeServer();
    const view = await formOn(server);
    type(view, 'target', 'report@production');
    type(view, 'every', '1h');
    type(view, 'retries', 'two');

    view.node
      .querySelector<HTMLButtonElement>('.jp-greenhouse-schedule-create')!
      .click();
    await settle();

    expect(server.calls.filter(c => c.method === 'POST')).toEqual([]);
    expect(
      view.node.querySelector('.jp-greenhouse-schedules > .jp-greenhouse-error')
        ?.textContent
    ).toBe('Retries: two is not a whole number');
    view.dispose();
  });
});
