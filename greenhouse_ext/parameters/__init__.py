"""What a notebook accepts: its parameters cell read, values checked, grids, secrets."""

from .cell import NO_PARAMETERS_CELL, discover, read_parameters
from .grid import ParameterPoint, product_of_text, product_of_values, read_grid, read_grid_file
from .masking import MaskingWriter, mask_text, scrub_outputs, secret_strings
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
    "ParameterPoint",
    "ValueLimit",
    "discover",
    "mask_secrets",
    "mask_text",
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
