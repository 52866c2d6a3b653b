"""The REST front door: routes, authentication and the one place errors become HTTP."""

from __future__ import annotations

import json
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import tornado.web
from jupyter_server.auth.authorizer import Authorizer
from jupyter_server.utils import url_path_join
from tornado.httpclient import HTTPClientError
from tornado.routing import PathMatches

import greenhouse_ext
from greenhouse_ext.errors import Conflict, GreenhouseError, InvalidInput, NotFound, TooLarge
from greenhouse_ext.server.app import GreenhouseApp
from greenhouse_ext.server.handlers import GreenhouseHandler
from greenhouse_ext.server.handlers.base import hide_root
from greenhouse_ext.server.handlers.checks import check_body, option_as_field

# A request that carries no token and no login cookie, but a matching XSRF cookie and
# header, so that only the authentication check can turn it away.
XSRF = "greenhouse-test-xsrf"
UNAUTHENTICATED = {"Authorization": "", "Cookie": f"_xsrf={XSRF}", "X-XSRFToken": XSRF}


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
    greenhouse, http_server_client, jp_base_url
):
    routes = greenhouse.handlers
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
            assert json.loads(response.body)["message"], f"{verb} {pattern} gave no message"
            checked.append(f"{verb} {pattern.removeprefix('/greenhouse/api/')}")
    assert sorted(checked) == sorted(PUBLIC_API)


# Every verb of the API: the test above fails when one is added without being listed here.
PUBLIC_API = [
    "GET version",
    "GET parameters",
    "POST parameters",
    "GET runs",
    "POST runs",
    "GET runs/([^/]+)",
    "POST runs/([^/]+)/cancel",
    "POST sweeps",
    "GET sweeps/([^/]+)",
    "POST sweeps/([^/]+)/cancel",
    "GET runs/([^/]+)/log",
    "GET runs/([^/]+)/notebook",
    "GET runs/([^/]+)/html",
    "GET runs/([^/]+)/reproduction",
    "GET diff",
    "POST publish",
    "GET artefacts",
    "GET artefacts/([^/]+)/versions",
    "PUT artefacts/([^/]+)/aliases/([^/]+)",
    "DELETE artefacts/([^/]+)/aliases/([^/]+)",
    "GET artefacts/([^/]+)/alias-history",
    "POST verify",
    "POST reproduce",
    "GET schedules",
    "POST schedules",
    "GET schedules/preview",
    "GET schedules/([^/]+)",
    "PATCH schedules/([^/]+)",
    "DELETE schedules/([^/]+)",
    "GET schedules/([^/]+)/occurrences",
    "POST schedules/([^/]+)/trigger",
    "GET schedulers",
]


async def login_cookies(client: Any, base_url: str, token: str) -> dict[str, str]:
    """Log in through the login form, as a browser does; return the cookies it sets."""
    page = await client.fetch(url_path_join(base_url, "login"))
    cookies = cookie_values(page.headers)
    login = await client.fetch(
        url_path_join(base_url, "login"),
        method="POST",
        body=urlencode({"password": token, "_xsrf": cookies["_xsrf"]}),
        headers={"Cookie": f"_xsrf={cookies['_xsrf']}"},
        follow_redirects=False,
        raise_error=False,
    )
    assert login.code == 302, login.body
    return {**cookies, **cookie_values(login.headers)}


def cookie_values(headers: Any) -> dict[str, str]:
    jar = SimpleCookie()
    for header in headers.get_list("Set-Cookie"):
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


@pytest.mark.parametrize(
    ("send_xsrf_header", "status"),
    [(False, 403), (True, 400)],
    ids=["without-xsrf-token-refused", "with-xsrf-token-reaches-the-handler"],
)
async def test_state_changing_verbs_check_xsrf_for_cookie_logins(
    jp_serverapp, http_server_client, jp_base_url, send_xsrf_header, status
):
    cookies = await login_cookies(
        http_server_client, jp_base_url, jp_serverapp.identity_provider.token
    )
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    if send_xsrf_header:
        headers["X-XSRFToken"] = cookies["_xsrf"]

    response = await http_server_client.fetch(
        url_path_join(jp_base_url, "greenhouse/api/runs"),
        method="POST",
        body=b"[]",
        headers=headers,
        raise_error=False,
    )

    assert response.code == status
    message = json.loads(response.body)["message"]
    assert ("xsrf" in message.lower()) is (status == 403), message


