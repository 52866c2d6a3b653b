"""The table of the ``greenhouse`` commands: the module that defines each and its summary.

The group lists its commands from this table and imports a command's module only when
that command runs, so ``greenhouse --help`` and every command start without importing
the others (the way git lists its commands from ``command-list.txt``).
"""

from __future__ import annotations

from typing import NamedTuple


class Entry(NamedTuple):
    """Where a command is defined (a module of this package) and its one-line summary."""

    module: str
    summary: str


COMMANDS: dict[str, Entry] = {
    "alias": Entry("artefacts", "Point an alias at a version, remove it, or show its history."),
    "check": Entry("operate", "Gate on the metrics a run recorded and on where it came from."),
    "delete": Entry("cleaning", "Delete a run and the objects only it used."),
    "diff": Entry("diff", "Compare two runs, versions or notebooks."),
    "env": Entry("environment", "Print a run's or version's environment; manage rebuilt ones."),
    "export": Entry("artefacts", "Write a version as a folder that Binder builds and people run."),
    "gc": Entry("cleaning", "Remove the runs a policy chooses, then unused objects."),
    "get": Entry("artefacts", "Write the files of a version to a folder."),
    "history": Entry("operate", "Show every published version of a name with its metrics."),
    "init": Entry("project", "Set up the project (its git work tree) for notebooks."),
    "open": Entry("runs", "Print the path of a run's executed notebook."),
    "params": Entry("params", "Show the parameters a notebook declares."),
    "publish": Entry("artefacts", "Publish a succeeded run as the next version of a name."),
    "pull": Entry("sharing", "Copy runs and versions from the team store."),
    "push": Entry("sharing", "Copy runs and versions to the team store."),
    "reproduce": Entry("operate", "Re-run a run or version and compare its outputs."),
    "run": Entry("runs", "Run a notebook or a published version."),
    "runs": Entry("listing", "List runs, newest first: filter, sort, page."),
    "schedule": Entry("scheduling", "Add, list, pause, trigger and remove schedules."),
    "scheduler": Entry("scheduling", "Run schedules in the foreground, one line per event."),
    "show": Entry("runs", "Show the record of a run."),
    "store": Entry("storage", "Configure a team store, show where it is, upgrade it."),
    "sweep": Entry("sweep", "Run a notebook once per parameter set."),
    "sweeps": Entry("listing", "List sweeps with their runs counted by status."),
    "verify": Entry("artefacts", "Recompute the sha256 of every file of a version."),
    "versions": Entry("artefacts", "List the versions of a name with their aliases."),
}
