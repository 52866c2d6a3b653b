"""Where runs and versions live: the SQL index, the objects, their records, config and copies."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import identity
    from .config import (
        CONFIG_FILENAME,
        StoreConfig,
        check_index_folder,
        checked,
        config_path,
        read_config,
        write_config,
    )
    from .envs import EnvCache
    from .identity import (
        host,
        user,
    )
    from .index import (
        Store,
        describe,
        upgrade,
    )
    from .location import (
        find_store_root,
    )
    from .objects import (
        sha256_bytes,
    )
    from .occurrences import ACTIVE_OCCURRENCE, Attempt, Occurrence
    from .records import (
        MANIFEST,
        record_objects,
    )
    from .refs import (
        Subject,
        check_name,
        file_subject,
        find_name,
        find_notebook,
        find_run,
        find_sweep,
        find_version,
        resolve,
        resolve_version,
    )
    from .runs import (
        LiveRecord,
        unsaved_record,
    )
    from .schedules import ScheduleRow, SchedulerRow, utc_moment, utc_text
    from .sweeps import SweepSummary
    from .transfer import (
        TransferReport,
        transfer,
    )

# Each name is imported from its module on first use (PEP 562), so a command imports
# only the modules it needs.
_HOMES = {
    "ACTIVE_OCCURRENCE": "occurrences",
    "EnvCache": "envs",
    "Attempt": "occurrences",
    "Occurrence": "occurrences",
    "ScheduleRow": "schedules",
    "SchedulerRow": "schedules",
    "utc_moment": "schedules",
    "utc_text": "schedules",
    "CONFIG_FILENAME": "config",
    "LiveRecord": "runs",
    "MANIFEST": "records",
    "Store": "index",
    "StoreConfig": "config",
    "Subject": "refs",
    "SweepSummary": "sweeps",
    "TransferReport": "transfer",
    "check_index_folder": "config",
    "check_name": "refs",
    "checked": "config",
    "config_path": "config",
    "describe": "index",
    "file_subject": "refs",
    "find_name": "refs",
    "find_notebook": "refs",
    "find_run": "refs",
    "find_sweep": "refs",
    "find_version": "refs",
    "find_store_root": "location",
    "host": "identity",
    "user": "identity",
    "read_config": "config",
    "record_objects": "records",
    "resolve": "refs",
    "resolve_version": "refs",
    "sha256_bytes": "objects",
    "transfer": "transfer",
    "unsaved_record": "runs",
    "upgrade": "index",
    "write_config": "config",
}

__all__ = [
    "ACTIVE_OCCURRENCE",
    "CONFIG_FILENAME",
    "MANIFEST",
    "Attempt",
    "EnvCache",
    "LiveRecord",
    "Occurrence",
    "ScheduleRow",
    "SchedulerRow",
    "Store",
    "StoreConfig",
    "Subject",
    "SweepSummary",
    "TransferReport",
    "check_index_folder",
    "check_name",
    "checked",
    "config_path",
    "describe",
    "file_subject",
    "find_name",
    "find_notebook",
    "find_run",
    "find_store_root",
    "find_sweep",
    "find_version",
    "host",
    "identity",
    "read_config",
    "record_objects",
    "resolve",
    "resolve_version",
    "sha256_bytes",
    "transfer",
    "unsaved_record",
    "upgrade",
    "user",
    "utc_moment",
    "utc_text",
    "write_config",
]


def __getattr__(name: str) -> Any:
    if name == "identity":
        return importlib.import_module(".identity", __name__)
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value
