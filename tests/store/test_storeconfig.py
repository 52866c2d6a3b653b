"""greenhouse.toml: written without credentials, read back, found like the store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from faults import greenhouse

from greenhouse_ext.errors import InvalidInput
from greenhouse_ext.store import describe, find_store_root
from greenhouse_ext.store.config import (
    CONFIG_FILENAME,
    StoreConfig,
    checked,
    read_config,
    redacted,
    write_config,
)

INDEX = "postgresql+psycopg://alice@db.example.org:5432/greenhouse"
OBJECTS = "s3://team-bucket/greenhouse"


def test_a_config_is_written_and_read_back_keeping_other_tables(tmp_path: Path) -> None:
    (tmp_path / CONFIG_FILENAME).write_text('[tool]\nanswer = 42\n\n[store]\nindex = "x"\n')
    config = StoreConfig(INDEX, OBJECTS, "http://127.0.0.1:9000")
    write_config(tmp_path, config)
    assert read_config(tmp_path) == config
    text = (tmp_path / CONFIG_FILENAME).read_text()
    assert text.count("[store]") == 1
    assert "answer = 42" in text
    write_config(tmp_path, StoreConfig(INDEX, "s3://other/prefix"))
    assert read_config(tmp_path) == StoreConfig(INDEX, "s3://other/prefix")
    rewritten = (tmp_path / CONFIG_FILENAME).read_text()
    assert (rewritten.count("# The team store"), rewritten.count("answer = 42")) == (1, 1)
    assert "endpoint_url" not in rewritten


@pytest.mark.parametrize(
    ("index", "objects", "endpoint", "named"),
    [
        ("postgresql+psycopg://alice:hunter2@db/greenhouse", OBJECTS, None, "PGPASSWORD"),
        ("postgresql+psycopg://alice@db/greenhouse?password=hunter2", OBJECTS, None, "pgpass"),
        (INDEX, "s3://KEY:hunter2@bucket/prefix", None, "AWS credential chain"),
        (INDEX, OBJECTS, "https://key:hunter2@s3.example.org", "AWS credential chain"),
        (INDEX, "s3://bucket/p?secret_access_key=hunter2", None, "AWS credential chain"),
        ("mysql://alice@db/greenhouse", OBJECTS, None, "not supported"),
        ("not a url", OBJECTS, None, "not a database URL"),
    ],
)
def test_credentials_and_unknown_databases_are_refused(
    index: str, objects: str, endpoint: str | None, named: str
) -> None:
    with pytest.raises(InvalidInput, match=named) as refused:
        checked(index, objects, endpoint)
    assert "hunter2" not in refused.value.message


def test_store_init_refuses_a_password_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    done = greenhouse(
        "store",
        "init",
        "--index",
        "postgresql+psycopg://alice:hunter2@127.0.0.1:1/greenhouse",
        "--objects",
        OBJECTS,
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert "PGPASSWORD" in done.stderr and "~/.pgpass" in done.stderr
    assert "hunter2" not in done.stderr + done.stdout
    assert not (tmp_path / CONFIG_FILENAME).exists()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[store\n", "not valid TOML"),
        ('[store]\nindex = "sqlite:///x"\n', "store.objects must be a string"),
        ('[store]\nindex = 1\nobjects = "o"\n', "store.index must be a string"),
        ('store = "x"\n', "must be a table"),
        ('[store]\nindex = "postgresql://u:pw@h/d"\nobjects = "o"\n', "holds a password"),
    ],
)
def test_a_bad_config_is_named_with_its_problem(tmp_path: Path, text: str, problem: str) -> None:
    (tmp_path / CONFIG_FILENAME).write_text(text)
    with pytest.raises(InvalidInput, match=problem):
        read_config(tmp_path)


def test_a_config_makes_its_folder_the_project_root(tmp_path: Path) -> None:
    (tmp_path / ".greenhouse").mkdir()
    project = tmp_path / "team"
    deep = project / "a" / "b"
    deep.mkdir(parents=True)
    write_config(project, StoreConfig(INDEX, OBJECTS))
    assert find_store_root(deep) == project / ".greenhouse"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "postgresql+psycopg://alice:hunter2@db:5432/gh",
            "postgresql+psycopg://alice:***@db:5432/gh",
        ),
        (
            "postgresql://db/gh?password=hunter2&sslmode=require",
            "postgresql://db/gh?password=***&sslmode=require",
        ),
        ("s3://bucket/prefix", "s3://bucket/prefix"),
        ("/a/local/folder", "/a/local/folder"),
        ("sqlite:////abs/index.sqlite", "sqlite:////abs/index.sqlite"),
        ("sqlite:///rel/index.sqlite", "sqlite:///rel/index.sqlite"),
        ("sqlite://", "sqlite://"),
        (
            "postgresql+psycopg://me:hunter2@db/gh?sslpassword=x&application_name=a",
            "postgresql+psycopg://me:***@db/gh?sslpassword=***&application_name=a",
        ),
    ],
)
def test_urls_are_shown_without_secrets(url: str, shown: str) -> None:
    assert redacted(url) == shown


def test_store_info_shows_a_local_store_and_an_env_index_without_its_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".git").mkdir()
    done = greenhouse("store", "info", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert (info["database"], info["schema"], info["config"]) == ("sqlite", None, None)
    assert not (tmp_path / ".greenhouse" / "index.sqlite").exists()
    monkeypatch.setenv("GREENHOUSE_INDEX_URL", "postgresql+psycopg://u:hunter2@127.0.0.1:1/gh")
    info = describe(tmp_path / ".greenhouse")
    assert info["index"] == "postgresql+psycopg://u:***@127.0.0.1:1/gh"
    assert "cannot connect" in info["problem"] and "hunter2" not in info["problem"]
    unreachable = greenhouse("store", "info", cwd=tmp_path)
    assert unreachable.returncode == 3
    assert "u:***@127.0.0.1:1/gh" in unreachable.stdout
    assert "hunter2" not in unreachable.stdout + unreachable.stderr
