import type { INotebookContent } from '@jupyterlab/nbformat';

import { sameRun } from '../unsaved';

/**
 * train.ipynb as saved: a parameters cell, a code cell and a markdown cell.
 */
function saved(): INotebookContent {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: 'python3', display_name: 'Python 3' },
      language_info: { name: 'python' }
    },
    cells: [
      {
        cell_type: 'code',
        id: 'a',
        source: ['epochs = 50\n', 'lr = 0.1'],
        metadata: { tags: ['parameters'] },
        outputs: [],
        execution_count: null
      },
      {
        cell_type: 'code',
        id: 'b',
        source: 'print(epochs)',
        metadata: {},
        outputs: [],
        execution_count: null
      },
      { cell_type: 'markdown', id: 'c', source: '# Notes', metadata: {} }
    ]
  };
}

type Edit = (nb: INotebookContent) => void;

describe('sameRun', () => {
  it.each<[string, Edit]>([
    [
      "the kernel's language_info written as it connects",
      nb => {
        nb.metadata.language_info = {
          name: 'python',
          version: '3.12.3',
          mimetype: 'text/x-python'
        };
      }
    ],
    [
      'a source held as one string rather than lines',
      nb => {
        nb.cells[0].source = 'epochs = 50\nlr = 0.1';
      }
    ],
    [
      'outputs and execution counts',
      nb => {
        nb.cells[1].outputs = [
          { output_type: 'stream', name: 'stdout', text: '50\n' }
        ];
        nb.cells[1].execution_count = 3;
      }
    ],
    [
      "a cell's other metadata",
      nb => {
        nb.cells[1].metadata = { collapsed: true, scrolled: true };
      }
    ]
  ])('is true for %s', (_, edit) => {
    const edited = saved();
    edit(edited);
    expect(sameRun(saved(), edited)).toBe(true);
  });

  it.each<[string, Edit]>([
    [
      'an edited parameters cell',
      nb => {
        nb.cells[0].source = 'epochs = 60\nlr = 0.1';
      }
    ],
    [
      'an edited markdown cell',
      nb => {
        nb.cells[2].source = '# Notes, edited';
      }
    ],
    [
      'a cell added',
      nb => {
        nb.cells.push({
          cell_type: 'code',
          id: 'd',
          source: 'x = 1',
          metadata: {},
          outputs: [],
          execution_count: null
        });
      }
    ],
    ['cells moved', nb => void nb.cells.reverse()],
    [
      'a cell changed from code to markdown',
      nb => {
        nb.cells[1] = { ...nb.cells[1], cell_type: 'markdown' };
      }
    ],
    [
      'the parameters tag removed',
      nb => {
        nb.cells[0].metadata = {};
      }
    ],
    [
      'another kernel chosen',
      nb => {
        nb.metadata.kernelspec = { name: 'ir', display_name: 'R' };
      }
    ]
  ])('is false for %s', (_, edit) => {
    const edited = saved();
    edit(edited);
    expect(sameRun(saved(), edited)).toBe(false);
  });
});
