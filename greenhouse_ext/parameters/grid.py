"""Parameter grids: the sets of values a sweep runs, from command-line values or a grid file."""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidInput
from ..models import ParameterSet
from .limits import DEFAULT_GRID_LIMIT, GridLimit
from .masking import describe_value, shown_value, value_kind

GRID_FILE_HELP = (
    "A grid file (YAML or JSON) holds either a product, a mapping of names to lists of "
    "values (`product: {rate: [0.1, 0.2], region: [eu, us]}`), or an explicit list of "
    "parameter sets (`runs: [{rate: 0.1, region: eu}, {rate: 0.2}]`)."
)


@dataclass
class ParameterPoint:
    """One set of values of a sweep: typed values (from a file) and text values (a command line)."""

    values: dict[str, Any] = field(default_factory=dict)
    text_values: dict[str, str] = field(default_factory=dict)

    def describe(self, spec: ParameterSet | None) -> str:
        """The values as ``name=value, ...``; a secret parameter's (in ``spec``) as ``***``."""
        shown = {**self.values, **self.text_values}
        listed = (f"{k}={shown_value(k, v, spec)}" for k, v in shown.items())
        return ", ".join(listed) or "(defaults)"


def _check_product(sizes: Sequence[int], limit: GridLimit) -> None:
    """Refuse a product of axes of ``sizes`` values over ``limit``, before building it."""
    limit.check(math.prod(sizes), " x ".join(f"{size:,}" for size in sizes) + " values")


def product_of_text(
    options: Sequence[tuple[str, str]],
    spec: ParameterSet | None = None,
    limit: GridLimit = DEFAULT_GRID_LIMIT,
) -> list[ParameterPoint]:
    """The cartesian product of ``-p NAME V1,V2`` options; each value is converted later by type.

    ``spec`` (the notebook's parameters) says which values messages must not show;
    ``limit`` bounds the product's size, checked before any set is built.

    Raises
    ------
    InvalidInput
        A name is given twice, a value list is empty, or the product is over ``limit``.
    """
    axes: dict[str, list[str]] = {}
    for name, text in options:
        if name in axes:
            raise InvalidInput(
                f"Parameter {name!r} is given twice: list all its values once, as -p {name} A,B,C"
            )
        values = text.split(",")
        if any(v == "" for v in values):
            shown = describe_value(name, text, spec, with_type=False)
            raise InvalidInput(
                f"-p {name} {shown} has an empty value; values are separated by commas, "
                "and a value that holds a comma goes in a --grid file"
            )
        axes[name] = values
    _check_product([len(values) for values in axes.values()], limit)
    names = list(axes)
    return [
        ParameterPoint(text_values=dict(zip(names, combo, strict=True)))
        for combo in itertools.product(*axes.values())
    ]


def product_of_values(
    axes: Mapping[str, Any],
    spec: ParameterSet | None = None,
    limit: GridLimit = DEFAULT_GRID_LIMIT,
) -> list[ParameterPoint]:
    """The cartesian product of typed values: each name maps to a list of its values.

    ``spec`` (the notebook's parameters) says which values messages must not show;
    ``limit`` bounds the product's size, checked before any set is built.

    Raises
    ------
    InvalidInput
        A name's values are not a non-empty list, or the product is over ``limit``.
    """
    for name, values in axes.items():
        if not isinstance(values, list) or not values:
            raise InvalidInput(
                f"Grid product entry {name!r} must be a non-empty list of values, "
                f"got {describe_value(name, values, spec)}"
            )
    _check_product([len(values) for values in axes.values()], limit)
    names = list(axes)
    return [
        ParameterPoint(values=dict(zip(names, combo, strict=True)))
        for combo in itertools.product(*axes.values())
    ]


def read_grid(
    data: Any,
    source: str = "the grid",
    spec: ParameterSet | None = None,
    limit: GridLimit = DEFAULT_GRID_LIMIT,
) -> list[ParameterPoint]:
    """The parameter sets a grid describes: ``{"product": {...}}`` or ``{"runs": [...]}``.

    ``spec`` and ``limit`` are as `product_of_values` takes them; a list of sets is
    bounded by ``limit`` too.

    Raises
    ------
    InvalidInput
        The grid has neither form, an entry is malformed, or it is over ``limit``.
    """
    if isinstance(data, dict) and set(data) == {"product"} and isinstance(data["product"], dict):
        points = product_of_values(data["product"], spec, limit)
    elif isinstance(data, dict) and set(data) == {"runs"} and isinstance(data["runs"], list):
        limit.check(len(data["runs"]), f"a list of {len(data['runs']):,} parameter sets")
        points = []
        for index, entry in enumerate(data["runs"], start=1):
            if not isinstance(entry, dict):
                raise InvalidInput(
                    f"Set {index} of {source} must be a mapping of names to values, "
                    f"got {value_kind(entry)}"
                )
            points.append(ParameterPoint(values=dict(entry)))
    else:
        raise InvalidInput(f"{source} is not a grid. {GRID_FILE_HELP}")
    if not points:
        raise InvalidInput(f"{source} describes no runs")
    return points


def read_grid_file(
    path: str, spec: ParameterSet | None = None, limit: GridLimit = DEFAULT_GRID_LIMIT
) -> list[ParameterPoint]:
    """Read a YAML or JSON grid file; see :func:`read_grid`.

    Raises
    ------
    InvalidInput
        The file cannot be read or parsed, or is not a grid.
    """
    import yaml

    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle) if path.endswith(".json") else yaml.safe_load(handle)
    except OSError as exc:
        raise InvalidInput(f"Cannot read grid file {path!r}: {exc.strerror}") from None
    except (ValueError, yaml.YAMLError) as exc:
        raise InvalidInput(f"Grid file {path!r} is not valid JSON/YAML: {exc}") from None
    return read_grid(data, f"grid file {path!r}", spec, limit)
