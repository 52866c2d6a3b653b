"""The store configuration: ``greenhouse.toml`` at a project's root names a team store.

The file sits beside the project's ``.greenhouse`` folder and is meant to be committed,
so it holds addresses only, never a credential::

    [store]
    index = "postgresql+psycopg://alice@db.example.org:5432/greenhouse"
    objects = "s3://team-bucket/greenhouse"
    endpoint_url = "https://s3.example.org"   # optional: an S3-compatible service

Passwords and keys come from where their libraries look: ``PGPASSWORD`` or
``~/.pgpass`` for PostgreSQL (libpq's rules), the AWS credential chain
(``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, ``~/.aws/credentials``, roles) for S3,
whose endpoint may also come from ``AWS_ENDPOINT_URL``.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InvalidInput

CONFIG_FILENAME = "greenhouse.toml"
DEFAULT_MAX_INPUT_BYTES = 256 * 1024 * 1024
INDEX_URL_ENV = "GREENHOUSE_INDEX_URL"
INDEX_URL_FORMS = (
    "sqlite:////ABSOLUTE/PATH/index.sqlite (four slashes), sqlite:///RELATIVE/PATH/index.sqlite "
    "or postgresql+psycopg://USER@HOST:5432/DB"
)
ENDPOINT_ENV = "AWS_ENDPOINT_URL"
INDEX_SCHEMES = ("sqlite", "postgresql")
_SECRET_QUERY_KEYS = ("password", "secret", "key", "token")
_HEADER = (
    "# The team store greenhouse uses in this project (greenhouse store init).",
    "# No credentials here: PGPASSWORD or ~/.pgpass, and the AWS credential chain.",
)


@dataclass(frozen=True)
class StoreConfig:
    """Where a team store's index and objects live (addresses only).

    Parameters
    ----------
    index : str
        An SQLAlchemy URL of the index database, with no password.
    objects : str
        An fsspec URL of the objects' folder, with no credentials.
    endpoint_url : str, optional
        The endpoint of an S3-compatible object store.
    """

    index: str
    objects: str
    endpoint_url: str | None = None

    def storage_options(self) -> dict[str, Any]:
        """The fsspec options for the objects' file system: the S3 endpoint, if one is set."""
        endpoint = self.endpoint_url or os.environ.get(ENDPOINT_ENV)
        if endpoint and self.objects.startswith(("s3://", "s3a://")):
            return {"endpoint_url": endpoint}
        return {}


def checked(index: str, objects: str, endpoint_url: str | None = None) -> StoreConfig:
    """A configuration from the addresses given, refused if one carries a credential.

    Raises
    ------
    InvalidInput
        An index URL that is not SQLite or PostgreSQL, or that holds a password; an
        objects or endpoint URL that holds a user, password or key.
    """
    check_index_url(index)
    _check_no_credentials(objects, "objects URL")
    if endpoint_url is not None:
        _check_no_credentials(endpoint_url, "endpoint URL")
    return StoreConfig(index, objects, endpoint_url)


def check_index_url(url: str) -> None:
    """Refuse an index URL that is malformed, of another database, or holds a password."""
    import sqlalchemy as sa

    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        raise InvalidInput(f"The index URL {url!r} is not a database URL") from None
    if parsed.get_backend_name() not in INDEX_SCHEMES:
        raise InvalidInput(
            f"The index database {parsed.get_backend_name()!r} is not supported: give a "
            "postgresql+psycopg://USER@HOST:PORT/DB (or sqlite:///PATH) URL"
        )
    if parsed.password is not None or "password" in parsed.query:
        raise InvalidInput(
            "The index URL holds a password, which must not be written to a file that git "
            "carries: remove it from the URL and set PGPASSWORD or add it to ~/.pgpass"
        )


def env_index_url() -> str | None:
    """The index URL ``$GREENHOUSE_INDEX_URL`` gives, if any, checked by `check_index_form`."""
    url = os.environ.get(INDEX_URL_ENV)
    if not url:
        return None
    check_index_form(url, f"${INDEX_URL_ENV}")
    return url


