"""The REST front door: routes, authentication and the one place errors become HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import tornado.web
from jupyter_server.utils import url_path_join
from tornado.httpclient import HTTPClientError
from tornado.routing import PathMatches

import greenhouse_ext
from greenhouse_ext.app import GreenhouseApp
from greenhouse_ext.errors import Conflict, ExecutionFailed, InvalidInput, NotFound
from greenhouse_ext.handlers import GreenhouseHandler

# A request that carries no token and no login cookie, but a matching XSRF cookie and
# header, so that only the authentication check can turn it away.
XSRF = "greenhouse-test-xsrf"
UNAUTHENTICATED = {"Authorization": "", "Cookie": f"_xsrf={XSRF}", "X-XSRFToken": XSRF}


@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    return {"ServerApp": {"jpserver_extensions": {"greenhouse_ext": True}}}


def greenhouse_app(serverapp: Any) -> GreenhouseApp:
    (app,) = serverapp.extension_manager.extension_apps["greenhouse_ext"]
    assert isinstance(app, GreenhouseApp)
    return app


def implemented_verbs(handler: type[tornado.web.RequestHandler]) -> list[str]:
    """The HTTP verbs a handler answers, bar those marked as open on purpose."""
    verbs = []
    for verb in handler.SUPPORTED_METHODS:
        method = getattr(handler, verb.lower())
        if method is tornado.web.RequestHandler._unimplemented_method:
            continue
        if getattr(method, "__allow_unauthenticated", False):
            continue
        verbs.append(verb)
    return verbs


def concrete_path(pattern: str) -> str:
    """A path the route pattern matches, with a placeholder for each captured group."""
    matcher = PathMatches(pattern)
    return matcher.reverse(*["placeholder"] * matcher.regex.groups)


async def test_version_reports_package_version_and_store_under_root(jp_fetch, jp_serverapp):
    response = await jp_fetch("greenhouse", "api", "version")

    assert response.code == 200
    body = json.loads(response.body)
    assert body["version"] == greenhouse_ext.__version__
    assert Path(body["store"]) == Path(jp_serverapp.root_dir) / ".greenhouse"


class TestConfiguredStore:
    @pytest.fixture
    def jp_server_config(self, tmp_path: Path) -> dict[str, Any]:
        return {
            "ServerApp": {"jpserver_extensions": {"greenhouse_ext": True}},
            "GreenhouseApp": {"store_path": str(tmp_path / "elsewhere")},
        }

    async def test_version_reports_configured_store(self, jp_fetch, tmp_path):
        response = await jp_fetch("greenhouse", "api", "version")

        assert json.loads(response.body)["store"] == str(tmp_path / "elsewhere")


async def test_every_route_refuses_unauthenticated_requests(
    jp_serverapp, http_server_client, jp_base_url
):
    routes = greenhouse_app(jp_serverapp).handlers
    assert routes, "GreenhouseApp registers no route"
    checked = []
    for pattern, handler, *_ in routes:
        for verb in implemented_verbs(handler):
            response = await http_server_client.fetch(
                url_path_join(jp_base_url, concrete_path(pattern)),
                method=verb,
                headers=UNAUTHENTICATED,
                body=b"{}" if verb in {"POST", "PUT", "PATCH"} else None,
                raise_error=False,
            )
            assert response.code in {401, 403}, f"{verb} {pattern} answered {response.code}"
            checked.append(f"{verb} {pattern}")
    assert "GET /greenhouse/api/version" in checked


ERRORS: dict[str, Exception] = {
    "invalid": InvalidInput("epochs must be an int", problems=["epochs: 'ten' is not an int"]),
    "missing": NotFound("no run 'r-42'"),
    "conflict": Conflict("run 'r-7' failed and cannot be published"),
    "failed": ExecutionFailed("the notebook raised ValueError"),
    "bug": RuntimeError("boom"),
    "http": tornado.web.HTTPError(405, "verb %s not allowed here", "PATCH"),
}


class RaisingHandler(GreenhouseHandler):
    """Raises the error named in its URL, as a real handler's service call would."""

    @tornado.web.authenticated
    def get(self, kind: str) -> None:
        raise ERRORS[kind]


@pytest.fixture
def raising_route(jp_serverapp, jp_base_url) -> None:
    jp_serverapp.web_app.add_handlers(
        ".*$",
        [
            (
                url_path_join(jp_base_url, "greenhouse-test", "raise", "(.*)"),
                RaisingHandler,
                {"name": GreenhouseApp.name},
            )
        ],
    )


@pytest.mark.usefixtures("raising_route")
@pytest.mark.parametrize(
    ("kind", "status", "message", "problems"),
    [
        ("invalid", 400, "epochs must be an int", ["epochs: 'ten' is not an int"]),
        ("missing", 404, "no run 'r-42'", []),
        ("conflict", 409, "run 'r-7' failed and cannot be published", []),
        ("failed", 500, "the notebook raised ValueError", []),
        ("bug", 500, "Unhandled error: RuntimeError: boom", []),
        ("http", 405, "verb PATCH not allowed here", []),
    ],
)
async def test_base_handler_translates_errors_to_json(jp_fetch, kind, status, message, problems):
    with pytest.raises(HTTPClientError) as raised:
        await jp_fetch("greenhouse-test", "raise", kind)

    response = raised.value.response
    assert response is not None
    assert response.code == status
    assert response.headers["Content-Type"] == "application/json"
    assert json.loads(response.body) == {"message": message, "problems": problems}