class DenyExecution(Authorizer):
    """Lets a user read and write, but not run anything."""

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        return action != "execute"


class TestAuthorization:
    @pytest.fixture
    def jp_server_config(self) -> dict[str, Any]:
        return {
            "ServerApp": {
                "jpserver_extensions": {"greenhouse_ext": True},
                "authorizer_class": DenyExecution,
            }
        }

    @pytest.mark.parametrize(
        ("method", "path", "status"),
        [
            ("POST", "runs", 403),
            ("POST", "runs/r1/cancel", 403),
            ("POST", "reproduce", 403),
            ("GET", "runs", 200),
        ],
    )
    async def test_running_code_needs_the_execute_permission(self, api, method, path, status):
        reply = await api(method, path, body={} if method == "POST" else None)

        assert reply.code == status
        if status == 403:
            assert "execute on resource: greenhouse" in reply.json["message"]


ERRORS: dict[str, Exception] = {
    "invalid": InvalidInput("epochs must be an int", problems=["epochs: 'ten' is not an int"]),
    "missing": NotFound("no run 'r-42'"),
    "conflict": Conflict("run 'r-7' failed and cannot be published"),
    "root": GreenhouseError("the store's folder is read-only"),
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
        ("root", 500, "the store's folder is read-only", []),
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


@pytest.mark.parametrize(
    ("body", "refused"),
    [
        (b"[[[1]]]", False),
        (b"[[[[1]]]]", True),
        (b'{"a": {"b": {"c": 1}}}', False),
        (b'{"a": {"b": {"c": {"d": 1}}}}', True),
        # Brackets inside strings, escaped quotes included, are text, not nesting.
        (b'{"a": "[[[[[[{{{{"}', False),
        (b'{"a": "\\"[[[[[[", "b": [1]}', False),
        (b'["\\\\", [[[1]]]]', True),
    ],
)
def test_body_nesting_is_counted_outside_strings(body: bytes, refused: bool) -> None:
    if refused:
        with pytest.raises(InvalidInput, match="more than 3 levels deep"):
            check_body(body, max_bytes=1000, max_depth=3)
    else:
        check_body(body, max_bytes=1000, max_depth=3)


def test_body_over_the_size_limit_is_too_large() -> None:
    with pytest.raises(TooLarge, match="11 bytes, over the limit of 10 bytes") as caught:
        check_body(b'"123456789"', max_bytes=10, max_depth=3)
    assert caught.value.http_status == 413


def test_error_messages_name_paths_relative_to_the_root() -> None:
    body = {
        "message": "Notebook '/srv/real/root/work/x.ipynb' does not exist",
        "problems": ["/srv/link/root/data.csv is missing", "the root /srv/real/root"],
    }
    shown = hide_root(body, ["/srv/real/root", "/srv/link/root"])
    assert shown == {
        "message": "Notebook 'work/x.ipynb' does not exist",
        "problems": ["data.csv is missing", "the root ."],
    }


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        (
            "--allow-partial applies to --env recorded only",
            "allow_partial applies to env recorded only",
        ),
        ("a zone with --every; see --catch-up-limit", "a zone with every; see catch_up_limit"),
        # A command in backticks is one to type: its options stay as they are.
        (
            "or `greenhouse run --keep-inputs`: reproduce it with --inputs current",
            "or `greenhouse run --keep-inputs`: reproduce it with inputs current",
        ),
        ("see `apprise --details` or --cron", "see `apprise --details` or cron"),
    ],
)
def test_error_messages_name_body_fields_where_the_core_named_options(
    message: str, shown: str
) -> None:
    assert option_as_field(message) == shown
