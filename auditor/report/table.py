"""`table`: one line per model for a person at a terminal, and a line of counts.

Card text never reaches the terminal raw: control characters (ESC sequences could recolour, move the
cursor or retitle the window) and bidi overrides are replaced before any colour of ours is added.
"""

from __future__ import annotations

import textwrap
from typing import Any

from auditor.models import AuditReport, ModelResult, Status
from auditor.report.base import Option, resolve_options
from auditor.report.document import terms_label
from auditor.report.text import display_width, fit, printable

_COLOURS = {
    Status.APPROVED: "\x1b[32m",  # green
    Status.APPROVED_WITH_OBLIGATIONS: "\x1b[36m",  # cyan
    Status.NEEDS_REVIEW: "\x1b[33m",  # yellow
    Status.BLOCKED: "\x1b[31;1m",  # bold red
    Status.ERROR: "\x1b[35;1m",  # bold magenta
}
_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"

_ID_LIMIT = 512  # ids are validated (<= 193 characters) and a revision at most 255: this only bounds junk
_LICENSE_MAX = 36
_MIN_REASON = 20
_REASON_MAX = 200


def model_label(result: ModelResult) -> str:
    ref = result.ref
    return ref.repo_id if ref.revision is None else f"{ref.repo_id}@{ref.revision}"


def license_label(result: ModelResult) -> str:
    """The expression, or for licenses off the SPDX list their knowledge-base keys: `llama3.1` reads
    better in a table than `LicenseRef-scancode-llama-3.1-license-2024`."""
    if result.ref.is_hosted:
        return terms_label(result)
    resolution = result.resolution
    expression = resolution.expression if resolution else None
    single_ref = expression is not None and expression.startswith("LicenseRef-") and " " not in expression
    if resolution and single_ref and len(resolution.keys) == 1:
        return resolution.keys[0]
    return expression or "unknown"


def summary_line(report: AuditReport) -> str:
    counts = report.summary
    parts = [f"{counts[s.value]} {s.value}" for s in Status if counts[s.value]]
    total = len(report.results)
    line = f"{total} model{'s' if total != 1 else ''}: " + (", ".join(parts) if parts else "none")
    if not report.complete:
        line += " — INCOMPLETE: the run was interrupted, not every model was audited"
    return line


class TableRenderer:
    name = "table"
    extension = ".txt"
    media_type = "text/plain; charset=utf-8"
    description = "aligned text table for a terminal"
    options: tuple[Option, ...] = (
        Option("color", bool, False, "colour verdicts with ANSI escapes (the CLI sets it on a TTY)"),
        Option(
            "width",
            int,
            None,
            "line width in columns (the CLI passes the terminal's); None: only cut reasons over 200 columns",
            nullable=True,
        ),
    )

    def render(self, report: AuditReport, **options: Any) -> str:
        opts = resolve_options(self.name, self.options, options)
        color: bool = opts["color"]
        rows = [
            (
                printable(model_label(r), limit=_ID_LIMIT),
                r.verdict.status,
                printable(license_label(r), limit=4 * _LICENSE_MAX),
                printable(r.verdict.reason, limit=4096),
            )
            for r in report.results
        ]
        # The id is what a person copies into the next command: it is never cut (a Hub id is at most 193
        # characters), however narrow the terminal; the reason and the license give way instead.
        id_w = max([display_width("MODEL"), *(display_width(r[0]) for r in rows)])
        verdict_w = max(len(s.value) for s in Status)
        lic_w = min(_LICENSE_MAX, max([display_width("LICENSE"), *(display_width(r[2]) for r in rows)]))
        width: int | None = opts["width"]
        if width is None:
            reason_w = min(_REASON_MAX, max([display_width("REASON"), *(display_width(r[3]) for r in rows)]))
        else:  # narrow terminal: give the reason its minimum first, then cut licenses, then the reason
            room = width - verdict_w - 6
            reason_w = max(_MIN_REASON, room - id_w - lic_w)
            excess = id_w + lic_w + reason_w - room
            for_lic = min(max(excess, 0), max(0, lic_w - 12))
            lic_w, excess = lic_w - for_lic, excess - for_lic
            reason_w = max(8, reason_w - max(excess, 0))

        def line(cells: tuple[str, str, str, str], status: Status | None) -> str:
            model, verdict, lic, reason = cells
            verdict_cell = fit(verdict, verdict_w)
            if color and status is not None:
                verdict_cell = f"{_COLOURS[status]}{verdict_cell}{_RESET}"
            return "  ".join((fit(model, id_w), verdict_cell, fit(lic, lic_w), fit(reason, reason_w))).rstrip()

        header = line(("MODEL", "VERDICT", "LICENSE", "REASON"), None)
        out = [f"{_BOLD}{header}{_RESET}" if color else header]
        out += [line((m, s.value, lic, reason), s) for m, s, lic, reason in rows]
        summary = summary_line(report)
        lines = textwrap.wrap(summary, width) if width else [summary]
        out += ["", *(f"{_BOLD}{line}{_RESET}" if color else line for line in lines)]
        return "\n".join(out) + "\n"
