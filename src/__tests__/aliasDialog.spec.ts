import type { IVersion } from '../api';
import { aliasTarget, metricChanges } from '../widgets/aliasDialog';

function version(
  number: number,
  metrics: Record<string, unknown>,
  aliases: string[] = []
): IVersion {
  return {
    name: 'model',
    number,
    run_id: `r${number}`,
    created_at: '2026-12-05T10:00:00+00:00',
    manifest_sha256: 'a'.repeat(64),
    published_by: 'ada',
    files: [],
    metrics,
    aliases
  };
}

describe('metricChanges', () => {
  it('pairs every metric of either version and says what changed', () => {
    const from = version(1, { accuracy: 0.9, f1: 0.8, model: 'rf' });
    const to = version(2, { accuracy: 0.95, model: 'lr', rows: 120 });

    const changes = metricChanges(from, to);

    expect(changes.map(c => c.name)).toEqual([
      'accuracy',
      'f1',
      'model',
      'rows'
    ]);
    expect(changes[0].delta).toBeCloseTo(0.05);
    expect(changes[0].changed).toBe(true);
    expect(changes[1]).toEqual({
      name: 'f1',
      from: 0.8,
      to: undefined,
      delta: null,
      changed: true
    });
    expect(changes[2]).toMatchObject({ delta: null, changed: true });
    expect(changes[3]).toMatchObject({ from: undefined, to: 120, delta: null });
  });

  it('marks equal values, structured ones included, as unchanged', () => {
    const weights = { w: 2.5, b: 0.7 };
    const changes = metricChanges(
      version(1, { mse: 0.4, weights }),
      version(2, { mse: 0.4, weights: { ...weights } })
    );
    expect(changes.map(c => [c.name, c.changed, c.delta])).toEqual([
      ['mse', false, 0],
      ['weights', false, null]
    ]);
  });
});

describe('aliasTarget', () => {
  it('finds the version an alias points at, or none', () => {
    const versions = [
      version(1, {}, ['archive']),
      version(2, {}, ['production', 'canary'])
    ];
    expect(aliasTarget(versions, 'canary')?.number).toBe(2);
    expect(aliasTarget(versions, 'staging')).toBeNull();
  });
});
