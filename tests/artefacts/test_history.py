"""History of a published name: metrics by version from real runs, as data and as a PNG."""

from __future__ import annotations

import struct
import sys
from pathlib import Path

import pytest
from notebooks import write_notebook

from greenhouse_ext.artefacts.history import (
    FIGURE_WIDTH_IN,
    PANEL_HEIGHT_IN,
    PLOT_INSTALL,
    history,
    plot_history,
)
from greenhouse_ext.errors import InvalidInput, NotFound
from greenhouse_ext.execution.execute import execute, prepare
from greenhouse_ext.models import Run, RunStatus, Version
from greenhouse_ext.store import Store

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DPI = 100


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, list[Run]]:
    """Three real runs of one notebook published as model@1..3; model@2 is `production`."""
    root = tmp_path_factory.mktemp("history")
    store = Store(root / ".greenhouse")
    nb = write_notebook(
        root / "model.ipynb",
        "epochs = 1",
        "from greenhouse_ext import record\n"
        "record('accuracy', round(0.8 + epochs / 100, 4))\n"
        "record('loss', round(1 / epochs, 4))\n"
        "record('optimiser', 'adam')\n"
        "if epochs > 1:\n    record('f1', epochs / 10)",
    )
    runs = []
    for epochs in ("1", "2", "4"):
        run = store.save_execution(execute(prepare(nb, {}, text_values={"epochs": epochs})))
        assert run.status is RunStatus.SUCCEEDED, run.error
        store.add_version(
            Version(
                name="model",
                number=0,
                run_id=run.id,
                created_at=run.created_at,
                manifest_sha256=run.source_object or "",
                metrics=run.metrics,
            )
        )
        runs.append(run)
    store.set_alias("model", "production", 2)
    return store, runs


def test_history_lists_every_version_with_its_metrics(
    published: tuple[Store, list[Run]],
) -> None:
    store, runs = published
    found = history(store, "model")
    assert found.name == "model"
    assert found.metrics == ["accuracy", "f1", "loss", "optimiser"]
    data = found.to_dict()
    assert data["versions"] == [
        {
            "number": number,
            "created_at": run.created_at,
            "run_id": run.id,
            "aliases": aliases,
            "metrics": metrics,
        }
        for number, run, aliases, metrics in (
            (1, runs[0], [], {"accuracy": 0.81, "f1": None, "loss": 1.0, "optimiser": "adam"}),
            (
                2,
                runs[1],
                ["production"],
                {"accuracy": 0.82, "f1": 0.2, "loss": 0.5, "optimiser": "adam"},
            ),
            (3, runs[2], [], {"accuracy": 0.84, "f1": 0.4, "loss": 0.25, "optimiser": "adam"}),
        )
    ]
    assert found.numeric_metrics() == ["accuracy", "f1", "loss"]


def test_history_of_chosen_metrics_keeps_their_order(published: tuple[Store, list[Run]]) -> None:
    store, _ = published
    found = history(store, "model", ["loss", "accuracy", "loss"])
    assert found.metrics == ["loss", "accuracy"]
    assert found.versions[0].metrics == {"loss": 1.0, "accuracy": 0.81}


@pytest.mark.parametrize(
    ("name", "metrics", "error", "message"),
    [
        ("model", ["precision"], InvalidInput, "recorded: accuracy, f1, loss, optimiser"),
        ("unknown", [], NotFound, "Nothing is published as 'unknown'"),
        ("bad name", [], InvalidInput, "not a valid name"),
    ],
)
def test_history_errors(
    published: tuple[Store, list[Run]],
    name: str,
    metrics: list[str],
    error: type[Exception],
    message: str,
) -> None:
    store, _ = published
    with pytest.raises(error, match=message):
        history(store, name, metrics)


def test_plot_writes_one_panel_per_numeric_metric(
    published: tuple[Store, list[Run]], tmp_path: Path
) -> None:
    store, _ = published
    target = plot_history(history(store, "model"), tmp_path / "drift.png")
    assert target == tmp_path / "drift.png" and target.stat().st_size > 0
    width, height = png_size(target)
    assert width == FIGURE_WIDTH_IN * DPI
    assert height == (1 + PANEL_HEIGHT_IN * 3) * DPI

    single = plot_history(history(store, "model", ["loss"]), tmp_path / "loss.png")
    assert png_size(single)[1] == (1 + PANEL_HEIGHT_IN) * DPI
    assert "matplotlib.pyplot" not in sys.modules


@pytest.mark.parametrize(
    ("file_name", "metrics", "message"),
    [
        ("chart.svg", [], "ending in .png"),
        ("missing/chart.png", [], "does not exist"),
        ("chart.png", ["optimiser"], "Nothing to plot"),
    ],
)
def test_plot_refusals(
    published: tuple[Store, list[Run]],
    tmp_path: Path,
    file_name: str,
    metrics: list[str],
    message: str,
) -> None:
    store, _ = published
    with pytest.raises(InvalidInput, match=message):
        plot_history(history(store, "model", metrics), tmp_path / file_name)
    assert not (tmp_path / file_name).exists()


def test_plot_without_matplotlib_says_how_to_install_it(
    published: tuple[Store, list[Run]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, _ = published
    for module in [m for m in sys.modules if m.split(".")[0] == "matplotlib"] + ["matplotlib"]:
        monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(InvalidInput) as caught:
        plot_history(history(store, "model"), tmp_path / "chart.png")
    assert PLOT_INSTALL in caught.value.message
    assert PLOT_INSTALL == "pip install 'greenhouse_ext[plot]'"
