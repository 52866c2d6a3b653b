"""A git work tree set up for notebooks: nbdime's drivers, output stripping, the store ignored."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import Conflict, GreenhouseError, InvalidInput

DIFF_DRIVER_KEY = "diff.jupyternotebook.command"
MERGE_DRIVER_KEY = "merge.jupyternotebook.driver"
STRIP_FILTER_KEY = "filter.nbstripout.clean"
# nbdime's merge driver drops the outputs and execution counts both sides changed, rather
# than marking them inline: working copies' outputs are transient, the store keeps them.
OUTPUT_STRATEGY = "remove"
IGNORED_STORE = ".greenhouse/"
PRE_COMMIT_CONFIG = ".pre-commit-config.yaml"
HOOK_ID = "greenhouse-params"
# A path `git check-attr` evaluates the attributes of: any notebook of the project.
_PROBE = "notebook.ipynb"
_DIFF_LINE = "*.ipynb diff=jupyternotebook"
# The hook this repository's .pre-commit-hooks.yaml provides, as a local one: it needs no
# network, and runs the greenhouse of the environment one commits from.
_HOOK_LINES = (
    "- repo: local",
    "  hooks:",
    f"    - id: {HOOK_ID}",
    "      name: greenhouse params --check",
    "      entry: greenhouse params --check",
    "      language: system",
    "      types: [jupyter]",
)

_Step = tuple[str, str, Callable[[], bool], Callable[[], None]]


@dataclass(frozen=True)
class Setting:
    """One thing a project needs for git to handle its notebooks, and whether it is there.

    Parameters
    ----------
    name : str
        A short key (``diff driver``, ``merge driver``, ``gitignore``, ``pre-commit hook``,
        ``strip outputs``).
    what : str
        What the setting is and where it lives, in a phrase.
    done : bool
        Whether the project has it in effect.
    """

    name: str
    what: str
    done: bool


def work_tree(start: str | os.PathLike[str]) -> Path:
    """The root of the git work tree holding ``start``.

    Raises
    ------
    InvalidInput
        ``start`` is not inside a git work tree (or git is not installed).
    """
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            cwd=start,
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        raise InvalidInput("git is not installed (no `git` on PATH): install it first") from None
    if done.returncode != 0 or not done.stdout.strip():
        raise InvalidInput(
            f"{Path(start).resolve()} is not in a git work tree: run `git init` there first, "
            "or run this in a folder of your project's repository"
        )
    return Path(done.stdout.strip()).resolve()


class Project:
    """The git settings of the work tree at ``root`` that let git diff and merge notebooks.

    Parameters
    ----------
    root : path-like
        The root of a git work tree (see `work_tree`).
    scope : {None, "global"}
        Where the drivers and the filter are configured: this repository (None) or the
        user's global git configuration. The ignore file and pre-commit hook are the
        project's either way.
    """

    def __init__(self, root: str | os.PathLike[str], scope: str | None = None) -> None:
        if scope not in (None, "global"):
            raise InvalidInput(f"Unknown git configuration scope {scope!r}: give None or 'global'")
        self.root = Path(root)
        self.scope = scope
        python = sys.executable
        self.diff_command = f'"{python}" -m nbdime.vcs.git.diffdriver diff'
        self.strip_command = f'"{python}" -m nbstripout --keep-id'
        self.merge_command = (
            f'"{python}" -m nbdime.vcs.git.mergedriver merge '
            f"--output-strategy {OUTPUT_STRATEGY} %O %A %B %L %P"
        )

    def settings(self, strip_outputs: bool = False) -> list[Setting]:
        """Each setting the project needs (and output stripping when asked), read only."""
        return [Setting(name, what, done()) for name, what, done, _ in self._steps(strip_outputs)]

    def configure(self, strip_outputs: bool = False) -> list[Setting]:
        """Put in place every setting the project lacks; return those that were changed.

        Raises
        ------
        InvalidInput
            The pre-commit configuration is not one that the hook can be added to (checked
            before anything is changed).
        Conflict
            A setting was written but another git file overrides it (such as an attributes
            file of higher precedence naming another diff driver).
        """
        steps = self._steps(strip_outputs)
        if any(name == "pre-commit hook" and not done() for name, _, done, _ in steps):
            self._hooked_config()
        changed = []
        for name, what, done, apply in steps:
            if not done():
                apply()
                changed.append(Setting(name, what, True))
        overridden = [s for s in self.settings(strip_outputs) if not s.done]
        if overridden:
            raise Conflict(
                "Set up, but still not in effect: "
                + "; ".join(s.what for s in overridden)
                + f" (`git check-attr -a {_PROBE}` shows which attributes win: an attributes "
                "file of higher precedence, such as .git/info/attributes, overrides them)"
            )
        return changed

    def _steps(self, strip_outputs: bool) -> list[_Step]:
        where = "your global git configuration" if self.scope else "this repository's git config"
        steps: list[_Step] = [
            (
                "diff driver",
                f"nbdime's diff driver for notebooks ({where}, .gitattributes)",
                lambda: self._driver_done(DIFF_DRIVER_KEY, self.diff_command, "diff"),
                lambda: self._enable_driver("diffdriver", DIFF_DRIVER_KEY, self.diff_command),
            ),
            (
                "merge driver",
                f"nbdime's merge driver for notebooks, dropping outputs both sides changed "
                f"({where}, .gitattributes)",
                lambda: self._driver_done(MERGE_DRIVER_KEY, self.merge_command, "merge"),
                lambda: self._enable_driver("mergedriver", MERGE_DRIVER_KEY, self.merge_command),
            ),
            (
                "gitignore",
                f"the store ({IGNORED_STORE}) in .gitignore",
                self._store_ignored,
                self._ignore_store,
            ),
        ]
        if (self.root / PRE_COMMIT_CONFIG).is_file():
            steps.append(
                (
                    "pre-commit hook",
                    f"the {HOOK_ID} hook (greenhouse params --check) in {PRE_COMMIT_CONFIG}",
                    self._hook_present,
                    lambda: _replace(self.root / PRE_COMMIT_CONFIG, self._hooked_config()),
                )
            )
        if strip_outputs:
            steps.append(
                (
                    "strip outputs",
                    f"nbstripout as the filter of notebooks ({where}, "
                    f"{self._attributes_file().name})",
                    self._stripping,
                    self._install_stripping,
                )
            )
        return steps

    # Git ---------------------------------------------------------------------

    def _git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return _run(["git", *args], self.root, check)

    def _config(self, *args: str) -> list[str]:
        return ["config", *(["--global"] if self.scope else []), *args]

    def _config_value(self, key: str) -> str | None:
        done = self._git(*self._config("--get", key), check=False)
        return done.stdout.strip() if done.returncode == 0 else None

    def _attribute(self, name: str) -> str:
        line = self._git("check-attr", name, "--", _PROBE).stdout.strip()
        return line.rsplit(": ", 1)[-1]

    # Drivers -----------------------------------------------------------------

    def _driver_done(self, key: str, command: str, attribute: str) -> bool:
        return self._config_value(key) == command and self._attribute(attribute) == (
            "jupyternotebook"
        )

    def _enable_driver(self, module: str, key: str, command: str) -> None:
        """nbdime's own ``config --enable`` (the config and the attributes line), then the
        driver's command set to this Python, so that it works from a virtual environment."""
        scope = ["--global"] if self.scope else []
        _run(
            [sys.executable, "-m", f"nbdime.vcs.git.{module}", "config", "--enable", *scope],
            self.root,
        )
        self._git(*self._config(key, command))

    # The store ---------------------------------------------------------------

    def _store_ignored(self) -> bool:
        done = self._git("check-ignore", "-q", "--no-index", IGNORED_STORE, check=False)
        return done.returncode == 0

    def _ignore_store(self) -> None:
        path = self.root / ".gitignore"
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        separator = "\n" if text and not text.endswith("\n") else ""
        _replace(
            path,
            f"{text}{separator}# greenhouse's store: runs and versions are kept there, not in "
            f"git\n{IGNORED_STORE}\n",
        )

    # pre-commit --------------------------------------------------------------

    def _hook_present(self) -> bool:
        return any(
            hook.get("id") == HOOK_ID
            for repo in self._pre_commit_repos(self.root / PRE_COMMIT_CONFIG)
            for hook in (repo.get("hooks") or [] if isinstance(repo, dict) else [])
            if isinstance(hook, dict)
        )

    def _pre_commit_repos(self, path: Path, text: str | None = None) -> list[object]:
        import yaml

        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8") if text is None else text)
        except yaml.YAMLError as exc:
            raise InvalidInput(f"{path} is not valid YAML: {exc}") from None
        repos = data.get("repos") if isinstance(data, dict) else None
        if not isinstance(repos, list):
            raise InvalidInput(
                f"{path} is not a pre-commit configuration: it needs a list of `repos:`"
            )
        return repos

    def _hooked_config(self) -> str:
        """The pre-commit configuration with the hook appended to its ``repos`` list, the
        rest of the file (comments included) as it was.

        Raises
        ------
        InvalidInput
            The list is not the file's last block, so the hook cannot be appended to it.
        """
        path = self.root / PRE_COMMIT_CONFIG
        text = path.read_text(encoding="utf-8")
        repos = self._pre_commit_repos(path)
        indent = re.search(r"^repos:[ \t]*(?:#.*)?\n(?:[ \t]*(?:#.*)?\n)*([ \t]*)-", text, re.M)
        prefix = indent.group(1) if indent else ""
        block = "".join(f"{prefix}{line}\n" for line in _HOOK_LINES)
        hooked = f"{text}{'' if text.endswith(chr(10)) else chr(10)}{block}"
        try:
            appended = self._pre_commit_repos(path, hooked) if indent else []
        except InvalidInput:
            appended = []
        if appended[:-1] != repos or appended[-1:] != [_hook_repo()]:
            raise InvalidInput(
                f"Cannot add the {HOOK_ID} hook to {path}: its `repos:` list is not the last "
                "block of the file (nothing was changed); add these lines to the list:\n"
                + "".join(f"  {line}\n" for line in _HOOK_LINES)
            )
        return hooked

    # Output stripping --------------------------------------------------------

    def _attributes_file(self) -> Path:
        """The attributes file nbstripout's filter goes to: this clone's own
        (``.git/info/attributes``), or the global one git reads."""
        if self.scope is None:
            return (
                self.root / self._git("rev-parse", "--git-path", "info/attributes").stdout.strip()
            )
        named = self._config_value("core.attributesFile")
        if named:
            return Path(named).expanduser()
        config_home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
        return Path(config_home) / "git" / "attributes"

    def _stripping(self) -> bool:
        return self._config_value(STRIP_FILTER_KEY) == self.strip_command and (
            self._attribute("filter") == "nbstripout"
        )

    def _install_stripping(self) -> None:
        """nbstripout's own ``--install``, into an attributes file that already names
        nbdime's diff driver, so that nbstripout does not add its own (``diff=ipynb``),
        which would win over nbdime's; then the filter set to keep cell ids, by which
        nbdime's merge driver matches cells (nbstripout would number them by position)."""
        attributes = self._attributes_file()
        text = attributes.read_text(encoding="utf-8") if attributes.is_file() else ""
        if _DIFF_LINE not in text.splitlines():
            attributes.parent.mkdir(parents=True, exist_ok=True)
            separator = "\n" if text and not text.endswith("\n") else ""
            _replace(attributes, f"{text}{separator}{_DIFF_LINE}\n")
        scope = ["--global"] if self.scope else []
        _run(
            [
                sys.executable,
                "-m",
                "nbstripout",
                "--install",
                "--attributes",
                str(attributes),
                *scope,
            ],
            self.root,
        )
        self._git(*self._config(STRIP_FILTER_KEY, self.strip_command))


def _run(command: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``command`` in ``cwd``; a failure (when ``check``) raises with the tool's message."""
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        tool = " ".join(command[2:4] if command[0] == sys.executable else command[:2])
        raise GreenhouseError(
            f"`{tool}` failed in {cwd} (exit {done.returncode}): "
            f"{(done.stderr or done.stdout).strip() or 'no message'}"
        )
    return done


def _hook_repo() -> object:
    """The pre-commit ``repo: local`` entry of the hook, as YAML reads it."""
    import yaml

    return yaml.safe_load("\n".join(_HOOK_LINES))[0]


def _replace(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a temporary file, then a rename)."""
    tmp = path.with_name(f".{path.name}.greenhouse-tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
