/**
 * Images the server stood in (`<greenhouse: N bytes omitted, sha256:HEX>`, for
 * payloads too large to send) shown as a box saying so, never as a broken image.
 */
import {
  imageRendererFactory,
  type IRenderMimeRegistry
} from '@jupyterlab/rendermime';
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { TranslationBundle } from '@jupyterlab/translation';
import { Panel, Widget } from '@lumino/widgets';

import { element } from './dom';

const STAND_IN = /^<greenhouse: (\d+) bytes omitted, sha256:([0-9a-f]{64})>$/;

/**
 * The size and hash a stand-in names.
 */
export interface IStandIn {
  size: number;
  sha256: string;
}

/**
 * Read a stand-in made by the server's normaliser.
 *
 * @param value - An output's data for one MIME type.
 * @returns Its size and hash, or null if `value` is not a stand-in.
 */
export function parseStandIn(value: unknown): IStandIn | null {
  const match = typeof value === 'string' ? STAND_IN.exec(value) : null;
  return match ? { size: Number(match[1]), sha256: match[2] } : null;
}

/**
 * A byte count for people: `512 B`, `26 KB`, `4.2 MB`.
 *
 * @param size - A number of bytes.
 * @returns The size in words.
 */
export function formatBytes(size: number): string {
  if (size < 1000) {
    return `${size} B`;
  }
  if (size < 1000 ** 2) {
    return `${Math.round(size / 1000)} KB`;
  }
  return `${(size / 1000 ** 2).toFixed(1)} MB`;
}

/**
 * What the box standing in for an image says.
 *
 * @param standIn - The stand-in's size and hash.
 * @param trans - The translation bundle.
 * @returns For example `Image not shown (5.1 MB, sha256 1a2b3c4d5e6f…)`.
 */
export function standInLabel(
  standIn: IStandIn,
  trans: TranslationBundle
): string {
  return trans.__(
    'Image not shown (%1, sha256 %2…)',
    formatBytes(standIn.size),
    standIn.sha256.slice(0, 12)
  );
}

/**
 * An image renderer that draws a stand-in as a box and any other data as an image.
 */
export class StandInAwareImage extends Panel implements IRenderMime.IRenderer {
  constructor(
    private _options: IRenderMime.IRendererOptions,
    private _trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-greenhouse-image');
  }

  /**
   * Draw the model's image, or the box for its stand-in.
   *
   * @param model - The output's MIME model.
   */
  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const standIn = parseStandIn(model.data[this._options.mimeType]);
    if (standIn !== null) {
      const box = element(
        'div',
        'jp-greenhouse-stand-in',
        standInLabel(standIn, this._trans),
        { title: `sha256 ${standIn.sha256}` }
      );
      this.addWidget(new Widget({ node: box }));
      return;
    }
    const image = imageRendererFactory.createRenderer(this._options);
    this.addWidget(image);
    await image.renderModel(model);
  }
}

/**
 * A copy of `rendermime` whose image renderers draw stand-ins as boxes.
 *
 * @param rendermime - The application's registry; it is not changed.
 * @param trans - The translation bundle.
 * @returns The copy.
 */
export function withStandInImages(
  rendermime: IRenderMimeRegistry,
  trans: TranslationBundle
): IRenderMimeRegistry {
  const copy = rendermime.clone();
  const [first] = imageRendererFactory.mimeTypes;
  copy.addFactory(
    {
      safe: true,
      mimeTypes: imageRendererFactory.mimeTypes,
      createRenderer: options => new StandInAwareImage(options, trans)
    },
    copy.getRank(first)
  );
  return copy;
}
