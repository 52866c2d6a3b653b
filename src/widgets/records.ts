/**
 * What a notebook recorded (`record`, `record_file`) drawn as one line in a diff:
 * the diff's metrics table already compares the values, so the raw JSON of each
 * record would only repeat it at length.
 */
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { formatValue } from './format';
import { formatBytes } from './standIn';

/**
 * The MIME type of a value recorded with `record` (scrapbook's).
 */
export const SCRAP_MIME = 'application/scrapbook.scrap.json+json';

/**
 * The MIME type of a file recorded with `record_file`.
 */
export const FILE_MIME = 'application/vnd.greenhouse.file+json';

/**
 * The one line a record is drawn as.
 *
 * @param mimeType - {@link SCRAP_MIME} or {@link FILE_MIME}.
 * @param payload - The output's data for that MIME type.
 * @param trans - The translation bundle.
 * @returns For example `recorded accuracy = 0.93`, or
 * `recorded file model.pkl (12 KB, sha256 1a2b3c4d5e6f…)`.
 */
export function recordLine(
  mimeType: string,
  payload: unknown,
  trans: TranslationBundle
): string {
  const record = (payload ?? {}) as Record<string, unknown>;
  const name = String(record.name ?? '');
  if (mimeType === FILE_MIME) {
    return trans.__(
      'recorded file %1 (%2, sha256 %3…)',
      name,
      formatBytes(Number(record.size ?? 0)),
      String(record.sha256 ?? '').slice(0, 12)
    );
  }
  return trans.__('recorded %1 = %2', name, formatValue(record.data));
}

class RecordRenderer extends Widget implements IRenderMime.IRenderer {
  constructor(
    private _mimeType: string,
    private _trans: TranslationBundle
  ) {
    super({ node: document.createElement('div') });
    this.addClass('jp-greenhouse-record');
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const payload = model.data[this._mimeType];
    this.node.textContent = recordLine(this._mimeType, payload, this._trans);
  }
}

/**
 * A copy of `rendermime` that draws records as one line each.
 *
 * @param rendermime - A registry; it is not changed.
 * @param trans - The translation bundle.
 * @returns The copy.
 */
export function withRecordLines(
  rendermime: IRenderMimeRegistry,
  trans: TranslationBundle
): IRenderMimeRegistry {
  const copy = rendermime.clone();
  copy.addFactory(
    {
      safe: true,
      mimeTypes: [SCRAP_MIME, FILE_MIME],
      createRenderer: options => new RecordRenderer(options.mimeType, trans)
    },
    0
  );
  return copy;
}
