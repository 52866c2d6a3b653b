import {
  MimeModel,
  RenderMimeRegistry,
  standardRendererFactories
} from '@jupyterlab/rendermime';
import { nullTranslator } from '@jupyterlab/translation';

import {
  parseStandIn,
  StandInAwareImage,
  withStandInImages
} from '../widgets/standIn';

const trans = nullTranslator.load('greenhouse');
const SHA = 'ab'.repeat(32);
const STAND_IN = `<greenhouse: 26636 bytes omitted, sha256:${SHA}>`;
const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

async function rendered(data: string): Promise<HTMLElement> {
  const registry = new RenderMimeRegistry({
    initialFactories: standardRendererFactories
  });
  const renderer = withStandInImages(registry, trans).createRenderer(
    'image/png'
  );
  await renderer.renderModel(
    new MimeModel({ data: { 'image/png': data }, trusted: true })
  );
  const node = renderer.node;
  renderer.dispose();
  return node;
}

describe('parseStandIn', () => {
  it('reads the size and hash of a stand-in and nothing else', () => {
    expect(parseStandIn(STAND_IN)).toEqual({ size: 26636, sha256: SHA });
    expect(parseStandIn(PNG)).toBeNull();
    expect(parseStandIn({ a: 1 })).toBeNull();
  });
});

describe('withStandInImages', () => {
  it('draws a stand-in as a box with its size and hash, not as an image', async () => {
    const node = await rendered(STAND_IN);

    expect(node.querySelector('img')).toBeNull();
    expect(node.querySelector('.jp-greenhouse-stand-in')?.textContent).toBe(
      `Image not shown (27 KB, sha256 ${SHA.slice(0, 12)}…)`
    );
  });

  it('draws real image data as an image', async () => {
    const node = await rendered(PNG);

    expect(node.querySelector('img')?.getAttribute('src')).toBe(
      `data:image/png;base64,${PNG}`
    );
    expect(node.querySelector('.jp-greenhouse-stand-in')).toBeNull();
  });

  it('leaves the registry it copies unchanged', () => {
    const registry = new RenderMimeRegistry({
      initialFactories: standardRendererFactories
    });
    withStandInImages(registry, trans);

    expect(registry.createRenderer('image/png')).not.toBeInstanceOf(
      StandInAwareImage
    );
  });
});
