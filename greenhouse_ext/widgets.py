"""ipywidgets front end: a notebook's parameter form and its run history, inside a notebook."""

from __future__ import annotations

import html
import json
import os
import threading
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from .errors import GreenhouseError
from .models import Parameter, Run, RunStatus
from .parameters import ParameterField, describe, read_parameters, validate
from .store import Store


def _open_store(store: str | os.PathLike[str] | None) -> Store:
    return Store.open(store)


def _field(parameter: Parameter) -> tuple[widgets.Widget, bool]:
    """The input widget that fits a parameter's form field, and whether it holds text.

    A field that holds text for a value of another kind (a secret number, a list, a
    number that may be None) is read by the type's text rules, as a command line is.
    """
    field = describe(parameter)
    label = {"description": parameter.name, "style": {"description_width": "initial"}}
    default = parameter.default
    if field.secret:
        return widgets.Password(value=_text(field, default), **label), field.kind != "text"
    if field.choices is not None and field.kind != "list":  # a list's choices are its items
        return widgets.Dropdown(options=field.choices, value=default, **label), False
    if field.kind == "boolean":
        return widgets.Checkbox(value=bool(default), indent=False, **label), False
    if field.kind in ("integer", "number") and not field.nullable:
        return _number(field, default, label), False
    if field.kind == "text":
        return widgets.Text(value=_text(field, default), **label), False
    if field.kind in ("integer", "number"):
        return widgets.Text(value=_text(field, default), placeholder="None", **label), True
    textarea = widgets.Textarea(
        value=_text(field, default), placeholder="JSON", layout={"width": "100%"}, **label
    )
    return textarea, True


def _text(field: ParameterField, value: Any) -> str:
    """A value as its field's text: text as it is (None as nothing), anything else as JSON."""
    if field.kind == "text":
        return "" if value is None else str(value)
    return json.dumps(value)


def _number(field: ParameterField, default: Any, label: dict[str, Any]) -> widgets.Widget:
    value = default if default is not None else 0
    low, high = field.minimum, field.maximum
    if field.kind == "integer":
        if low is not None and high is not None:
            return widgets.IntSlider(value=value, min=int(low), max=int(high), **label)
        return widgets.IntText(value=value, **label)
    if low is not None and high is not None:
        return widgets.FloatSlider(
            value=value, min=low, max=high, step=(high - low) / 100, readout_format=".4g", **label
        )
    return widgets.FloatText(value=value, **label)


