"""docs/openapi.yaml describes the API exactly: its routes, and real answers match its schemas."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tornado.web
import yaml
from conftest import Api, Reply, wait_for_run, wait_for_sweep
from jsonschema import Draft202012Validator
from notebooks import write_notebook
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from greenhouse_ext.models import RunStatus
from greenhouse_ext.server.app import ROUTES

SPEC_PATH = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
SPEC = yaml.safe_load(SPEC_PATH.read_text())
SPEC_URI = "https://greenhouse.invalid/openapi.yaml"
REGISTRY = Registry().with_resource(SPEC_URI, Resource.from_contents(SPEC, DRAFT202012))
VERBS = ("get", "put", "post", "delete", "patch")
PARAMETERS = 'rate = 0.1  # learning rate | min=0, max=1\nmode = "fast"'
CELL = "from greenhouse_ext import record\nprint('rate', rate)\nrecord('score', rate * 2)"


def _pointer(*parts: str) -> str:
    return "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def _template_regex(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")


def spec_template(path: str) -> str:
    """The spec's path template that ``path`` (under the API) matches."""
    found = [t for t in SPEC["paths"] if _template_regex(t).match(path)]
    if path in found:  # schedules/preview, not schedules/{id}
        found = [path]
    assert len(found) == 1, f"{path} matches {found} in {SPEC_PATH.name}"
    return found[0]


def response_pointer(method: str, template: str, status: int, media: str) -> str:
    """The JSON pointer of the schema that documents this answer."""
    operation = SPEC["paths"][template].get(method.lower())
    assert operation is not None, f"{method} {template} is not documented"
    response = operation["responses"].get(str(status))
    assert response is not None, f"{method} {template} may not answer {status}"
    parts: tuple[str, ...] = ("paths", template, method.lower(), "responses", str(status))
    if "$ref" in response:
        parts = tuple(response["$ref"].removeprefix("#/").split("/"))
        response = SPEC["components"]["responses"][parts[-1]]
    assert media in response["content"], f"{method} {template} {status} is not {media}"
    return _pointer(*parts, "content", media, "schema")


def check_reply(method: str, path: str, reply: Reply) -> tuple[str, str, int]:
    """Validate ``reply`` against the spec; return what it exercised."""
    template = spec_template("/" + path)
    media = reply.headers["Content-Type"].split(";")[0]
    pointer = response_pointer(method, template, reply.code, media)
    if media == "application/json":
        validator = Draft202012Validator({"$ref": f"{SPEC_URI}#{pointer}"}, registry=REGISTRY)
        errors = [
            f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(reply.json)
        ]
        assert not errors, f"{method} {path} {reply.code}: {errors[:5]}"
    return method, template, reply.code


