"""The REST API takes the references the CLI takes, through the same resolver and messages."""

from __future__ import annotations

from typing import Any

import pytest
from notebooks import write_notebook

from greenhouse_ext.artefacts import publish
from greenhouse_ext.models import MIN_PREFIX

PARAMETERS = "rate = 0.1"


@pytest.fixture
def refs(greenhouse, jp_root_dir, seed_run) -> dict[str, Any]:
    """Run a (linefit@1, alias production), run b (linefit@2), a sweep of two runs."""
    notebook = write_notebook(jp_root_dir / "linefit.ipynb", PARAMETERS, "print('fit')")
    store = greenhouse.store
    a = seed_run(store, notebook, parameters={"rate": 0.1}, metrics={"score": 0.5})
    b = seed_run(store, notebook, parameters={"rate": 0.2}, metrics={"score": 0.75})
    sweep = [seed_run(store, notebook, sweep_id="5eed00000001") for _ in range(2)]
    publish(store, a.id, "linefit", ["production"])
    publish(store, b.id, "linefit")
    return {"a": a.id, "b": b.id, "sweep": [r.id for r in sweep]}


# Each form: the reference, the run it means (a or b) and the version it means.
FORMS = {
    "id": (lambda r: r["b"], "b", "linefit@2"),
    "prefix": (lambda r: r["b"][:6], "b", "linefit@2"),
    "NAME@N": (lambda r: "linefit@1", "a", "linefit@1"),
    "NAME@ALIAS": (lambda r: "linefit@production", "a", "linefit@1"),
    "NAME": (lambda r: "linefit", "b", "linefit@2"),
}


@pytest.mark.parametrize("form", FORMS)
async def test_every_route_takes_every_form(api, refs, form: str) -> None:
    make, run, version = FORMS[form]
    ref = make(refs)
    path = ref

    record = await api("GET", f"runs/{path}")
    assert (record.code, record.json["id"]) == (200, refs[run]), record.body
    notebook = await api("GET", f"runs/{path}/notebook")
    assert notebook.code == 200 and b"print('fit')" in notebook.body
    report = await api("GET", f"runs/{path}/html")
    assert report.code == 200 and b"fit" in report.body
    diff = await api("GET", "diff", params={"a": ref, "b": "linefit.ipynb"})
    assert diff.code == 200, diff.body
    assert diff.json["a"] in (f"run {refs[run]}", version)
    verified = await api("POST", "verify", body={"ref": ref})
    assert (verified.code, verified.json["ref"]) == (200, version), verified.body
    published = await api("POST", "publish", body={"run": ref, "name": f"copy-{form[:4]}"})
    assert (published.code, published.json["run_id"]) == (201, refs[run]), published.body


@pytest.mark.parametrize("ref", ["5eed00000001", "5eed00"])
async def test_sweeps_take_an_id_or_prefix(api, refs, ref: str) -> None:
    reply = await api("GET", f"sweeps/{ref}")
    assert reply.code == 200, reply.body
    assert reply.json["id"] == "5eed00000001"
    assert sorted(r["id"] for r in reply.json["runs"]) == sorted(refs["sweep"])


@pytest.mark.parametrize(
    ("method", "path", "body", "code", "words"),
    [
        ("GET", "runs/{b2}", None, 400, f"give at least {MIN_PREFIX} characters"),
        ("GET", "runs/linfit@production", None, 404, "did you mean linefit?"),
        ("GET", "runs/linfit", None, 404, "did you mean linefit?"),
        ("POST", "verify", {"ref": "linfit@production"}, 404, "did you mean linefit?"),
        ("POST", "publish", {"run": "lnefit@1", "name": "x"}, 404, "did you mean linefit?"),
        ("GET", "artefacts/linefti/versions", None, 404, "did you mean linefit?"),
        ("GET", "sweeps/5e", None, 400, f"give at least {MIN_PREFIX} characters"),
        ("GET", "sweeps/ffff0000", None, 404, "No sweep 'ffff0000'"),
        ("GET", "diff?a=lnefit.ipynb&b=linefit.ipynb", None, 404, "did you mean linefit.ipynb?"),
    ],
)
async def test_bad_references_say_what_is_right(
    api, refs, method: str, path: str, body: Any, code: int, words: str
) -> None:
    path, _, query = path.format(b2=refs["b"][:2]).partition("?")
    params = dict(p.split("=") for p in query.split("&")) if query else None
    reply = await api(method, path, body=body, params=params)
    assert reply.code == code, reply.body
    assert words in reply.json["message"]
