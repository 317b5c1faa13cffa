"""Reports: one renderer per output format, chosen by name from a registry.

    from auditor.report import available, render, RENDERERS
    text = render("html", report)                      # str (every format here is text)
    RENDERERS["sarif"].extension                       # ".sarif"
    render("sarif", report, fail_on=Status.BLOCKED)    # options are keyword arguments

Every renderer is pure and deterministic: the same `AuditReport` gives byte-identical output (the
time in it is `report.generated_at`; nothing reads the clock, the network or the environment).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from auditor.errors import UsageError
from auditor.models import AuditReport
from auditor.report.base import Option, Renderer
from auditor.report.ci import ConciseRenderer, GithubRenderer, StepSummaryRenderer
from auditor.report.csv_report import CsvRenderer
from auditor.report.json_report import JsonRenderer
from auditor.report.junit import JunitRenderer
from auditor.report.notice import NoticeRenderer
from auditor.report.sarif import SarifRenderer
from auditor.report.table import TableRenderer


@dataclass  # not frozen: the Renderer protocol declares plain attributes
class _Deferred:
    """A renderer imported on first use: the SBOM libraries and Jinja behind these cost every run ~0.35 s
    to import, and most runs never write them. Its attributes mirror the real class (a test checks)."""

    name: str
    extension: str
    media_type: str
    description: str
    target: str  # "module:Class"
    options: tuple[Option, ...] = ()

    def load(self) -> Renderer:
        module, _, cls = self.target.partition(":")
        renderer: Renderer = getattr(importlib.import_module(module), cls)()
        return renderer

    def render(self, report: AuditReport, **options: Any) -> str | bytes:
        return self.load().render(report, **options)


__all__ = ["RENDERERS", "Option", "Renderer", "available", "get", "options_of", "render", "render_chunks"]

RENDERERS: dict[str, Renderer] = {
    r.name: r
    for r in (
        TableRenderer(),
        JsonRenderer(),
        _Deferred(
            "markdown",
            ".md",
            "text/markdown; charset=utf-8",
            "Markdown report (GFM) for review in a repository or wiki",
            "auditor.report.html:MarkdownRenderer",
        ),
        _Deferred(
            "html",
            ".html",
            "text/html; charset=utf-8",
            "self-contained, printable HTML report for legal sign-off",
            "auditor.report.html:HtmlRenderer",
        ),
        CsvRenderer(),
        _Deferred(
            "spdx",
            ".spdx.json",
            "application/spdx+json",
            "SPDX 2.3 JSON SBOM (validated with spdx-tools)",
            "auditor.report.spdx:SpdxRenderer",
        ),
        _Deferred(
            "cyclonedx",
            ".cdx.json",
            "application/vnd.cyclonedx+json",
            "CycloneDX 1.6 JSON ML-BOM: machine-learning-model components with model cards",
            "auditor.report.cyclonedx:CycloneDxRenderer",
        ),
        SarifRenderer(),
        JunitRenderer(),
        NoticeRenderer(),
        GithubRenderer(),
        StepSummaryRenderer(),
        ConciseRenderer(),
    )
}

# Options some renderer reads: `render()` passes each renderer the ones it declares and drops the
# rest, so the CLI can hand the same settings to `--format html,sarif,table` in one go.
_SHARED = {o.name for r in RENDERERS.values() for o in r.options}


def available() -> list[str]:
    """Format names, in the order `--help` lists them."""
    return list(RENDERERS)


def get(name: str) -> Renderer:
    try:
        return RENDERERS[name]
    except KeyError:
        raise UsageError(f"unknown format {name!r}; choose from {', '.join(available())}") from None


def options_of(name: str) -> tuple[Option, ...]:
    return get(name).options


def render(name: str, report: AuditReport, **options: Any) -> str | bytes:
    """Render `report` as format `name`.

    Options another format reads are ignored here (so one set serves several formats); a name no
    format knows, or a wrong type, is a `UsageError`.
    """
    renderer = get(name)
    return renderer.render(report, **_own_options(renderer, options))


def render_chunks(name: str, report: AuditReport, **options: Any) -> Iterable[str | bytes]:
    """What `render` gives, in pieces to write one after the other: a format that can (json) builds
    each piece when it is asked for, so a large report is never held whole; the others give one piece."""
    renderer = get(name)
    own = _own_options(renderer, options)
    chunks = getattr(renderer, "render_chunks", None)
    if chunks is not None:
        pieces: Iterable[str | bytes] = chunks(report, **own)
        return pieces
    return (renderer.render(report, **own),)


def _own_options(renderer: Renderer, options: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(options) - _SHARED)
    if unknown:
        raise UsageError(f"unknown report option(s): {', '.join(unknown)}")
    own = {o.name for o in renderer.options}
    return {k: v for k, v in options.items() if k in own}
