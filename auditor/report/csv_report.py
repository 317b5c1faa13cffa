"""`csv`: one row per model, for spreadsheets.

Spreadsheets run cells that start with `=`, `+`, `-` or `@` as formulas (CSV injection): such cells get
a leading apostrophe, which Excel and LibreOffice show as text and do not evaluate.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from auditor.models import AuditReport, LicenseName, ModelResult
from auditor.report.base import Option, resolve_options
from auditor.report.document import findings_of, terms_label
from auditor.report.table import license_label
from auditor.report.text import printable

COLUMNS = (
    "id",
    "revision",
    "sha",
    "verdict",
    "license",
    "commercial",
    "confidence",
    "obligations",
    "reasons",
    "origin",
    "use",
    "owner",
    "data",
    "license_name",
)
# Formula triggers, including the full-width forms some spreadsheets also accept.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_CELL_MAX = 4000  # far below Excel's 32767-character cell limit, long enough for every real reason


def safe_cell(value: object) -> str:
    raw = "" if value is None else str(value)
    text = printable(raw, limit=_CELL_MAX)
    # Checked before and after cleaning: a tab or CR trigger becomes a space, and " =cmd" is still live
    # in some spreadsheets, which skip leading spaces.
    if raw.startswith(_FORMULA_START) or text.lstrip().startswith(_FORMULA_START):
        return "'" + text
    return text


def row(result: ModelResult, licenses: Mapping[str, LicenseName] | None = None) -> list[str]:
    resolution = result.resolution
    reasons = [result.verdict.reason, *(f"{f.rule}: {f.message}" for f in findings_of(result))]
    return [
        safe_cell(v)
        for v in (
            result.ref.repo_id,
            "" if result.ref.is_hosted else result.ref.requested_revision,
            result.sha or "",
            result.verdict.status.value,
            terms_label(result),
            resolution.commercial.value if resolution else "unknown",
            f"{resolution.confidence:.2f}" if resolution else "0.00",
            "; ".join(result.verdict.obligations),
            " | ".join(r for r in reasons if r),
            str(result.ref.origin) if result.ref.origin else "",
            result.verdict.use,
            result.ref.owner or "",
            " ".join(c.value for c in result.ref.data),
            license_label(result, licenses),  # the name people read; `license` keeps the machine id
        )
    ]


class CsvRenderer:
    name = "csv"
    extension = ".csv"
    media_type = "text/csv; charset=utf-8"
    description = "one row per model for spreadsheets (formula injection neutralised)"
    options: tuple[Option, ...] = ()

    def render(self, report: AuditReport, **options: Any) -> str:
        resolve_options(self.name, self.options, options)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        writer.writerows(row(r, report.licenses) for r in report.results)
        return buffer.getvalue()
