"""Gates on recorded metrics: thresholds, and the largest change allowed from a reference."""

from __future__ import annotations

import dataclasses
import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import Conflict, InvalidInput
from ..models import RunStatus
from ..notebook_api import read_metrics
from ..store import Store, Subject, resolve

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}
CONDITION_GRAMMAR = "NAME OP NUMBER with OP one of >=, <=, >, <, ==, != (e.g. 'accuracy>=0.9')"
TOLERANCE_GRAMMAR = "NAME=AMOUNT or NAME=AMOUNT% (e.g. 'accuracy=0.02' or 'accuracy=2%')"

_NAME = r"[A-Za-z_][\w.:/-]*"
_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_CONDITION = re.compile(rf"\s*({_NAME})\s*(>=|<=|==|!=|>|<)\s*({_NUMBER})\s*")
_TOLERANCE = re.compile(rf"\s*({_NAME})\s*=\s*({_NUMBER})\s*(%?)\s*")
# A change equal to its limit passes, even when float rounding puts it a hair above.
_REL_TOL, _ABS_TOL = 1e-9, 1e-12


@dataclass(frozen=True)
class Condition:
    """``metric OP threshold``, e.g. ``accuracy >= 0.9``."""

    metric: str
    op: str
    threshold: float

    def holds(self, value: float) -> bool:
        return OPERATORS[self.op](value, self.threshold)

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.threshold:g}"


@dataclass(frozen=True)
class Tolerance:
    """How far a metric may move from the reference: ``direction`` is ``drop`` or ``rise``.

    ``amount`` is absolute, or a percentage of the reference value when ``percent``.
    """

    metric: str
    direction: str
    amount: float
    percent: bool = False

    def limit(self, baseline: float) -> float:
        return abs(baseline) * self.amount / 100 if self.percent else self.amount

    def change(self, baseline: float, value: float) -> float:
        return baseline - value if self.direction == "drop" else value - baseline

    def holds(self, baseline: float, value: float) -> bool:
        change, limit = self.change(baseline, value), self.limit(baseline)
        return change <= limit or math.isclose(change, limit, rel_tol=_REL_TOL, abs_tol=_ABS_TOL)

    def __str__(self) -> str:
        unit = "%" if self.percent else ""
        return f"{self.metric} {self.direction} <= {self.amount:g}{unit}"


@dataclass
class Outcome:
    """One condition checked: what was asked, what was found, and whether it held."""

    metric: str
    condition: str
    actual: float
    passed: bool
    baseline: float | None = None
    change: float | None = None


@dataclass
class GateReport:
    """Every condition of a gate, checked on one subject (and a reference, if any)."""

    subject: str
    against: str | None
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(outcome.passed for outcome in self.outcomes)

    @property
    def failures(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if not outcome.passed]

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "passed": self.passed}


def parse_condition(text: str) -> Condition:
    """Parse ``NAME OP NUMBER`` (no evaluation of any kind).

    Parameters
    ----------
    text : str
        E.g. ``"accuracy>=0.9"`` or ``"loss < 0.3"``.

    Returns
    -------
    Condition

    Raises
    ------
    InvalidInput
        The text does not follow :data:`CONDITION_GRAMMAR`.
    """
    match = _CONDITION.fullmatch(text)
    if match is None:
        raise InvalidInput(f"Malformed condition {text!r}: expected {CONDITION_GRAMMAR}")
    name, op, number = match.groups()
    return Condition(name, op, float(number))


def parse_tolerance(text: str, direction: str) -> Tolerance:
    """Parse ``NAME=AMOUNT`` or ``NAME=AMOUNT%`` as the largest allowed drop or rise.

    Parameters
    ----------
    text : str
        E.g. ``"accuracy=0.02"`` (absolute) or ``"accuracy=2%"`` (of the reference value).
    direction : {"drop", "rise"}
        Which way the metric may not move by more than the amount.

    Returns
    -------
    Tolerance

    Raises
    ------
    InvalidInput
        The text does not follow :data:`TOLERANCE_GRAMMAR`, or the amount is negative.
    """
    match = _TOLERANCE.fullmatch(text)
    if match is None or float(match.group(2)) < 0:
        raise InvalidInput(
            f"Malformed --max-{direction} {text!r}: expected {TOLERANCE_GRAMMAR}, "
            "AMOUNT not negative"
        )
    name, amount, percent = match.groups()
    return Tolerance(name, direction, float(amount), bool(percent))


