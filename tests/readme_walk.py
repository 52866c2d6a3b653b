"""Follow README.md's console blocks in order in a scratch copy of examples/; compare or paste
their output (``python tests/readme_walk.py [--write]``)."""

from __future__ import annotations

import argparse
import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
PROJECT = "/home/alice/project"
"""What the README calls the scratch folder (it holds ``examples/`` and is a git work tree)."""
LEFT_BEHIND = shutil.ignore_patterns(
    ".greenhouse", "published", "outputs", ".ipynb_checkpoints", "*.out.ipynb", "greenhouse.toml"
)
COMMAND_DEADLINE_S = 300.0

ID = re.compile(r"\b[0-9a-f]{12}\b")
PREFIX = re.compile(r"\b[0-9a-f]{4,12}\b")
EXIT = re.compile(r"#\s*exit (\d+)(?::|\s*$)")
VOLATILE = [
    re.compile(r"\b\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d\d:\d\d|Z)?"),
    re.compile(r"\b\d+(?:\.\d+)?s\b"),
    re.compile(r"\b[0-9a-f]{40}\b"),
    re.compile(r"\bPython \d+\.\d+\.\d+"),
]
"""What differs from one run of the walk to the next: each matches any text of its form."""


@dataclass
class Command:
    """One ``$`` command of a console block and the output the README shows for it."""

    text: str
    expected: list[str]
    line: int
    """The README's line number (0-based) of the first expected output line."""

    @property
    def start(self) -> int:
        """The README's line number (1-based) of the command's ``$`` line."""
        return self.line - self.text.count("\n")

    @property
    def exit_code(self) -> int:
        found = EXIT.search(self.text.splitlines()[-1])
        return int(found.group(1)) if found else 0


def commands(markdown: str) -> list[Command]:
    """Every command of every ```console block, in order.

    A ``$ `` line is a command (a trailing ``\\`` continues it on the next line); the lines
    up to the next ``$ `` are what it prints (standard output and error, as one unbuffered
    stream). A ``...`` line stands for any run of lines, `` ...`` ending a line for the rest
    of it. A command exits 0 unless its comment says otherwise (``# exit 1`` or
    ``# exit 1: why``).
    """
    found: list[Command] = []
    inside = False
    lines = markdown.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.strip().startswith("```"):
            inside = line.strip() == "```console" if not inside else False
        elif inside and line.startswith("$ "):
            text = line[2:]
            while text.endswith("\\"):
                index += 1
                text += "\n" + lines[index]
            found.append(Command(text, [], index + 1))
        elif inside and found:
            found[-1].expected.append(line)
        index += 1
    return found


@dataclass
class Walk:
    """A scratch project where the README's commands run, and what links it to the README."""

    folder: Path
    env: dict[str, str]
    addresses: dict[str, str] = field(default_factory=dict)
    """README address -> the real one (the team store's servers)."""
    ids: dict[str, str] = field(default_factory=dict)
    """README run or sweep id -> the real one."""
    cwd: Path = field(init=False)

    def __post_init__(self) -> None:
        self.cwd = self.folder

    def command(self, text: str) -> str:
        """``text`` with README ids (or prefixes of them) and addresses made real."""
        for shown, real in self.addresses.items():
            text = text.replace(shown, real)

        def real_id(match: re.Match[str]) -> str:
            named = [real for shown, real in self.ids.items() if shown.startswith(match.group())]
            return named[0] if len(named) == 1 else match.group()

        return PREFIX.sub(real_id, text)

    def mask(self, output: str) -> str:
        """``output`` as the README shows it: real paths, addresses and ids replaced."""
        output = output.replace(str(self.folder), PROJECT)
        for shown, real in self.addresses.items():
            output = output.replace(real, shown)
        for shown, real in self.ids.items():
            output = output.replace(real, shown)
        return "\n".join(line.rstrip() for line in output.splitlines())

    def run(self, command: Command) -> tuple[int, str]:
        """Run ``command`` with bash where the previous one left off; its status and output."""
        state = self.folder.parent / "cwd"
        script = f'{self.command(command.text)}\nstatus=$?\npwd > "{state}"\nexit $status\n'
        done = subprocess.run(
            ["bash", "-c", script],
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=COMMAND_DEADLINE_S,
            check=False,
        )
        self.cwd = Path(state.read_text().strip())
        return done.returncode, self.mask(done.stdout)

    def matches(self, expected: list[str], output: str) -> bool:
        """Whether masked ``output`` is what ``expected`` shows; learn the ids it names."""
        groups: dict[str, str] = {}
        pattern = "".join(
            r"(?:.*\n)*?" if line == "..." else _line_pattern(line, self.ids, groups) + r"\n"
            for line in expected
        )
        found = re.fullmatch(pattern, output + "\n" if output else "")
        if found is None:
            return False
        for shown, group in groups.items():
            self.ids[shown] = found.group(group)
        return True

    def guess(self, expected: list[str], output: str) -> str:
        """Pair the README's new ids with the output's new ones in order (when pasting it)."""
        shown = [i for i in dict.fromkeys(ID.findall("\n".join(expected))) if i not in self.ids]
        real = [i for i in dict.fromkeys(ID.findall(output)) if i not in self.ids.values()]
        self.ids.update(zip(shown, real, strict=False))
        return self.mask(output)


