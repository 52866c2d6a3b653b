import { execFileSync } from 'child_process';
import { readFileSync } from 'fs';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';
import { join } from 'path';
import { pathToFileURL } from 'url';

const ROOT = join(__dirname, '..', '..');

/**
 * What the `generate:api` script of package.json writes before the types.
 */
const HEADER =
  '// Generated from docs/openapi.yaml by jlpm run generate:api (openapi-typescript, then prettier): do not edit.\n';

/**
 * src/schema.ts as `jlpm run generate:api` would write it from docs/openapi.yaml:
 * the same options as the script's flags, formatted by the same prettier command.
 */
async function generated(): Promise<string> {
  // openapi-typescript tells a URL by `instanceof URL`: the test environment's URL
  // (jsdom's), not the one `pathToFileURL` makes.
  const yaml = new URL(pathToFileURL(join(ROOT, 'docs', 'openapi.yaml')).href);
  const ast = await openapiTS(yaml, {
    emptyObjectsUnknown: true,
    defaultNonNullable: false
  });
  const formatted = execFileSync(
    process.execPath,
    [
      require.resolve('prettier/bin/prettier.cjs'),
      '--stdin-filepath',
      'src/schema.ts'
    ],
    { cwd: ROOT, input: COMMENT_HEADER + astToString(ast), encoding: 'utf-8' }
  );
  return HEADER + formatted;
}

describe('src/schema.ts', () => {
  it('is what docs/openapi.yaml generates', async () => {
    const committed = readFileSync(join(ROOT, 'src', 'schema.ts'), 'utf-8');
    const expected = await generated();

    if (committed !== expected) {
      throw new Error(
        'src/schema.ts does not match docs/openapi.yaml: run `jlpm run generate:api` ' +
          'and commit the result.\n' +
          firstDifference(committed, expected)
      );
    }
  }, 30000);
});

/**
 * The first line where the committed file and the generated one differ.
 */
function firstDifference(committed: string, expected: string): string {
  const a = committed.split('\n');
  const b = expected.split('\n');
  const line = a.findIndex((text, index) => text !== b[index]);
  const at = line < 0 ? a.length : line;
  return [
    `First difference at line ${at + 1}:`,
    `  committed: ${a[at] ?? '(end of file)'}`,
    `  generated: ${b[at] ?? '(end of file)'}`
  ].join('\n');
}