class ParameterForm(widgets.VBox):
    """A typed form for a notebook's parameters, with a Run button, progress and metrics.

    The run executes in a background thread, so the kernel that shows the form stays free.

    Parameters
    ----------
    notebook : path-like
        The notebook to run.
    store : path-like, optional
        The store folder (default: found from the working directory like ``greenhouse``).
    """

    def __init__(
        self, notebook: str | os.PathLike[str], store: str | os.PathLike[str] | None = None
    ) -> None:
        self.notebook = Path(notebook)
        self.store_location = store
        self.spec = read_parameters(self.notebook)
        inputs = {p.name: _field(p) for p in self.spec.parameters}
        self.fields = {name: widget for name, (widget, _) in inputs.items()}
        self._read_as_text = {name for name, (_, as_text) in inputs.items() if as_text}
        helps = [
            widgets.HBox([self.fields[p.name], widgets.HTML(html.escape(p.help or ""))])
            for p in self.spec.parameters
        ]
        self.run_button = widgets.Button(description="Run", button_style="primary", icon="play")
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="cells")
        self.message = widgets.HTML()
        self.metrics = widgets.HTML()
        self.last_run: Run | None = None
        self._thread: threading.Thread | None = None
        self.run_button.on_click(lambda _: self.run())
        super().__init__(
            [*helps, self.run_button, self.progress, self.message, self.metrics],
            layout={"border": "1px solid var(--jp-border-color2, #ccc)", "padding": "8px"},
        )

    def values(self) -> dict[str, Any]:
        """The form's values, typed; text is read by type (InvalidInput when it does not fit)."""
        raw: dict[str, Any] = {}
        text: dict[str, str] = {}
        for name, field in self.fields.items():
            if name in self._read_as_text:
                text[name] = field.value
            else:
                raw[name] = field.value
        return validate(self.spec, raw, text_values=text)

    def run(self, wait: bool = False) -> Run | None:
        """Validate the form and start a run; with ``wait``, block until it ends and return it."""
        try:
            values = self.values()
        except GreenhouseError as exc:
            self._show_error(exc)
            return None
        self.run_button.disabled = True
        self.message.value = "<b>running…</b>"
        self._thread = threading.Thread(target=self._execute, args=(values,), daemon=True)
        self._thread.start()
        if wait:
            self._thread.join()
            return self.last_run
        return None

    def _execute(self, values: dict[str, Any]) -> None:
        from .execution import execute, prepare

        try:
            store = _open_store(self.store_location)
            job = prepare(self.notebook, values, project_root=store.root.parent)
            execution = execute(job, on_start=store.start_run, on_progress=self._progressed)
            self.last_run = store.save_execution(execution)
            self._show_result(self.last_run)
        except GreenhouseError as exc:
            self._show_error(exc)
        finally:
            self.run_button.disabled = False

    def _progressed(self, done: int, total: int, current: int | None) -> None:
        self.progress.max = total
        self.progress.value = done

    def _show_result(self, run: Run) -> None:
        colour = "var(--jp-success-color1, green)"
        if run.status is not RunStatus.SUCCEEDED:
            colour = "var(--jp-error-color1, red)"
        detail = ""
        if run.error is not None:
            detail = (
                f": {html.escape(f'{run.error.reason}, {run.error.ename}: {run.error.evalue}')}"
            )
        self.message.value = (
            f"run <code>{run.id}</code> <b style='color:{colour}'>{run.status.value}</b>"
            f" in {run.duration_s or 0:.2f}s{detail}"
        )
        self.metrics.value = _metrics_table(run.metrics)

    def _show_error(self, exc: GreenhouseError) -> None:
        items = "".join(f"<li>{html.escape(p)}</li>" for p in exc.problems)
        self.message.value = (
            f"<div style='color:var(--jp-error-color1, red)'>"
            f"{html.escape(exc.message.splitlines()[0])}<ul>{items}</ul></div>"
        )


def _metrics_table(metrics: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(k)}</td><td>{html.escape(json.dumps(v))}</td></tr>"
        for k, v in metrics.items()
    )
    return f"<table><tr><th>metric</th><th>value</th></tr>{rows}</table>" if rows else ""


class RunHistory(widgets.VBox):
    """The runs of a notebook and their metrics, newest first, as a table.

    Parameters
    ----------
    notebook : path-like
        The notebook whose runs to show.
    store : path-like, optional
        The store folder (default: found from the working directory).
    limit : int
        How many runs to show.
    """

    def __init__(
        self,
        notebook: str | os.PathLike[str],
        store: str | os.PathLike[str] | None = None,
        limit: int = 20,
    ) -> None:
        self.notebook = Path(notebook)
        self.store_location = store
        self.limit = limit
        self.table = widgets.HTML()
        refresh = widgets.Button(description="Refresh", icon="refresh")
        refresh.on_click(lambda _: self.refresh())
        super().__init__([refresh, self.table])
        self.refresh()

    def runs(self) -> list[Run]:
        """This notebook's runs, newest first."""
        from .execution import notebook_label

        store = _open_store(self.store_location)
        return store.list_runs(notebook_label(self.notebook, store.root.parent), limit=self.limit)

    def refresh(self) -> None:
        """Read the runs again and redraw the table."""
        runs = self.runs()
        names = sorted({name for run in runs for name in run.metrics})
        header = "".join(
            f"<th>{html.escape(h)}</th>" for h in ["run", "status", "started", "seconds", *names]
        )
        self.table.value = (
            f"<table><tr>{header}</tr>{''.join(_row(r, names) for r in runs)}</table>"
        )


def _row(run: Run, names: list[str]) -> str:
    values = [
        run.id,
        run.status.value,
        (run.started_at or "")[:19].replace("T", " "),
        f"{run.duration_s:.2f}" if run.duration_s is not None else "",
    ] + [json.dumps(run.metrics[n]) if n in run.metrics else "" for n in names]
    return "<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in values) + "</tr>"
