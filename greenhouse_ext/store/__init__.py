"""Where runs and versions live: the SQL index, the objects, their records, config and copies."""

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
from .identity import host
from .index import Store, describe, find_store_root, upgrade
from .objects import sha256_bytes
from .occurrences import ACTIVE_OCCURRENCE, Attempt, Occurrence
from .records import MANIFEST, record_objects
from .refs import Subject, check_name, file_subject, resolve, resolve_version
from .runs import LiveRecord, unsaved_record
from .schedules import ScheduleRow, SchedulerRow, utc_moment, utc_text
from .transfer import TransferReport, transfer

__all__ = [
    "ACTIVE_OCCURRENCE",
    "CONFIG_FILENAME",
    "MANIFEST",
    "Attempt",
    "LiveRecord",
    "Occurrence",
    "ScheduleRow",
    "SchedulerRow",
    "Store",
    "StoreConfig",
    "Subject",
    "TransferReport",
    "check_index_folder",
    "check_name",
    "checked",
    "config_path",
    "describe",
    "file_subject",
    "find_store_root",
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
    "utc_moment",
    "utc_text",
    "write_config",
]
