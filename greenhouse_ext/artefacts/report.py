"""The HTML report of an executed notebook: nbconvert's lab template, made to render offline."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

from ..display import describe_git, describe_kernel
from ..notebook_api import FILE_MIME, SCRAP_MIME, read_metrics

if TYPE_CHECKING:
    from ..models import Run

TEMPLATE_NAME = "greenhouse-report.html.j2"
REMOTE_URL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
CSS_REMOTE = re.compile(
    r"""@import\s+(?:url\()?\s*['"]?\s*(?:[a-z][a-z0-9+.-]*:)?//[^;]*;?"""
    r"""|url\(\s*['"]?\s*(?:[a-z][a-z0-9+.-]*:)?//[^)]*\)""",
    re.IGNORECASE,
)
LOADING_ATTRIBUTES = {
    "script": "src",
    "link": "href",
    "iframe": "src",
    "embed": "src",
    "object": "data",
    "frame": "src",
}

# The lab template's head loads RequireJS, MathJax, Mermaid and the widget manager from
# public CDNs; these blocks are replaced so that the page never reaches the network.
# Math stays readable as its TeX source; widgets show their text fallback.
TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block extra_css %}
<style type="text/css">
.gh-report { font-family: var(--jp-ui-font-family); color: var(--jp-ui-font-color1);
  border-bottom: 1px solid var(--jp-border-color2); margin: 0 0 16px; padding: 8px 16px 12px; }
.gh-report h1 { font-size: 1.5em; margin: 0.3em 0; }
.gh-report table { border-collapse: collapse; margin: 4px 24px 4px 0; display: inline-table;
  vertical-align: top; }
.gh-report caption { text-align: left; font-weight: bold; padding: 4px 0; }
.gh-report th, .gh-report td { text-align: left; padding: 2px 12px 2px 0;
  font-family: var(--jp-code-font-family); font-size: var(--jp-code-font-size); }
