import { groupRuns, readValues, splitValues } from '../sweeps';
import { parameter, run } from './fakes';

describe('readValues', () => {
  it.each([
    ['int', {}, '3', ' 4; ;5 ', [3, 4, 5]],
    ['bool', {}, true, 'no; yes', [true, false, true]],
    ['str', { choices: ['a', 'b c'] }, '"a"', 'b c', ['a', 'b c']],
    ['list[int]', {}, '[1, 2]', '[3]; []', [[1, 2], [3], []]]
  ])(
    'reads a %s field and its further values',
    (type, extra, input, more, expected) => {
      const result = readValues(
        parameter('p', type, { default: null, ...extra }),
        input,
        more
      );
      expect(result).toEqual({ ok: true, values: expected });
    }
  );

  it.each([
    ['int', {}, '3', '4; x', /^x: /],
    ['bool', {}, false, 'maybe', /^maybe: expected true or false$/],
    ['str', { choices: ['a'] }, '"a"', 'z', /^z: /],
    ['int', { min: 0 }, '-1', '2', /^(?!-1:)/]
  ])(
    'names the bad value of a %s field',
    (type, extra, input, more, message) => {
      const result = readValues(
        parameter('p', type, { default: 0, ...extra }),
        input,
        more
      );
      expect(result.ok).toBe(false);
      expect(result.ok ? '' : result.error).toMatch(message);
    }
  );

  it('splits on semicolons only, so lists keep their commas', () => {
    expect(splitValues('[1, 2]; [3,4];')).toEqual(['[1, 2]', '[3,4]']);
  });
});

describe('groupRuns', () => {
  it('gathers the runs of a sweep where its first run is listed', () => {
    const runs = [
      run('r-4', 'succeeded', { sweep_id: 's-2' }),
      run('r-3', 'failed'),
      run('r-2', 'succeeded', { sweep_id: 's-1' }),
      run('r-1', 'succeeded', { sweep_id: 's-2' })
    ];
    expect(
      groupRuns(runs).map(entry =>
        'sweep' in entry
          ? `${entry.sweep}:${entry.runs.map(r => r.id).join(',')}`
          : entry.id
      )
    ).toEqual(['s-2:r-4,r-1', 'r-3', 's-1:r-2']);
  });
});
