"""What a notebook accepts: its parameters cell, types and form fields, values, grids, secrets."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .cell import (
        NO_PARAMETERS_CELL,
        discover,
        read_parameters,
    )
    from .grid import (
        ParameterPoint,
        product_of_text,
        product_of_values,
        read_grid,
        read_grid_file,
    )
    from .limits import (
        DEFAULT_GRID_LIMIT,
        DEFAULT_MAX_SWEEP_RUNS,
        DEFAULT_MAX_VALUE_BYTES,
        DEFAULT_VALUE_LIMIT,
        GridLimit,
        ValueLimit,
    )
    from .masking import (
        MaskingWriter,
        describe_value,
        mask_text,
        scrub_notebook,
        secret_strings,
        value_kind,
    )
    from .types import (
        ParameterField,
        ParameterType,
        describe,
        parameter_set_with_fields,
        parse_type,
    )
    from .validation import (
        mask_secrets,
        split_secrets,
        validate,
    )

# Each name is imported from its module on first use (PEP 562), so a command imports
# only the modules it needs.
_HOMES = {
    "DEFAULT_GRID_LIMIT": "limits",
    "DEFAULT_MAX_SWEEP_RUNS": "limits",
    "DEFAULT_MAX_VALUE_BYTES": "limits",
    "DEFAULT_VALUE_LIMIT": "limits",
    "GridLimit": "limits",
    "MaskingWriter": "masking",
    "NO_PARAMETERS_CELL": "cell",
    "ParameterField": "types",
    "ParameterPoint": "grid",
    "ParameterType": "types",
    "ValueLimit": "limits",
    "describe": "types",
    "describe_value": "masking",
    "discover": "cell",
    "mask_secrets": "validation",
    "mask_text": "masking",
    "parameter_set_with_fields": "types",
    "parse_type": "types",
    "product_of_text": "grid",
    "product_of_values": "grid",
    "read_grid": "grid",
    "read_grid_file": "grid",
    "read_parameters": "cell",
    "scrub_notebook": "masking",
    "secret_strings": "masking",
    "split_secrets": "validation",
    "validate": "validation",
    "value_kind": "masking",
}

__all__ = [
    "DEFAULT_GRID_LIMIT",
    "DEFAULT_MAX_SWEEP_RUNS",
    "DEFAULT_MAX_VALUE_BYTES",
    "DEFAULT_VALUE_LIMIT",
    "NO_PARAMETERS_CELL",
    "GridLimit",
    "MaskingWriter",
    "ParameterField",
    "ParameterPoint",
    "ParameterType",
    "ValueLimit",
    "describe",
    "describe_value",
    "discover",
    "mask_secrets",
    "mask_text",
    "parameter_set_with_fields",
    "parse_type",
    "product_of_text",
    "product_of_values",
    "read_grid",
    "read_grid_file",
    "read_parameters",
    "scrub_notebook",
    "secret_strings",
    "split_secrets",
    "validate",
    "value_kind",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value
