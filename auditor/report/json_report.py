"""`json`: the machine contract (see `document.py` and `schema/report.schema.json`)."""

from __future__ import annotations

from typing import Any

from auditor.models import AuditReport
from auditor.report.base import Option, resolve_options
from auditor.report.document import dumps, report_document


class JsonRenderer:
    name = "json"
    extension = ".json"
    media_type = "application/json"
    description = "the JSON contract (schema_version 1) other tools read"
    options: tuple[Option, ...] = ()

    def render(self, report: AuditReport, **options: Any) -> str:
        resolve_options(self.name, self.options, options)
        return dumps(report_document(report))