@pytest.fixture
def checked(api: Api) -> Iterator[tuple[Api, set[tuple[str, str, int]]]]:
    """``api``, validating every answer against the spec and noting what it exercised."""
    seen: set[tuple[str, str, int]] = set()

    async def call(method: str, path: str, **kwargs: Any) -> Reply:
        reply = await api(method, path, **kwargs)
        seen.add(check_reply(method, path, reply))
        return reply

    yield call, seen


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_spec_is_openapi_3_1_and_its_schemas_are_valid():
    assert SPEC["openapi"] == "3.1.0"
    for schema in SPEC["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    resolver = REGISTRY.resolver(SPEC_URI)
    for ref in set(_refs(SPEC)):
        assert resolver.lookup(ref).contents is not None, ref


def _implemented(handler: type[tornado.web.RequestHandler]) -> set[str]:
    return {
        verb.lower()
        for verb in handler.SUPPORTED_METHODS
        if getattr(handler, verb.lower()) is not tornado.web.RequestHandler._unimplemented_method
        and not getattr(getattr(handler, verb.lower()), "__allow_unauthenticated", False)
    }


def test_spec_documents_exactly_the_routes_and_verbs_the_server_has():
    served = {
        (re.sub(r"\(\[\^/\]\+\)", "{}", pattern.removeprefix("/greenhouse/api")), verb)
        for pattern, handler in ROUTES
        for verb in _implemented(handler)
    }
    documented = {
        (re.sub(r"\{[^}]+\}", "{}", template), verb)
        for template, item in SPEC["paths"].items()
        for verb in VERBS
        if verb in item
    }

    assert served == documented


async def test_every_operation_answers_as_documented(checked, jp_root_dir, greenhouse, seed_run):
    call, seen = checked
    write_notebook(jp_root_dir / "nb.ipynb", PARAMETERS, CELL)
    other = seed_run(greenhouse.store, jp_root_dir / "nb.ipynb", parameters={"rate": 0.5})

    await call("GET", "version")
    await call("GET", "parameters", params={"path": "nb.ipynb"})
    await call("POST", "parameters", body={"notebook": "nb.ipynb", "source": "rate = 0.3"})
    created = await call("POST", "runs", body={"notebook": "nb.ipynb", "parameters": {"rate": 0.2}})
    run = await wait_for_run(call, created.json["id"])
    assert run["status"] == "succeeded", run["error"]
    for part in ("", "/log", "/notebook", "/html"):
        await call("GET", f"runs/{run['id']}{part}")
    await call("GET", "runs", params={"notebook": "nb.ipynb"})
    await call("GET", "diff", params={"a": other.id, "b": run["id"]})
    await call("POST", "publish", body={"run": run["id"], "name": "model", "aliases": ["dev"]})
    from_version = await call("POST", "runs", body={"version": "model@dev"})
    assert (await wait_for_run(call, from_version.json["id"]))["status"] == "succeeded"
    await call("GET", "runs", params={"from": "model@dev"})
    await call("GET", "artefacts")
    await call("GET", "artefacts/model/versions")
    await call("PUT", "artefacts/model/aliases/production", body={"version": 1, "reason": "r"})
    await call("DELETE", "artefacts/model/aliases/dev", params={"reason": "unused"})
    await call("GET", "artefacts/model/alias-history")
    await call("GET", "schedules/preview", params={"cron": "0 6 * * *", "tz": "Europe/Berlin"})
    schedule = await call("POST", "schedules", body={"target": "model@production", "every": "1h"})
    await call("GET", "schedules")
    await call("GET", f"schedules/{schedule.json['id']}")
    await call("PATCH", f"schedules/{schedule.json['id']}", body={"paused": True})
    await call("POST", f"schedules/{schedule.json['id']}/trigger", body={})
    await call("GET", f"schedules/{schedule.json['id']}/occurrences")
    await call("GET", "schedulers")
    await call("DELETE", f"schedules/{schedule.json['id']}")
    await call("POST", "verify", body={"ref": "model@production"})
    reproducing = await call("POST", "reproduce", body={"ref": "model@1"})
    rerun = await wait_for_run(call, reproducing.json["id"])
    assert rerun["status"] == "succeeded", rerun["error"]
    reproduced = await call("GET", f"runs/{rerun['id']}/reproduction")
    assert reproduced.json["verdict"] == "reproducible", reproduced.json["reason"]
    queued = await call("POST", "runs", body={"notebook": "nb.ipynb", "timeout": 60})
    await call("POST", f"runs/{queued.json['id']}/cancel")
    sweep = await call("POST", "sweeps", body={"notebook": "nb.ipynb", "runs": [{"rate": 0.3}]})
    await wait_for_sweep(call, sweep.json["id"])
    two = {"notebook": "nb.ipynb", "timeout": 60, "parameters": {"rate": [0.1, 0.2]}}
    cancelled = await call("POST", "sweeps", body=two)
    await call("POST", f"sweeps/{cancelled.json['id']}/cancel")

    successes = {
        (verb.upper(), template, int(min(item[verb]["responses"])))
        for template, item in SPEC["paths"].items()
        for verb in VERBS
        if verb in item
    }
    assert successes <= seen, f"not exercised: {sorted(successes - seen)}"


@pytest.mark.parametrize(
    ("method", "path", "request_args", "status"),
    [
        ("GET", "parameters", {}, 400),
        ("GET", "parameters", {"params": {"path": "missing.ipynb"}}, 404),
        ("GET", "runs", {"params": {"status": "sleeping"}}, 400),
        ("POST", "runs", {"body": {"notebook": "nb.ipynb", "parameters": {"rate": 2}}}, 400),
        ("POST", "runs", {"body": {"notebook": "missing.ipynb"}}, 404),
        ("POST", "runs", {"body": {"version": "nothing@1"}}, 404),
        ("POST", "runs", {"body": {"version": "model", "notebook": "nb.ipynb"}}, 400),
        ("GET", "runs", {"params": {"from": "nothing@dev"}}, 404),
        ("GET", "runs/0123456789ab", {}, 404),
        ("POST", "runs/0123456789ab/cancel", {}, 404),
        ("POST", "runs/SEEDED/cancel", {}, 409),
        ("GET", "runs/SEEDED/log", {"params": {"offset": "-3"}}, 400),
        ("GET", "runs/0123456789ab/notebook", {}, 404),
        ("GET", "runs/0123456789ab/html", {}, 404),
        ("POST", "sweeps", {"body": {"notebook": "nb.ipynb", "runs": [{"rate": 2}]}}, 400),
        ("POST", "sweeps", {"body": {"notebook": "missing.ipynb", "runs": [{}]}}, 404),
        ("GET", "sweeps/0123456789ab", {}, 404),
        ("POST", "sweeps/0123456789ab/cancel", {}, 409),
        ("GET", "runs/SEEDED/reproduction", {}, 404),
        ("GET", "diff", {"params": {"a": "nb.ipynb"}}, 400),
        ("GET", "diff", {"params": {"a": "nb.ipynb", "b": "nothing"}}, 404),
        ("POST", "publish", {"body": {"run": "SEEDED"}}, 400),
        ("POST", "publish", {"body": {"run": "FAILED", "name": "model"}}, 409),
        ("GET", "artefacts/nothing/versions", {}, 404),
        ("PUT", "artefacts/model/aliases/production", {"body": {"version": "one"}}, 400),
        ("PUT", "artefacts/nothing/aliases/production", {"body": {"version": 1}}, 404),
        ("DELETE", "artefacts/model/aliases/canary", {}, 404),
        ("GET", "artefacts/nothing/alias-history", {}, 404),
        ("POST", "verify", {"body": {}}, 400),
        ("POST", "verify", {"body": {"ref": "nothing"}}, 404),
        ("POST", "reproduce", {"body": {"ref": "nb.ipynb"}}, 400),
        ("POST", "reproduce", {"body": {"ref": "0123456789ab"}}, 404),
        ("POST", "reproduce", {"body": {"ref": "FAILED"}}, 409),
        ("GET", "schedules/preview", {"params": {"every": "soon"}}, 400),
        ("POST", "schedules", {"body": {"target": "nb.ipynb", "cron": "61 * * * *"}}, 400),
        ("POST", "schedules", {"body": {"target": "nothing@1", "every": "1h"}}, 404),
        ("GET", "schedules/nothing", {}, 404),
        ("PATCH", "schedules/nothing", {"body": {"paused": "yes"}}, 400),
        ("PATCH", "schedules/nothing", {"body": {"paused": True}}, 404),
        ("DELETE", "schedules/nothing", {}, 404),
        ("GET", "schedules/nothing/occurrences", {}, 404),
        ("POST", "schedules/nothing/trigger", {}, 404),
        ("GET", "version", {"headers": {"Authorization": ""}}, 403),
        ("POST", "runs", {"headers": {"Authorization": ""}, "body": {}}, 403),
    ],
)
async def test_errors_answer_as_documented(
    checked, jp_root_dir, greenhouse, seed_run, method, path, request_args, status
):
    call, _ = checked
    notebook = write_notebook(jp_root_dir / "nb.ipynb", PARAMETERS, CELL)
    seeded = {
        "SEEDED": seed_run(greenhouse.store, notebook).id,
        "FAILED": seed_run(greenhouse.store, notebook, RunStatus.FAILED).id,
    }
    for name, run_id in seeded.items():
        path = path.replace(name, run_id)
    body = request_args.get("body")
    if isinstance(body, dict):
        request_args = {
            **request_args,
            "body": {k: seeded.get(v, v) if isinstance(v, str) else v for k, v in body.items()},
        }

    reply = await call(method, path, **request_args)

    assert reply.code == status, reply.body