def check_index_form(url: str, origin: str) -> None:
    """Refuse an index URL that SQLAlchemy cannot use, saying the forms it takes.

    Parameters
    ----------
    url : str
        The URL.
    origin : str
        Where it was given, for the message (``$GREENHOUSE_INDEX_URL``).

    Raises
    ------
    InvalidInput
        Not an SQLAlchemy URL, not SQLite or PostgreSQL, an unknown driver, or an SQLite
        URL with a host (``sqlite://tmp/x``: the path follows three slashes).
    """
    import sqlalchemy as sa

    try:
        parsed = sa.make_url(url)
        backend = parsed.get_backend_name()
        if backend not in INDEX_SCHEMES:
            problem = f"the database {backend!r} is not supported"
        elif backend == "sqlite" and (parsed.host or parsed.username or parsed.port):
            problem = "an SQLite URL names no host: the path follows three slashes"
        else:
            parsed.get_dialect()
            return
    except sa.exc.NoSuchModuleError:
        problem = "its driver is unknown"
    except sa.exc.ArgumentError:
        problem = "it is not a database URL"
    raise InvalidInput(
        f"The index URL {redacted(url)!r} in {origin} is malformed ({problem}): expected "
        f"{INDEX_URL_FORMS}"
    )


def check_index_folder(url: str) -> None:
    """Refuse an SQLite index URL whose file would be in a folder that does not exist.

    A store being set up names its index on purpose: a missing folder is a mistyped path
    or a share that is not mounted, which creating the folder would hide.

    Raises
    ------
    InvalidInput
        The folder of the SQLite file does not exist.
    """
    import sqlalchemy as sa

    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return
    folder = Path(parsed.database).expanduser().absolute().parent
    if not folder.is_dir():
        raise InvalidInput(
            f"The index URL {url!r} names an SQLite file in {folder}, which is not a folder "
            "that exists: create it first, or give the URL of a file in an existing folder"
        )


def _check_no_credentials(url: str, what: str) -> None:
    parts = urllib.parse.urlsplit(url)
    query = {key.lower() for key in urllib.parse.parse_qs(parts.query)}
    if parts.username or parts.password or any(k in q for q in query for k in _SECRET_QUERY_KEYS):
        raise InvalidInput(
            f"The {what} holds credentials, which must not be written to a file that git "
            "carries: remove them and use the AWS credential chain (AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, ~/.aws/credentials, or a role)"
        )


def config_path(project: Path) -> Path:
    """Where the configuration of the project at ``project`` is."""
    return project / CONFIG_FILENAME


def read_config(project: Path) -> StoreConfig | None:
    """The team store configured in ``project/greenhouse.toml``; None when there is none.

    Raises
    ------
    InvalidInput
        The file is not valid TOML, lacks ``index`` or ``objects``, or holds a credential.
    """
    path = config_path(project)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        data = _toml().loads(text)
    except _toml().TOMLDecodeError as exc:
        raise InvalidInput(f"{path} is not valid TOML: {exc}") from None
    table = data.get("store")
    if table is None:
        return None
    if not isinstance(table, dict):
        raise InvalidInput(f"{path}: [store] must be a table")
    problems = [
        f"store.{key} must be a string"
        for key in ("index", "objects")
        if not isinstance(table.get(key), str)
    ]
    if "endpoint_url" in table and not isinstance(table["endpoint_url"], str):
        problems.append("store.endpoint_url must be a string")
    if problems:
        raise InvalidInput(f"{path} does not name a store: {'; '.join(problems)}", problems)
    try:
        return checked(table["index"], table["objects"], table.get("endpoint_url"))
    except InvalidInput as exc:
        raise InvalidInput(f"{path}: {exc.message}") from None