def _line_pattern(line: str, known: dict[str, str], groups: dict[str, str]) -> str:
    """A regular expression for one expected line; a new id seen first here becomes a group.

    Known ids are shown as they are: the output has already been masked.
    """
    rest = ""
    if line.endswith(" ..."):
        line, rest = line[: -len("...")], ".*"
    parts: list[str] = []
    position = 0
    spans = sorted(
        [(m.start(), m.end(), "volatile", m.group()) for v in VOLATILE for m in v.finditer(line)]
        + [(m.start(), m.end(), "id", m.group()) for m in ID.finditer(line)]
    )
    for start, end, kind, text in spans:
        if start < position:
            continue
        parts.append(_literal(line[position:start]))
        if kind == "volatile":
            parts.append(next(v.pattern for v in VOLATILE if v.fullmatch(text)))
        elif text in known:
            parts.append(re.escape(text))
        elif text in groups:
            parts.append(f"(?P={groups[text]})")
        else:
            groups[text] = f"id{len(groups)}"
            parts.append(f"(?P<{groups[text]}>{text}|[0-9a-f]{{12}})")
        position = end
    parts.append(_literal(line[position:]))
    return "".join(parts) + rest


def _literal(text: str) -> str:
    return " +".join(re.escape(piece) for piece in re.split(r" +", text))


def difference(expected: list[str], output: str) -> str:
    """A unified diff of what the README shows and what the command printed (masked)."""
    lines = difflib.unified_diff(expected, output.splitlines(), "README", "real", lineterm="")
    return "\n".join(lines)


def scratch(folder: Path, env: dict[str, str]) -> Path:
    """A git work tree at ``folder`` holding a copy of examples/ as committed; its path."""
    project = folder / "project"
    shutil.copytree(REPO / "examples", project / "examples", ignore=LEFT_BEHIND)
    (folder / "home").mkdir()
    for args in (
        ["init", "-q", "-b", "main"],
        ["config", "user.name", "Alice"],
        ["config", "user.email", "alice@example.org"],
        ["add", "-A"],
        ["commit", "-q", "-m", "The examples"],
    ):
        subprocess.run(["git", *args], cwd=project, env=env, check=True, capture_output=True)
    return project


def environment(folder: Path, extra: dict[str, str]) -> dict[str, str]:
    """This interpreter's environment for the walk: its own HOME, no store named, no colour."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GREENHOUSE_", "AWS_", "PG"))}
    env.update(
        HOME=str(folder / "home"),
        USER="alice",
        LOGNAME="alice",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
        PYTHONUNBUFFERED="1",
        NO_COLOR="1",
        **extra,
    )
    return env


@dataclass
class Outcome:
    """Where the walk stopped (nothing when every command held) and the rewritten README."""

    failures: list[str]
    readme: str


def follow(
    folder: Path, markdown: str, addresses: dict[str, str], env: dict[str, str], write: bool
) -> Outcome:
    """Run every command of ``markdown`` in order in a scratch project made in ``folder``.

    Output is compared masked: durations, timestamps, git commits and Python's version match
    any value, a run of spaces any run of spaces; the scratch folder reads
    ``/home/alice/project`` and the team store's real addresses read as the README's. A run
    or sweep id the README shows (12 hex digits) stands for the one the command really
    made: a later command naming it, or a prefix of it, is given the real id.

    Parameters
    ----------
    folder
        An empty folder for the project and its HOME.
    markdown
        The README's text.
    addresses
        The README's addresses of the team store mapped to the real ones.
    env
        Variables added to the commands' environment (credentials, endpoints).
    write
        Paste each differing command's masked output into the README instead of stopping.
    """
    full = environment(folder, env)
    walk = Walk(scratch(folder, full), full, addresses)
    lines = markdown.splitlines()
    pasted: list[tuple[Command, list[str]]] = []
    failures: list[str] = []
    for command in commands(markdown):
        status, output = walk.run(command)
        where = f"README.md line {command.start}: $ {command.text}"
        if status != command.exit_code:
            failures.append(f"{where}\nexited {status}, not {command.exit_code}:\n{output}")
        elif not walk.matches(command.expected, output):
            failures.append(f"{where}\n{difference(command.expected, output)}")
            pasted.append((command, walk.guess(command.expected, output).splitlines()))
        if failures and not write:
            return Outcome(failures, markdown)
    for command, output_lines in reversed(pasted):
        start = command.line
        lines[start : start + len(command.expected)] = output_lines
    return Outcome(failures, "\n".join(lines) + "\n")


def team_addresses(
    index: str, endpoint: str, objects_bucket: str, releases_bucket: str
) -> dict[str, str]:
    """The README's team store addresses mapped to the real servers'."""
    return {
        "postgresql+psycopg://alice@db.example.org:5432/greenhouse": index,
        "https://s3.example.org": endpoint,
        "s3://team-bucket/": f"s3://{objects_bucket}/",
        "s3://releases/": f"s3://{releases_bucket}/",
    }


def _main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="paste real output into README.md")
    write = parser.parse_args().write
    sys.path.insert(0, str(Path(__file__).parent))
    from services import running_services, service_environment

    os.environ.update(service_environment())
    with running_services() as (postgres, s3), tempfile.TemporaryDirectory() as folder:
        addresses = team_addresses(postgres.database(), s3.endpoint_url, s3.bucket(), s3.bucket())
        env = {**service_environment(), "AWS_ENDPOINT_URL": s3.endpoint_url}
        outcome = follow(Path(folder), README.read_text(), addresses, env, write)
    if write:
        README.write_text(outcome.readme)
    print("\n\n".join(outcome.failures), file=sys.stderr)
    return 1 if outcome.failures else 0


if __name__ == "__main__":
    sys.exit(_main())
