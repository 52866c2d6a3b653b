"""Gates: the expression grammar, every operator, tolerances, and checks on real runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from notebooks import write_notebook

from greenhouse_ext.artefacts.gate import (
    CONDITION_GRAMMAR,
    TOLERANCE_GRAMMAR,
    Condition,
    Tolerance,
    check,
    evaluate,
    parse_condition,
    parse_tolerance,
)
from greenhouse_ext.errors import Conflict, InvalidInput, NotFound
from greenhouse_ext.execution.execute import execute, prepare
from greenhouse_ext.models import RunStatus, Version
from greenhouse_ext.store import Store


@pytest.mark.parametrize(
    ("expression", "value", "holds"),
    [
        ("accuracy>=0.9", 0.9, True),
        ("accuracy>=0.9", 0.8999, False),
        ("accuracy<=0.9", 0.9, True),
        ("accuracy<=0.9", 0.91, False),
        ("accuracy>0.9", 0.91, True),
        ("accuracy>0.9", 0.9, False),
        ("accuracy<0.9", 0.89, True),
        ("accuracy<0.9", 0.9, False),
        ("accuracy==3", 3, True),
        ("accuracy==3", 3.5, False),
        ("accuracy!=0", 1, True),
        ("accuracy!=0", 0, False),
    ],
)
def test_every_operator(expression: str, value: float, holds: bool) -> None:
    report = evaluate({"accuracy": value}, [parse_condition(expression)], subject="run x")
    assert report.passed is holds
    [outcome] = report.outcomes
    assert (outcome.metric, outcome.actual, outcome.passed) == ("accuracy", value, holds)
    assert report.failures == ([] if holds else [outcome])


@pytest.mark.parametrize(
    ("expression", "condition"),
    [
        ("loss < 0.3", Condition("loss", "<", 0.3)),
        ("  loss<3e-1 ", Condition("loss", "<", 0.3)),
        ("delta>-1.5", Condition("delta", ">", -1.5)),
        ("n==+2", Condition("n", "==", 2.0)),
        ("val/top-5.acc>=.5", Condition("val/top-5.acc", ">=", 0.5)),
        ("_x!=10", Condition("_x", "!=", 10.0)),
    ],
)
def test_condition_forms(expression: str, condition: Condition) -> None:
    assert parse_condition(expression) == condition


@pytest.mark.parametrize(
    "expression",
    [
        "",
        "accuracy",
        "accuracy>=",
        ">=0.9",
        "accuracy=>0.9",
        "accuracy = 0.9",
        "accuracy>=0.9x",
        "accuracy>=abc",
        "accuracy>=1%",
        "accuracy>=0.9 and loss<1",
        "acc uracy>=1",
        "__import__('os').system('true')>=1",
        "9lives>=1",
    ],
)
def test_malformed_conditions_name_the_grammar(expression: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_condition(expression)
    assert CONDITION_GRAMMAR in caught.value.message
    assert repr(expression) in caught.value.message


@pytest.mark.parametrize(
    ("text", "direction", "tolerance"),
    [
        ("accuracy=0.02", "drop", Tolerance("accuracy", "drop", 0.02)),
        ("accuracy=2%", "drop", Tolerance("accuracy", "drop", 2.0, percent=True)),
        (" loss = 1e-2 ", "rise", Tolerance("loss", "rise", 0.01)),
        ("loss=0", "rise", Tolerance("loss", "rise", 0.0)),
    ],
)
def test_tolerance_forms(text: str, direction: str, tolerance: Tolerance) -> None:
    assert parse_tolerance(text, direction) == tolerance


@pytest.mark.parametrize(
    "text", ["accuracy", "accuracy=-0.1", "accuracy=x", "=1", "accuracy=2%%", "accuracy>=0.1"]
)
def test_malformed_tolerances(text: str) -> None:
    with pytest.raises(InvalidInput, match="--max-drop") as caught:
        parse_tolerance(text, "drop")
    assert TOLERANCE_GRAMMAR in caught.value.message


@pytest.mark.parametrize(
    ("text", "direction", "baseline", "value", "holds"),
    [
        ("accuracy=0.02", "drop", 0.92, 0.90, True),
        ("accuracy=0.02", "drop", 0.92, 0.8999, False),
        ("accuracy=0.02", "drop", 0.92, 0.99, True),
        ("accuracy=2%", "drop", 0.9, 0.882, True),
        ("accuracy=2%", "drop", 0.9, 0.88, False),
        ("loss=0.05", "rise", 0.30, 0.35, True),
        ("loss=0.05", "rise", 0.30, 0.36, False),
        ("loss=0.05", "rise", 0.30, 0.01, True),
        ("loss=5%", "rise", 0.2, 0.21, True),
        ("loss=5%", "rise", 0.2, 0.22, False),
        ("loss=0", "rise", 0.2, 0.2, True),
    ],
)
def test_tolerances_against_a_baseline(
    text: str, direction: str, baseline: float, value: float, holds: bool
) -> None:
    tolerance = parse_tolerance(text, direction)
    name = tolerance.metric
    report = evaluate({name: value}, [], [tolerance], {name: baseline}, against="m@1")
    [outcome] = report.outcomes
    assert report.passed is holds and outcome.passed is holds
    assert outcome.baseline == baseline and outcome.actual == value
    expected = baseline - value if direction == "drop" else value - baseline
    assert outcome.change == pytest.approx(expected)


def test_missing_and_non_numeric_metrics_are_all_reported() -> None:
    conditions = [parse_condition(e) for e in ("loss<1", "f1>0", "mode==1", "ok==1", "acc>0")]
    metrics = {"acc": 0.9, "mode": "fast", "ok": True}
    with pytest.raises(InvalidInput) as caught:
        evaluate(metrics, conditions, subject="run abc")
    assert caught.value.problems == [
        "metric 'loss' was not recorded by run abc",
        "metric 'f1' was not recorded by run abc",
        "metric 'mode' of run abc is not a number: 'fast'",
        "metric 'ok' of run abc is not a number: True",
    ]
    assert "(recorded: acc, mode, ok)" in caught.value.message


def test_tolerances_need_a_baseline_holding_the_metric() -> None:
    tolerance = parse_tolerance("acc=0.1", "drop")
    with pytest.raises(InvalidInput, match="--against"):
        evaluate({"acc": 1.0}, [], [tolerance])
    with pytest.raises(InvalidInput, match="'acc' was not recorded by m@1"):
        evaluate({"acc": 1.0}, [], [tolerance], {"loss": 1.0}, against="m@1")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, dict[str, str]]:
    """Real runs: scores 0.95 and 0.9 (published as m@1 and m@2) and a failed one."""
    root = tmp_path_factory.mktemp("gate")
    store = Store(root / ".greenhouse")
    nb = write_notebook(
        root / "m.ipynb",
        "score = 0.95",
        "from greenhouse_ext import record\nrecord('score', score)\nrecord('loss', 1 - score)",
    )
    ids = {}
    for key, score in (("best", "0.95"), ("worse", "0.9")):
        run = store.save_execution(execute(prepare(nb, {}, text_values={"score": score})))
        assert run.status is RunStatus.SUCCEEDED, run.error
        store.add_version(
            Version("m", 0, run.id, run.created_at, run.output_object or "", metrics=run.metrics)
        )
        ids[key] = run.id
    bad = write_notebook(root / "bad.ipynb", None, "raise RuntimeError('boom')")
    ids["failed"] = store.save_execution(execute(prepare(bad, {}))).id
    return store, ids


def test_check_a_run_and_a_version(runs: tuple[Store, dict[str, str]]) -> None:
    store, ids = runs
    passed = check(store, ids["best"], ["score>=0.9", "loss<0.1"])
    assert passed.passed and passed.subject == f"run {ids['best']}"
    failed = check(store, "m@2", ["score>=0.92", "loss<0.3"])
    assert not failed.passed and failed.subject == "m@2"
    [failure] = failed.failures
    assert (failure.metric, failure.condition, failure.actual) == ("score", "score >= 0.92", 0.9)


def test_check_against_a_reference(runs: tuple[Store, dict[str, str]]) -> None:
    store, ids = runs
    within = check(store, "m", against="m@1", max_drop=["score=0.05"], max_rise=["loss=6%"])
    assert within.passed is False
    [failure] = within.failures
    assert failure.metric == "loss" and failure.baseline == pytest.approx(0.05)
    allowed = check(store, "m@2", against=ids["best"], max_drop=["score=0.05"])
    assert allowed.passed and allowed.against == f"run {ids['best']}"
    too_far = check(store, "m@2", ["score>0"], against="m@1", max_drop=["score=1%"])
    assert not too_far.passed and [o.passed for o in too_far.outcomes] == [True, False]


def test_check_an_executed_notebook_file(
    runs: tuple[Store, dict[str, str]], tmp_path: Path
) -> None:
    store, ids = runs
    executed = tmp_path / "out.ipynb"
    executed.write_bytes(store.get_object(store.get_run(ids["worse"]).output_object or ""))
    report = check(store, str(executed), ["score==0.9"])
    assert report.passed and report.subject == str(executed)


def test_check_refuses_what_it_cannot_judge(runs: tuple[Store, dict[str, str]]) -> None:
    store, ids = runs
    with pytest.raises(Conflict, match="failed"):
        check(store, ids["failed"], ["score>0"])
    with pytest.raises(NotFound):
        check(store, "feedfacecafe", ["score>0"])
    with pytest.raises(NotFound):
        check(store, "m@1", against="m@9", max_drop=["score=0.1"])
    with pytest.raises(InvalidInput, match="Nothing to check"):
        check(store, "m@1")
    with pytest.raises(InvalidInput, match="--against needs"):
        check(store, "m@1", ["score>0"], against="m@2")
    with pytest.raises(InvalidInput) as caught:
        check(store, "m@1", ["score>>1", "loss<1"], max_rise=["loss=-1"])
    assert len(caught.value.problems) == 2