def evaluate(
    metrics: Mapping[str, Any],
    conditions: Sequence[Condition],
    tolerances: Sequence[Tolerance] = (),
    baseline: Mapping[str, Any] | None = None,
    *,
    subject: str = "",
    against: str | None = None,
) -> GateReport:
    """Check conditions on ``metrics`` and tolerances against ``baseline``.

    Parameters
    ----------
    metrics : mapping
        The recorded metrics checked.
    conditions : sequence of Condition
        Thresholds every metric must meet.
    tolerances : sequence of Tolerance, optional
        Largest changes allowed from ``baseline``.
    baseline : mapping, optional
        The reference's metrics; required when there are tolerances.
    subject, against : str, optional
        How the checked subject and the reference are named in the report.

    Returns
    -------
    GateReport

    Raises
    ------
    InvalidInput
        A metric is missing or not a number (all such problems at once), or tolerances
        were given without a baseline.
    """
    if tolerances and baseline is None:
        raise InvalidInput("--max-drop and --max-rise compare with a reference: give --against")
    names = [c.metric for c in conditions] + [t.metric for t in tolerances]
    values = _numbers(metrics, names, subject or "the subject")
    before = _numbers(baseline or {}, [t.metric for t in tolerances], against or "the reference")
    report = GateReport(subject=subject, against=against)
    for condition in conditions:
        value = values[condition.metric]
        report.outcomes.append(
            Outcome(condition.metric, str(condition), value, condition.holds(value))
        )
    for tolerance in tolerances:
        value, reference = values[tolerance.metric], before[tolerance.metric]
        report.outcomes.append(
            Outcome(
                metric=tolerance.metric,
                condition=str(tolerance),
                actual=value,
                passed=tolerance.holds(reference, value),
                baseline=reference,
                change=tolerance.change(reference, value),
            )
        )
    return report


def _numbers(metrics: Mapping[str, Any], names: Sequence[str], where: str) -> dict[str, float]:
    """The named metrics as numbers; InvalidInput listing every missing or non-numeric one."""
    problems = []
    for name in dict.fromkeys(names):
        if name not in metrics:
            problems.append(f"metric {name!r} was not recorded by {where}")
        elif not is_number(metrics[name]):
            problems.append(f"metric {name!r} of {where} is not a number: {metrics[name]!r}")
    if problems:
        recorded = ", ".join(sorted(metrics)) or "none"
        raise InvalidInput(f"{'; '.join(problems)} (recorded: {recorded})", problems)
    return {name: float(metrics[name]) for name in names}


def is_number(value: Any) -> bool:
    """Whether ``value`` is a finite int or float (not a bool): what a condition compares."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def metrics_of(subject: Subject) -> dict[str, Any]:
    """The metrics a reference points at: its version's, its run's, or its notebook's.

    Parameters
    ----------
    subject : Subject
        A resolved reference.

    Returns
    -------
    dict

    Raises
    ------
    Conflict
        The run did not succeed, so its metrics are not a result.
    """
    if subject.version is not None:
        return dict(subject.version.metrics)
    if subject.run is not None:
        if subject.run.status is not RunStatus.SUCCEEDED:
            raise Conflict(
                f"Run {subject.run.id} {subject.run.status.value}: gates check succeeded runs"
            )
        return dict(subject.run.metrics)
    return read_metrics(subject.notebook)


def check(
    store: Store,
    ref: str,
    conditions: Sequence[str] = (),
    *,
    against: str | None = None,
    max_drop: Sequence[str] = (),
    max_rise: Sequence[str] = (),
    base: Path | None = None,
) -> GateReport:
    """Parse gate expressions, resolve the references and check every condition.

    Parameters
    ----------
    store : Store
        Where references are resolved.
    ref : str
        What is checked: a run id, ``NAME@N``, ``NAME@ALIAS``, ``NAME`` or an executed
        ``.ipynb`` file.
    conditions : sequence of str
        Expressions following :data:`CONDITION_GRAMMAR`.
    against : str, optional
        The reference that ``max_drop`` and ``max_rise`` compare with.
    max_drop, max_rise : sequence of str
        Expressions following :data:`TOLERANCE_GRAMMAR`.
    base : Path, optional
        The folder relative file references are read from.

    Returns
    -------
    GateReport

    Raises
    ------
    InvalidInput
        Malformed expressions (all at once), no condition at all, ``--against`` without a
        tolerance or the reverse, missing or non-numeric metrics.
    NotFound, Conflict
        From resolving the references and reading their metrics.
    """
    parsed, tolerances = _parse_all(conditions, max_drop, max_rise)
    if not parsed and not tolerances:
        raise InvalidInput(
            "Nothing to check: give --metric, or --against with --max-drop/--max-rise"
        )
    if against is not None and not tolerances:
        raise InvalidInput("--against needs --max-drop or --max-rise to say what may change")
    subject = resolve(store, ref, base)
    reference = resolve(store, against, base) if against is not None else None
    return evaluate(
        metrics_of(subject),
        parsed,
        tolerances,
        metrics_of(reference) if reference is not None else None,
        subject=subject.label,
        against=reference.label if reference is not None else None,
    )


def _parse_all(
    conditions: Sequence[str], max_drop: Sequence[str], max_rise: Sequence[str]
) -> tuple[list[Condition], list[Tolerance]]:
    problems: list[str] = []
    parsed: list[Condition] = []
    tolerances: list[Tolerance] = []
    for text in conditions:
        try:
            parsed.append(parse_condition(text))
        except InvalidInput as exc:
            problems.append(exc.message)
    for direction, texts in (("drop", max_drop), ("rise", max_rise)):
        for text in texts:
            try:
                tolerances.append(parse_tolerance(text, direction))
            except InvalidInput as exc:
                problems.append(exc.message)
    if problems:
        raise InvalidInput("; ".join(problems), problems)
    return parsed, tolerances