def write_config(project: Path, config: StoreConfig) -> Path:
    """Write ``config`` as ``project/greenhouse.toml`` (replacing its ``[store]`` table only).

    Returns
    -------
    Path
        The file written.
    """
    path = config_path(project)
    kept = ""
    if path.is_file():
        kept = _without_store_table(path.read_text(encoding="utf-8"))
    lines = [
        *_HEADER,
        "[store]",
        f"index = {json.dumps(config.index)}",
        f"objects = {json.dumps(config.objects)}",
    ]
    if config.endpoint_url is not None:
        lines.append(f"endpoint_url = {json.dumps(config.endpoint_url)}")
    text = "\n".join(lines) + "\n" + (f"\n{kept}" if kept.strip() else "")
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def _without_store_table(text: str) -> str:
    """``text`` without its ``[store]`` table and the header greenhouse writes above it."""
    kept: list[str] = []
    inside = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            inside = stripped == "[store]"
        if not inside and stripped not in _HEADER:
            kept.append(line)
    return "\n".join(kept).strip("\n") + "\n" if any(s.strip() for s in kept) else ""


def redacted(url: str) -> str:
    """``url`` as it may be shown: any password or key in it replaced by ``***``."""
    if "://" not in url:
        return url
    # Only the secrets are replaced, in the text as given: taken apart and put together
    # again, `sqlite:////abs/path` would come back as `sqlite://abs/path`, another URL.
    parts = urllib.parse.urlsplit(url)
    shown = url
    if parts.password is not None:
        scheme, _, rest = shown.partition("://")
        shown = f"{scheme}://{rest.replace(f':{parts.password}@', ':***@', 1)}"
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    if any(s in k.lower() for k, _ in query for s in _SECRET_QUERY_KEYS):
        safe_query = [
            (k, "***" if any(s in k.lower() for s in _SECRET_QUERY_KEYS) else v) for k, v in query
        ]
        base, _, _ = shown.partition("?")
        shown = f"{base}?{urllib.parse.urlencode(safe_query, safe='*')}"
    return shown


def read_environment_settings(project: Path) -> tuple[list[str], list[str]]:
    """The ``[environment]`` table of ``project/greenhouse.toml``: the variables every run
    records (``variables``) and those recorded masked (``secret_variables``).

    Raises
    ------
    InvalidInput
        The file is not valid TOML, or a setting is not a list of names.
    """
    path = config_path(project)
    try:
        data = _toml().loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return [], []
    except _toml().TOMLDecodeError as exc:
        raise InvalidInput(f"{path} is not valid TOML: {exc}") from None
    table = data.get("environment", {})
    found: list[list[str]] = []
    for key in ("variables", "secret_variables"):
        names = table.get(key, []) if isinstance(table, dict) else None
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise InvalidInput(f"{path}: environment.{key} must be a list of variable names")
        found.append(names)
    return found[0], found[1]


def read_max_input_bytes(project: Path) -> int:
    """The largest declared input a version keeps in the store, in bytes: ``max_input_bytes``
    of the ``[inputs]`` table of ``project/greenhouse.toml`` (default 256 MiB).

    Raises
    ------
    InvalidInput
        The file is not valid TOML, or the setting is not a whole number of bytes >= 0.
    """
    path = config_path(project)
    try:
        data = _toml().loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return DEFAULT_MAX_INPUT_BYTES
    except _toml().TOMLDecodeError as exc:
        raise InvalidInput(f"{path} is not valid TOML: {exc}") from None
    table = data.get("inputs", {})
    value = table.get("max_input_bytes", DEFAULT_MAX_INPUT_BYTES) if isinstance(table, dict) else 0
    if not isinstance(table, dict):
        value = None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(
            f"{path}: inputs.max_input_bytes must be a whole number of bytes (0 or more), "
            f"e.g. {DEFAULT_MAX_INPUT_BYTES} for 256 MiB"
        )
    return value


def _toml() -> Any:
    """The TOML reader, imported when a configuration is read (most commands read none)."""
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    else:
        import tomli

        return tomli
