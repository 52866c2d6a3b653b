import { PREVIEW_DELAY_MS, SchedulesModel } from '../schedules';
import { FakeServer, FakeTimers, httpError, requestAPI, settle } from './fakes';

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
