"""Real servers for the team store, a pytest plugin named in conftest.py (and imported by
``benchmarks/team_store.py``): a throwaway PostgreSQL cluster from Debian's ``postgresql``
package and moto's standalone S3 server, each its own process on a free localhost port.

The cluster asks for a password over TCP (``scram-sha-256``), so a test that reaches it
proves that the password came from the environment and nowhere else.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from greenhouse_ext.store.config import StoreConfig, write_config

PG_USER = "greenhouse"
PG_PASSWORD = "pg-secret-3f9a1c"
AWS_KEY_ID = "AKIAGREENHOUSETEST"
AWS_SECRET = "aws-secret-7d2e4b"
SERVER_DEADLINE_S = 60.0


def free_port() -> int:
    """A TCP port free on localhost now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _postgres_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: `apt-get install postgresql` (make test)")
    return found[-1].parent


def _as_postgres(command: list[str]) -> list[str]:
    """``initdb`` refuses to run as root: run the cluster's programs as ``postgres`` then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@dataclass
class Postgres:
    """A running throwaway cluster; ``PG_USER`` owns the databases made by `database`."""

    folder: Path
    port: int

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run ``sql`` as the superuser over the cluster's socket; return what it printed."""
        command = [
            str(_postgres_bin() / "psql"),
            "-h",
            str(self.folder),
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            database,
            "-v",
            "ON_ERROR_STOP=1",
            "-Atc",
            sql,
        ]
        done = subprocess.run(_as_postgres(command), capture_output=True, text=True, check=True)
        return done.stdout

    def database(self) -> str:
        """A new empty database owned by ``PG_USER``; its SQLAlchemy URL (no password)."""
        name = f"gh_{uuid.uuid4().hex[:12]}"
        self.psql(f"CREATE DATABASE {name} OWNER {PG_USER}")
        return self.url(name)

    def url(self, name: str) -> str:
        return f"postgresql+psycopg://{PG_USER}@127.0.0.1:{self.port}/{name}"

    def terminate(self, database: str) -> None:
        """End every server process serving ``database``, as a lost connection would."""
        self.psql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{database}' AND pid <> pg_backend_pid()"
        )

    def stop(self) -> None:
        pg_ctl = str(_postgres_bin() / "pg_ctl")
        subprocess.run(
            _as_postgres([pg_ctl, "-D", str(self.folder / "data"), "-m", "immediate", "stop"]),
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


def start_postgres() -> Postgres:
    """Make a cluster in a new folder owned by ``postgres`` and start it on a free port."""
    folder = Path(tempfile.mkdtemp(prefix="greenhouse-pg-"))
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    os.chmod(folder, 0o700)
    bindir = _postgres_bin()
    password_file = folder / "superuser-password"
    password_file.write_text(PG_PASSWORD + "\n")
    if os.geteuid() == 0:
        os.chown(password_file, owner.pw_uid, owner.pw_gid)
    initdb = [
        str(bindir / "initdb"),
        "-D",
        str(folder / "data"),
        "-U",
        "postgres",
        "--auth-local=trust",
        "--auth-host=scram-sha-256",
        f"--pwfile={password_file}",
        "--no-sync",
    ]
    subprocess.run(_as_postgres(initdb), capture_output=True, check=True)
    port = free_port()
    options = (
        f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    )
    start = [
        str(bindir / "pg_ctl"),
        "-D",
        str(folder / "data"),
        "-l",
        str(folder / "server.log"),
        "-o",
        options,
        "-w",
        "start",
    ]
    subprocess.run(_as_postgres(start), capture_output=True, check=True)
    server = Postgres(folder, port)
    server.psql(f"CREATE ROLE {PG_USER} LOGIN PASSWORD '{PG_PASSWORD}'")
    return server


@dataclass
class S3:
    """moto's standalone S3 server; `bucket` makes a new empty bucket."""

    process: subprocess.Popen[bytes]
    port: int

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def bucket(self) -> str:
        """A new empty bucket; its name."""
        import s3fs

        name = f"gh-{uuid.uuid4().hex[:12]}"
        s3fs.S3FileSystem(endpoint_url=self.endpoint_url, skip_instance_cache=True).mkdir(name)
        return name

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def start_s3() -> S3:
    """Start ``python -m moto.server`` on a free port and wait until it answers."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = S3(process, port)
    deadline = time.monotonic() + SERVER_DEADLINE_S
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(server.endpoint_url, timeout=5):
                return server
        except OSError:
            time.sleep(0.2)
    server.stop()
    raise TimeoutError(f"the moto S3 server did not answer on port {port}")


def service_environment() -> dict[str, str]:
    """The credentials, as a user's environment would hold them (never in a file)."""
    return {
        "PGPASSWORD": PG_PASSWORD,
        "AWS_ACCESS_KEY_ID": AWS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": AWS_SECRET,
        "AWS_DEFAULT_REGION": "us-east-1",
    }


@contextlib.contextmanager
def running_services() -> Iterator[tuple[Postgres, S3]]:
    """A PostgreSQL cluster and an S3 server for the duration of the block."""
    postgres = start_postgres()
    try:
        s3 = start_s3()
        try:
            yield postgres, s3
        finally:
            s3.stop()
    finally:
        postgres.stop()


@pytest.fixture(scope="session")
def services() -> Iterator[tuple[Postgres, S3]]:
    """The session's PostgreSQL cluster and S3 server, started on first use."""
    with running_services() as both:
        yield both


@pytest.fixture
def service_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The services' credentials in this test's environment (and its subprocesses')."""
    env = service_environment()
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("GREENHOUSE_STORE", raising=False)
    monkeypatch.delenv("GREENHOUSE_INDEX_URL", raising=False)
    monkeypatch.delenv("GREENHOUSE_OBJECTS_URL", raising=False)
    return env


@pytest.fixture
def postgres(services: tuple[Postgres, S3], service_env: dict[str, str]) -> Postgres:
    return services[0]


@pytest.fixture
def s3(services: tuple[Postgres, S3], service_env: dict[str, str]) -> S3:
    return services[1]


@pytest.fixture
def team(postgres: Postgres, s3: S3) -> StoreConfig:
    """A new, empty team store: a database of its own and a bucket of its own."""
    return StoreConfig(postgres.database(), f"s3://{s3.bucket()}/greenhouse", s3.endpoint_url)


def team_project(folder: Path, config: StoreConfig) -> Path:
    """A git work tree at ``folder`` whose greenhouse.toml names the team store ``config``."""
    (folder / ".git").mkdir(parents=True, exist_ok=True)
    write_config(folder, config)
    return folder
