"""A run's log, as the process running it wrote it: read in chunks, for tailing."""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from ..errors import InvalidInput
from ..store import Store, find_run

LOG_CHUNK_BYTES = 64 * 1024
"""The most bytes of a log one `read_log` call returns."""


@dataclass
class LogChunk:
    """A piece of a run's log and the byte offset at which the next piece starts."""

    text: str
    offset: int

    def to_dict(self) -> dict[str, str | int]:
        """The JSON form ``{"text", "offset"}``."""
        return {"text": self.text, "offset": self.offset}


def read_log(store: Store, run_ref: str, offset: int = 0, limit: int = LOG_CHUNK_BYTES) -> LogChunk:
    """Read a run's log from byte ``offset`` on, for tailing it.

    A character cut by the end of the chunk is left for the next call; a run that
    was not started by a server has an empty log.

    Parameters
    ----------
    store : Store
        The store holding the run and its log.
    run_ref : str
        A run id or a unique prefix of one.
    offset : int
        The byte to start from: 0, then the ``offset`` of the previous chunk.
    limit : int
        The most bytes to read.

    Returns
    -------
    LogChunk
        The text read and the offset to ask for next (``offset`` itself at the end).

    Raises
    ------
    InvalidInput
        ``offset`` is negative.
    NotFound
        No such run.
    """
    if offset < 0:
        raise InvalidInput(f"offset must be 0 or more, got {offset}")
    run = find_run(store, run_ref)
    try:
        with open(store.log_path(run.id), "rb") as handle:
            handle.seek(offset)
            data = handle.read(limit)
    except FileNotFoundError:
        data = b""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    text = decoder.decode(data, final=False)
    pending = len(decoder.getstate()[0])
    return LogChunk(text, offset + len(data) - pending)
