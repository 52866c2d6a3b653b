"""What a notebook accepts: its parameters cell, types and form fields, values, grids, secrets."""

from .cell import NO_PARAMETERS_CELL, discover, read_parameters
from .grid import ParameterPoint, product_of_text, product_of_values, read_grid, read_grid_file
from .masking import MaskingWriter, mask_text, scrub_outputs, secret_strings
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
    "DEFAULT_MAX_VALUE_BYTES",
    "DEFAULT_VALUE_LIMIT",
    "NO_PARAMETERS_CELL",
    "MaskingWriter",
    "ParameterField",
    "ParameterPoint",
    "ParameterType",
    "ValueLimit",
    "describe",
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
    "scrub_outputs",
    "secret_strings",
    "split_secrets",
    "validate",
]
