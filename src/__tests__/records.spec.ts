import { nullTranslator } from '@jupyterlab/translation';

import { FILE_MIME, recordLine, SCRAP_MIME } from '../widgets/records';

const trans = nullTranslator.load('greenhouse_ext');

describe('recordLine', () => {
  it.each<[string, unknown, string]>([
    [
      SCRAP_MIME,
      { name: 'accuracy', data: 0.931234, encoder: 'json', version: 1 },
      'recorded accuracy = 0.9312'
    ],
    [
      SCRAP_MIME,
      { name: 'labels', data: ['a', 'b'], encoder: 'json', version: 1 },
      'recorded labels = ["a","b"]'
    ],
    [
      FILE_MIME,
      {
        name: 'model.pkl',
        path: '/tmp/model.pkl',
        kept: '/s/kept',
        sha256: 'ab'.repeat(32),
        size: 26636
      },
      'recorded file model.pkl (27 KB, sha256 abababababab…)'
    ]
  ])('draws a %s record as one line', (mime, payload, line) => {
    expect(recordLine(mime, payload, trans)).toBe(line);
  });
});
