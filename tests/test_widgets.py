"""The notebook widgets: a typed form that runs a real kernel, and the run history table."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pytest
from notebooks import write_notebook

from greenhouse_ext.models import RunStatus
from greenhouse_ext.widgets import ParameterForm, RunHistory

PARAMS = (
    "from typing import Literal\n"
    "epochs: int = 3  # passes | min=1, max=10\n"
    "rate = 0.5  # step size\n"
    "scale = 2.0  # | min=0, max=4\n"
    'mode: Literal["fast", "slow"] = "fast"\n'
    "verbose = False\n"
    'label = "x"\n'
    'token = ""  # | secret\n'
    "layers = [1, 2]\n"
    "pin = 1234  # | secret, max=9999\n"
    "flag: bool | None = None\n"
    "seed: int | None = None\n"
    "level = 2  # | choices=1,2,3 secret\n"
)
BODY = "from greenhouse_ext import record\nrecord('score', epochs * rate * sum(layers))"


@pytest.fixture
def notebook(tmp_path: Path) -> Path:
    return write_notebook(tmp_path / "nb.ipynb", PARAMS, BODY)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("epochs", widgets.IntSlider),
        ("rate", widgets.FloatText),
        ("scale", widgets.FloatSlider),
        ("mode", widgets.Dropdown),
        ("verbose", widgets.Checkbox),
        ("label", widgets.Text),
        ("token", widgets.Password),
        ("layers", widgets.Textarea),
        ("pin", widgets.Password),
        ("flag", widgets.Dropdown),
        ("seed", widgets.Text),
        ("level", widgets.Password),
    ],
)
def test_each_type_gets_a_fitting_input(notebook: Path, name: str, kind: type) -> None:
    form = ParameterForm(notebook, store=notebook.parent / ".greenhouse")
    assert type(form.fields[name]) is kind


def test_values_are_typed_and_validated(notebook: Path) -> None:
    form = ParameterForm(notebook, store=notebook.parent / ".greenhouse")
    form.fields["layers"].value = "[4, 5, 6]"
    form.fields["epochs"].value = 7
    values = form.values()
    assert values["layers"] == [4, 5, 6] and values["epochs"] == 7 and values["mode"] == "fast"


def test_bool_or_none_offers_none_as_the_lab_form_does(notebook: Path) -> None:
    form = ParameterForm(notebook, store=notebook.parent / ".greenhouse")
    flag = form.fields["flag"]
    assert (flag.options, flag.value) == ((True, False, None), None)
    flag.value = False
    assert form.values()["flag"] is False


@pytest.mark.parametrize(
    ("name", "shown", "text", "value"),
    [
        ("pin", "1234", "42", 42),
        ("level", "2", "3", 3),
        ("seed", "null", "7", 7),
        ("seed", "null", "None", None),
    ],
)
def test_text_fields_of_other_kinds_are_read_by_type(
    notebook: Path, name: str, shown: str, text: str, value: Any
) -> None:
    form = ParameterForm(notebook, store=notebook.parent / ".greenhouse")
    assert form.fields[name].value == shown
    assert form.values()[name] == json.loads(shown)
    form.fields[name].value = text
    assert form.values()[name] == value and type(form.values()[name]) is type(value)


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [("pin", "12345", "pin: a value of type int (secret, not shown) is above the maximum"),
     ("level", "4", "level: a value of type int (secret, not shown) is not one of the choices"),
     ("seed", "seven", "seed: expected int | None, got 'seven' (str)")],
)  # fmt: skip
def test_bad_text_is_refused_and_a_secret_stays_unshown(
    notebook: Path, name: str, text: str, problem: str
) -> None:
    form = ParameterForm(notebook, store=notebook.parent / ".greenhouse")
    form.fields[name].value = text
    assert form.run(wait=True) is None
    assert html.escape(problem) in form.message.value


def test_invalid_json_is_shown_and_nothing_runs(notebook: Path) -> None:
    form = ParameterForm(notebook, store=notebook.parent / ".greenhouse")
    form.fields["layers"].value = "[1, 2"
    assert form.run(wait=True) is None
    assert "layers" in form.message.value
    assert not (notebook.parent / ".greenhouse").exists()


def test_run_executes_in_a_thread_and_shows_metrics(notebook: Path) -> None:
    store = notebook.parent / ".greenhouse"
    form = ParameterForm(notebook, store=store)
    form.fields["epochs"].value = 4
    form.fields["token"].value = "hidden-value"
    run = form.run(wait=True)
    assert run is not None and run.status is RunStatus.SUCCEEDED
    assert run.metrics == {"score": 6.0}
    assert run.parameters["token"] == "***"
    assert "succeeded" in form.message.value and "score" in form.metrics.value
    assert form.progress.value == form.progress.max > 0
    assert not form.run_button.disabled

    history = RunHistory(notebook, store=store)
    assert [r.id for r in history.runs()] == [run.id]
    assert run.id in history.table.value and "score" in history.table.value
