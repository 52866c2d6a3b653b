"""What a notebook accepts: its parameters cell, types and form fields, values, grids, secrets."""

from .cell import NO_PARAMETERS_CELL, discover, read_parameters
from .grid import (
    DEFAULT_GRID_LIMIT,
    DEFAULT_MAX_SWEEP_RUNS,
    GridLimit,
    ParameterPoint,
    product_of_text,
    product_of_values,
    read_grid,
    read_grid_file,
)
from .masking import (
    MaskingWriter,
    describe_value,
    mask_text,
    scrub_notebook,
    secret_strings,
    value_kind,
)
from .types import ParameterField, ParameterType, describe, parameter_set_with_fields, parse_type
from .validation import (
    DEFAULT_MAX_VALUE_BYTES,
    DEFAULT_VALUE_LIMIT,
    ValueLimit,
    mask_secrets,
    split_secrets,
    validate,
)

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
