"""`html` and `markdown`: the reports legal signs off, from Jinja2 templates in `templates/`.

Both environments escape every `{{ }}` by default (`finalize`), with StrictUndefined so a misspelt
name fails the render instead of leaving a blank in a legal document:
- HTML: control/bidi characters replaced, then HTML-escaped (Jinja autoescape). The page carries a
  Content-Security-Policy that forbids scripts and remote loads, in case anything ever slipped through.
- Markdown: card text cannot open a link, an image, raw HTML, emphasis or a table cell: the characters
  that would are backslash-escaped or turned into entities, `:`/`@`/`www.` are broken so GFM does not
  autolink a bare URL, and multi-line text only appears inside a code fence longer than any run of
  backticks in it.
"""

from __future__ import annotations

from typing import Any

import jinja2
from markupsafe import Markup

from auditor.escape import markdown, markdown_fence, printable
from auditor.models import AuditReport
from auditor.report.base import Option, resolve_options
from auditor.report.view import Block, report_view

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def md_escape(text: str) -> str:
    """One line of untrusted text as literal Markdown (see `auditor.escape.markdown`)."""
    return markdown(text)


def md_fence(text: str) -> Markup:
    """Multi-line untrusted text in a fenced code block nothing inside can close."""
    return Markup(markdown_fence(text))  # noqa: S704 - inert inside a fence it cannot close


def _html_finalize(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Markup):
        return value
    if isinstance(value, Block):
        return printable(value, multiline=True)
    if isinstance(value, str):
        return printable(value)
    return value


def _md_finalize(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Markup):
        return value
    if isinstance(value, Block):
        return md_fence(value)
    return Markup(md_escape(str(value)))  # noqa: S704 - md_escape turned every active character inert


def _environment(finalize: Any) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("auditor.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        finalize=finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    return env


_HTML_ENV = _environment(_html_finalize)
_MD_ENV = _environment(_md_finalize)


class HtmlRenderer:
    name = "html"
    extension = ".html"
    media_type = "text/html; charset=utf-8"
    description = "self-contained, printable HTML report for legal sign-off"
    options: tuple[Option, ...] = ()

    def render(self, report: AuditReport, **options: Any) -> str:
        resolve_options(self.name, self.options, options)
        return _HTML_ENV.get_template("report.html.j2").render(r=report_view(report), csp=CSP)


class MarkdownRenderer:
    name = "markdown"
    extension = ".md"
    media_type = "text/markdown; charset=utf-8"
    description = "Markdown report (GFM) for review in a repository or wiki"
    options: tuple[Option, ...] = ()

    def render(self, report: AuditReport, **options: Any) -> str:
        resolve_options(self.name, self.options, options)
        return _MD_ENV.get_template("report.md.j2").render(r=report_view(report))
