"""`scan` and `discover`: audit models and return the report; find models in code."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from auditor.app.run import Progress, Warn, _ignore, audit, discover_in, gather
from auditor.app.settings import Inputs, Settings
from auditor.errors import UsageError
from auditor.models import AuditReport

if TYPE_CHECKING:
    from auditor.drift import BaseModel
    from auditor.sources.discover import Discovery


@dataclass(frozen=True)
class ScanResult:
    report: AuditReport
    found: Discovery | None = None
    diff: str | None = None  # what changed since --diff BASE.json, as text


def read_diff_base(path: Path | None) -> dict[str, BaseModel] | None:
    if path is None:
        return None
    from auditor.drift import read_base_report

    return read_base_report(path)


def diff_text(base: dict[str, BaseModel] | None, report: AuditReport, path: Path | None) -> str | None:
    if base is None:
        return None
    from auditor.drift import diff_reports, render_diff
    from auditor.report.text import printable

    return printable(render_diff(diff_reports(base, report), str(path)), multiline=True).rstrip("\n")


def scan(settings: Settings, *, warn: Warn = _ignore, progress: Progress | None = None) -> ScanResult:
    """Audit the models `settings.inputs` names. Raises `UsageError` when it names none."""
    gathered = gather(settings.inputs, warn)
    if not gathered.refs and not settings.inputs.listing.wanted:
        if settings.inputs.discover_paths:
            raise UsageError("no model references found under the --discover paths, and no models given")
        raise UsageError("no models given: pass MODEL_ID arguments or -r FILE (see auditor scan --help)")
    base = read_diff_base(settings.diff_base)  # a bad base file fails before any fetching
    report = audit(gathered.refs, settings, progress)
    return ScanResult(report, gathered.found, diff_text(base, report, settings.diff_base))


def discover(inputs: Inputs, *, warn: Warn = _ignore) -> Discovery:
    """The Hub models code and configuration under `inputs.discover_paths` use, with file and line."""
    from auditor.sources.discover import Discovery

    found, warnings = discover_in(inputs)
    for message in warnings:
        warn(message)
    return found or Discovery()
