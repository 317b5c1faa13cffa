"""`json`: the machine contract (see `document.py` and `schema/report.schema.json`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources
from typing import Any

from auditor.models import AuditReport
from auditor.report.base import Option, resolve_options
from auditor.report.document import report_chunks

SCHEMA_RESOURCE = "schema/report.schema.json"


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the contract, as shipped inside the package."""
    text = resources.files("auditor.report").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


class JsonRenderer:
    name = "json"
    extension = ".json"
    media_type = "application/json"
    description = "the JSON contract (schema_version 1) other tools read"
    options: tuple[Option, ...] = ()

    def render(self, report: AuditReport, **options: Any) -> str:
        return "".join(self.render_chunks(report, **options))

    def render_chunks(self, report: AuditReport, **options: Any) -> Iterator[str]:
        """The same text in pieces, a model at a time (see `report_chunks`)."""
        resolve_options(self.name, self.options, options)  # here, not when the first piece is asked for
        return report_chunks(report)
