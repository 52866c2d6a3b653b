"""The HTML report: readable, self-contained, and never fetching anything from the network."""

from __future__ import annotations

import json
import re
import warnings
from html.parser import HTMLParser
from typing import Any

import pytest

from greenhouse_ext.artefacts.report import (
    block_network_references,
    network_references,
    render_html,
)
from greenhouse_ext.models import Run, RunStatus
from greenhouse_ext.notebook_api import FILE_MIME, SCRAP_MIME

REMOTE = re.compile(r"^\s*([a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
CDN_HOSTS = ("cdnjs", "unpkg", "jsdelivr", "cdn.plot.ly", "fonts.googleapis", "require.js")


def code_cell(*outputs: dict[str, Any], source: str = "x") -> dict[str, Any]:
    return {
        "cell_type": "code",
        "execution_count": 1,
        "id": f"c{len(outputs)}",
        "metadata": {},
        "outputs": list(outputs),
        "source": source,
    }


def display(data: dict[str, Any]) -> dict[str, Any]:
    return {"output_type": "display_data", "metadata": {}, "data": data}


HOSTILE_HTML = (
    '<script src="https://cdn.plot.ly/plotly.min.js"></script>'
    "<link rel=stylesheet href='//fonts.googleapis.com/css?family=Roboto'>"
    "<style>@import url('https://fonts.googleapis.com/x.css');"
    "@font-face { font-family: R; src: url(https://fonts.gstatic.com/r.woff2); }</style>"
    '<div style="background: url(http://example.org/bg.png)">plot</div>'
    '<iframe src="https://example.org/embed"></iframe>'
)


def rich_notebook() -> dict[str, Any]:
    """Math, a widget, a mermaid diagram, HTML that fetches from CDNs and recorded values."""
    return {
        "cells": [
            {
                "cell_type": "markdown",
                "id": "m",
                "metadata": {},
                "source": ["# Training\n", "Loss is $\\sum_i (y_i - \\hat y_i)^2$.\n"],
            },
            code_cell(
                display({"text/html": HOSTILE_HTML, "text/plain": "<Figure>"}),
                display(
                    {
                        "application/vnd.jupyter.widget-view+json": {
                            "model_id": "abc",
                            "version_major": 2,
                            "version_minor": 0,
                        },
                        "text/plain": "IntSlider(value=3)",
                    }
                ),
                display({"text/vnd.mermaid": "graph TD; A-->B"}),
                display({SCRAP_MIME: {"name": "loss", "data": 0.25}}),
                display({FILE_MIME: {"name": "out.csv", "path": "/tmp/out.csv"}}),
            ),
        ],
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "papermill": {"parameters": {"epochs": 4}},
            "widgets": {
                "application/vnd.jupyter.widget-state+json": {
                    "state": {},
                    "version_major": 2,
                    "version_minor": 0,
                }
            },
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


class Fetches(HTMLParser):
    """An independent scan for anything a browser would load from another host."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.style = tag == "style"
        for name, value in attrs:
            remote = bool(value and REMOTE.match(value))
            if (tag, name) in {("script", "src"), ("link", "href"), ("iframe", "src")} and remote:
                self.found.append(f"{tag} {name}={value}")
            if name == "style" and value and re.search(r"url\(\s*['\"]?\s*(https?:)?//", value):
                self.found.append(f"style={value}")

    def handle_endtag(self, tag: str) -> None:
        self.style = False

    def handle_data(self, data: str) -> None:
        if self.style:
            self.found += re.findall(r"@import[^;]*//[^;]*|url\(\s*['\"]?\s*(?:https?:)?//", data)


def fetches(html: str) -> list[str]:
    parser = Fetches()
    parser.feed(html)
    return parser.found


def scripts(html: str) -> str:
    return "".join(re.findall(r"<script[^>]*>(.*?)</script>", html, flags=re.DOTALL))


@pytest.fixture(scope="module")
def report() -> str:
    """The rich notebook's report; nbconvert warns about outputs it cannot show, so no warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return render_html(rich_notebook(), title="churn model").decode()


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_stock_lab_template_does_reach_the_network() -> None:
    """The check below can fail: nbconvert's own lab template loads scripts from CDNs."""
    import nbformat
    from nbconvert import HTMLExporter

    node = nbformat.reads(json.dumps(rich_notebook()), as_version=4)
    html, _ = HTMLExporter(template_name="lab").from_notebook_node(node)
    assert any("require" in f or "mathjax" in f for f in fetches(html))
    assert network_references(html)


def test_report_fetches_nothing_from_the_network(report: str) -> None:
    assert fetches(report) == []
    assert network_references(report) == []
    for host in CDN_HOSTS:
        assert host not in scripts(report), host
    assert not re.search(r"@import\s", report)


def test_report_keeps_the_blocked_urls_visible_in_source(report: str) -> None:
    assert 'data-blocked-src="https://cdn.plot.ly/plotly.min.js"' in report
    assert "data-blocked-href" in report and 'data-blocked-src="https://example.org/embed' in report


def test_report_is_readable(report: str) -> None:
    assert "<title>churn model</title>" in report
    assert "<h1>churn model</h1>" in report
    assert "<th>epochs</th><td>4</td>" in report
    assert "Loss is $\\sum_i" in report
    assert "IntSlider(value=3)" in report
    assert "graph TD; A--&gt;B" in report


def test_run_record_fills_the_header() -> None:
    run = Run(
        id="feedfacecafe",
        notebook="train.ipynb",
        status=RunStatus.SUCCEEDED,
        parameters={"epochs": 9, "mode": "<fast>"},
        created_at="2026-01-01T00:00:00",
        metrics={"accuracy": 0.93},
        finished_at="2026-01-01T00:00:05",
        duration_s=5.0,
    )
    html = render_html(rich_notebook(), run=run).decode()
    assert "<title>train.ipynb</title>" in html
    for expected in (
        "<th>id</th><td>feedfacecafe</td>",
        "<th>epochs</th><td>9</td>",
        '<th>mode</th><td>"&lt;fast&gt;"</td>',
        "<th>accuracy</th><td>0.93</td>",
        "<th>duration</th><td>5.00 s</td>",
    ):
        assert expected in html


@pytest.mark.parametrize(
    ("html", "found"),
    [
        ('<script src="https://a.org/x.js"></script>', ["https://a.org/x.js"]),
        ('<script src="//a.org/x.js"></script>', ["//a.org/x.js"]),
        ('<script src="local.js"></script>', []),
        ('<script type="text/javascript">var a = "https://a.org";</script>', []),
        ('<link rel="stylesheet" href="http://a.org/s.css">', ["http://a.org/s.css"]),
        ('<link rel="icon" href="data:image/png;base64,AAAA">', []),
        ('<a href="https://a.org">docs</a>', []),
        ('<img src="https://a.org/i.png">', []),
        ("<style>@import 'https://a.org/s.css';</style>", ["@import 'https://a.org/s.css';"]),
        ("<style>.a { background: url(data:image/png;base64,AA) }</style>", []),
        (
            "<style>@font-face { src: url('https://f.org/f.woff2') }</style>",
            ["url('https://f.org/f.woff2')"],
        ),
        ('<p style="background:url(https://a.org/b.png)">x</p>', ["url(https://a.org/b.png)"]),
        ('<object data="https://a.org/o.swf"></object>', ["https://a.org/o.swf"]),
        ("<pre>&lt;script src=&quot;https://a.org/x.js&quot;&gt;</pre>", []),
    ],
    ids=[
        "script",
        "script-protocol-relative",
        "script-local",
        "inline-script",
        "stylesheet",
        "data-icon",
        "anchor",
        "image",
        "css-import",
        "css-data-url",
        "font-face",
        "style-attribute",
        "object",
        "escaped-text",
    ],
)
def test_network_references(html: str, found: list[str]) -> None:
    assert network_references(html) == found
    blocked = block_network_references(html)
    assert network_references(blocked) == []
    assert fetches(blocked) == []
    if not found:
        assert blocked == html
