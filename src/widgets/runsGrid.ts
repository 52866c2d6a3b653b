/**
 * The runs table of the runs view: JupyterLab's own virtualised `DataGrid` (the
 * CSV viewer's), one row a run, the model's visible columns, numbers right-aligned,
 * the whole value of a cell on hover; a header click sorts, a row click chooses the
 * run for comparison. The grid node carries `data-rows` and `data-columns` (how many
 * are shown).
 */
// This module is itself only loaded with import(), by the runs view's command.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import {
  BasicKeyHandler,
  BasicMouseHandler,
  CellRenderer,
  DataGrid,
  DataModel,
  RendererMap,
  TextRenderer
} from '@lumino/datagrid';

import { cellText, cellValue } from '../runColumns';
import { RunsViewModel } from '../runsView';

const SORT_MARKS = { up: ' ▲', down: ' ▼' };
const WIDTHS: Record<string, number> = { id: 90, created: 170, status: 90 };
const DEFAULT_WIDTH = 110;

/**
 * The grid's data: the runs view model's sorted runs and visible columns.
 */
export class RunsDataModel extends DataModel {
  constructor(private _model: RunsViewModel) {
    super();
  }

  rowCount(region: DataModel.RowRegion): number {
    return region === 'body' ? this._model.runs.length : 1;
  }

  columnCount(region: DataModel.ColumnRegion): number {
    return region === 'body' ? this._model.visibleColumns.length : 0;
  }

  data(region: DataModel.CellRegion, row: number, column: number): string {
    const key = this._model.visibleColumns[column]?.key;
    if (region === 'column-header' && key) {
      const sort = this._model.sort;
      const mark =
        sort?.key === key ? SORT_MARKS[sort.descending ? 'down' : 'up'] : '';
      return `${this._model.visibleColumns[column].label}${mark}`;
    }
    const run = this._model.runs[row];
    return region === 'body' && run && key ? cellText(cellValue(run, key)) : '';
  }

  metadata(
    region: DataModel.CellRegion,
    row: number,
    column: number
  ): DataModel.Metadata {
    const run = region === 'body' ? this._model.runs[row] : undefined;
    return {
      numeric: this._model.visibleColumns[column]?.numeric ?? false,
      selected: run ? this._model.selection.includes(run.id) : false
    };
  }

  /**
   * Tell the grid that everything may have changed.
   */
  reset(): void {
    this.emitChanged({ type: 'model-reset' });
  }
}

/**
 * The grid of runs, following its model.
 */
export class RunsGrid extends DataGrid {
  constructor(model: RunsViewModel) {
    super({
      style: gridStyle(),
      defaultSizes: {
        rowHeight: 24,
        columnWidth: DEFAULT_WIDTH,
        rowHeaderWidth: 0,
        columnHeaderHeight: 28
      },
      headerVisibility: 'column'
    });
    this.addClass('jp-greenhouse-runs-grid');
    this.node.dataset.testid = 'greenhouse-runs-grid';
    this._model = model;
    this._data = new RunsDataModel(model);
    this.dataModel = this._data;
    this.keyHandler = new BasicKeyHandler();
    this.mouseHandler = new BasicMouseHandler();
    this.cellRenderers = renderers();
    this.node.addEventListener('click', this._onClick);
    this.node.addEventListener('mousemove', this._onHover);
    model.changed.connect(this._onModelChanged, this);
    this._onModelChanged();
  }

  dispose(): void {
    this._model.changed.disconnect(this._onModelChanged, this);
    this.node.removeEventListener('click', this._onClick);
    this.node.removeEventListener('mousemove', this._onHover);
    super.dispose();
  }

  private _onModelChanged(): void {
    this._data.reset();
    this._model.visibleColumns.forEach((column, index) =>
      this.resizeColumn('body', index, WIDTHS[column.key] ?? DEFAULT_WIDTH)
    );
    this.node.dataset.rows = String(this._model.runs.length);
    this.node.dataset.columns = String(this._model.visibleColumns.length);
  }

  private _onClick = (event: MouseEvent): void => {
    const hit = this.hitTest(event.clientX, event.clientY);
    if (hit.region === 'column-header') {
      const column = this._model.visibleColumns[hit.column];
      if (column) {
        this._model.sortBy(column.key);
      }
    } else if (hit.region === 'body') {
      const run = this._model.runs[hit.row];
      if (run) {
        this._model.toggleSelected(run.id);
      }
    }
  };

  private _onHover = (event: MouseEvent): void => {
    const hit = this.hitTest(event.clientX, event.clientY);
    const region = hit.region === 'body' ? 'body' : 'column-header';
    this.node.title =
      hit.region === 'body' || hit.region === 'column-header'
        ? this._data.data(region, hit.row, hit.column)
        : '';
  };

  private _model: RunsViewModel;
  private _data: RunsDataModel;
}

/**
 * Left-aligned text, numbers right-aligned, chosen runs on the brand colour.
 */
function renderers(): RendererMap {
  const background = (config: CellRenderer.CellConfig) =>
    config.metadata.selected ? cssVariable('--jp-brand-color3', '#bbdefb') : '';
  const colour = cssVariable('--jp-ui-font-color1', '#000000');
  const font = `12px ${cssVariable('--jp-ui-font-family', 'sans-serif')}`;
  const left = new TextRenderer({
    textColor: colour,
    font,
    backgroundColor: background,
    elideDirection: 'right'
  });
  const right = new TextRenderer({
    textColor: colour,
    font,
    backgroundColor: background,
    horizontalAlignment: 'right',
    elideDirection: 'left'
  });
  const header = new TextRenderer({ textColor: colour, font: `bold ${font}` });
  return new RendererMap(
    {
      body: config => (config.metadata.numeric ? right : left),
      'column-header': header
    },
    left
  );
}

function gridStyle(): DataGrid.Style {
  return {
    ...DataGrid.defaultStyle,
    voidColor: cssVariable('--jp-layout-color0', '#ffffff'),
    backgroundColor: cssVariable('--jp-layout-color0', '#ffffff'),
    headerBackgroundColor: cssVariable('--jp-layout-color2', '#eeeeee'),
    gridLineColor: cssVariable('--jp-border-color3', '#eeeeee'),
    headerGridLineColor: cssVariable('--jp-border-color2', '#e0e0e0')
  };
}

/**
 * A theme variable's value (the canvas cannot read CSS variables itself).
 */
function cssVariable(name: string, fallback: string): string {
  const value = getComputedStyle(document.body).getPropertyValue(name).trim();
  return value || fallback;
}