.gh-report th { font-weight: normal; color: var(--jp-ui-font-color2); }
</style>
{% endblock extra_css %}
{%- block body_header -%}
{{ super() }}
<header class="gh-report">
<h1>{{ resources.greenhouse.title | escape_html }}</h1>
{%- for caption, rows in resources.greenhouse.sections %}
{%- if rows %}
<table><caption>{{ caption | escape_html }}</caption>
{%- for key, value in rows %}
<tr><th>{{ key | escape_html }}</th><td>{{ value | escape_html }}</td></tr>
{%- endfor %}
</table>
{%- endif %}
{%- endfor %}
</header>
{%- endblock body_header -%}
{%- block data_widget_view scoped -%}
{%- if 'text/plain' in output.data %}
<div class="jp-RenderedText jp-OutputArea-output {{ extra_class }}" data-mime-type="text/plain">
<pre>{{ output.data['text/plain'] | escape_html }}</pre>
</div>
{%- endif %}
{%- endblock data_widget_view -%}
"""


def render_html(
    notebook: Mapping[str, Any], *, title: str | None = None, run: Run | None = None
) -> bytes:
    """Render an executed notebook as one self-contained HTML page that renders offline.

    The page opens with a header naming the notebook and listing the run's facts,
    parameters and metrics. Nothing on it is loaded from the network: the template's
    CDN scripts are left out, and any script, stylesheet, frame or CSS import that an
    output would fetch from another host is neutralised.

    Parameters
    ----------
    notebook : mapping
        The executed notebook (nbformat 4 JSON as a dict).
    title : str, optional
        The page's title; defaults to the notebook's title or the run's notebook path.
    run : Run, optional
        The run record; its parameters and metrics win over those read from the notebook.

    Returns
    -------
    bytes
        The UTF-8 HTML document.
    """
    import nbformat
    from jinja2 import DictLoader
    from nbconvert.exporters import HTMLExporter

    node = nbformat.reads(json.dumps(notebook), as_version=4)
    for cell in node.cells:
        if "outputs" in cell:
            cell.outputs = [o for o in cell.outputs if not _is_record(o)]
    heading = title or _default_title(notebook, run)
    exporter = HTMLExporter(
        template_name="lab",
        template_file=TEMPLATE_NAME,
        extra_loaders=[DictLoader({TEMPLATE_NAME: TEMPLATE})],
    )
    resources = {
        "metadata": {"name": heading},
        "greenhouse": {"title": heading, "sections": _sections(notebook, run)},
    }
    body, _ = exporter.from_notebook_node(node, resources=resources)
    return block_network_references(body).encode("utf-8")


def network_references(html: str) -> list[str]:
    """List every URL in ``html`` that a browser would fetch from another host.

    Looks at ``<script src>``, ``<link href>``, frames and embedded objects, and at CSS
    ``@import`` and ``url(...)`` in ``<style>`` elements and ``style`` attributes (which
    covers web fonts). Links a reader may follow (``<a href>``) are not fetches.

    Parameters
    ----------
    html : str
        An HTML document.

    Returns
    -------
    list of str
        The offending URLs (or CSS snippets), in document order.
    """
    scanner = _Scanner()
    scanner.feed(html)
    scanner.close()
    return [found for _, _, found in scanner.findings]


def block_network_references(html: str) -> str:
    """Return ``html`` with every reference :func:`network_references` finds made inert.

    A loading attribute is renamed (``src`` -> ``data-blocked-src``) so the original URL
    stays visible to a reader of the source; a remote CSS import or ``url()`` is removed.
    """
    scanner = _Scanner()
    scanner.feed(html)
    scanner.close()
    for original, replacement in dict.fromkeys((o, r) for o, r, _ in scanner.findings):
        html = html.replace(original, replacement)
    return html


class _Scanner(HTMLParser):
    """Collects ``(original text, inert text, what was found)`` for each network fetch."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.findings: list[tuple[str, str, str]] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        text = self.get_starttag_text() or ""
        self._in_style = tag == "style"
        loading = LOADING_ATTRIBUTES.get(tag)
        for name, value in attrs:
            if name == loading and value and REMOTE_URL.match(value):
                inert = re.sub(rf"(?<![\w-]){name}\s*=", f"data-blocked-{name}=", text, count=1)
                self.findings.append((text, inert, value))
                text = inert
            elif name == "style" and value and CSS_REMOTE.search(value):
                self._css(text, CSS_REMOTE.findall(value))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self._in_style = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style and CSS_REMOTE.search(data):
            self._css(data, CSS_REMOTE.findall(data))

    def _css(self, text: str, found: list[str]) -> None:
        inert = CSS_REMOTE.sub("", text)
        self.findings.extend((text, inert, snippet) for snippet in found)


def _is_record(output: Mapping[str, Any]) -> bool:
    """True for the invisible outputs of ``record``/``record_file``; the header shows them."""
    data = output.get("data") or {}
    return bool(data) and set(data) <= {SCRAP_MIME, FILE_MIME}


def _default_title(notebook: Mapping[str, Any], run: Run | None) -> str:
    title = (notebook.get("metadata") or {}).get("title")
    if title:
        return str(title)
    return run.notebook if run is not None else "Notebook"


def _sections(
    notebook: Mapping[str, Any], run: Run | None
) -> list[tuple[str, list[tuple[str, str]]]]:
    """The header's tables: the run's facts, its parameters and its metrics."""
    papermill = (notebook.get("metadata") or {}).get("papermill") or {}
    parameters = run.parameters if run is not None else papermill.get("parameters") or {}
    metrics = run.metrics if run is not None else read_metrics(notebook)
    return [
        ("Run", _facts(run)),
        ("Parameters", _values(parameters)),
        ("Metrics", _values(metrics)),
    ]


def _facts(run: Run | None) -> list[tuple[str, str]]:
    if run is None:
        return []
    facts = [
        ("id", run.id),
        ("notebook", run.notebook),
        ("status", run.status.value),
        ("finished", (run.finished_at or "-").replace("T", " ")),
    ]
    if run.duration_s is not None:
        facts.append(("duration", f"{run.duration_s:.2f} s"))
    prov = run.provenance
    if prov is not None:
        facts.append(("kernel", f"{prov.kernel} (Python {prov.python})"))
        facts.append(("environment", describe_kernel(prov)))
        facts.append(("git", "; ".join(describe_git(prov))))
    return facts


def _values(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(str(k), json.dumps(v, default=str)) for k, v in values.items()]
