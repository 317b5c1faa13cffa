"""`table`: one line per model for a person at a terminal, and a line of counts.

Card text never reaches the terminal raw: control characters (ESC sequences could recolour, move the
cursor or retitle the window) and bidi overrides are replaced before any colour of ours is added.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import Any

from auditor.models import AuditReport, LicenseName, ModelResult, Status
from auditor.report.base import Option, resolve_options
from auditor.report.names import (
    cleared_for_non_commercial,
    license_name,
    models_worst_first,
    reasons_of,
    terms_name,
    use_label,
)
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
_LICENSE_MAX = 44  # "Meta Llama 3 Community License Agreement" reads whole
_MIN_REASON = 20
_REASON_MAX = 200


def model_label(result: ModelResult) -> str:
    ref = result.ref
    return ref.repo_id if ref.revision is None else f"{ref.repo_id}@{ref.revision}"


def license_label(result: ModelResult, licenses: Mapping[str, LicenseName] | None = None) -> str:
    """The license by its plain name (`Apache License 2.0 (Apache-2.0)`, `Meta Llama 3 Community License
    Agreement`), as every human format shows it; a hosted model's provider terms."""
    if result.ref.is_hosted:
        return terms_name(result)
    return license_name(result, licenses or {})


def summary_line(report: AuditReport) -> str:
    counts = report.summary
    parts = [f"{counts[s.value]} {s.value}" for s in Status if counts[s.value]]
    total = len(report.results)
    line = f"{total} model{'s' if total != 1 else ''}: " + (", ".join(parts) if parts else "none")
    if not report.complete:
        line += " — INCOMPLETE: the run was interrupted, not every model was audited"
    return line


def non_commercial_note(report: AuditReport) -> str | None:
    """Said under the counts when a model is cleared only for a use the policy does not count as commercial."""
    cleared = cleared_for_non_commercial(report)
    if not cleared:
        return None
    count = len(cleared)
    uses = ", ".join(dict.fromkeys(cleared))
    return f"{count} model{'s are' if count != 1 else ' is'} cleared only for {uses}, which is not commercial use"


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
        # Worst first; the number is the input order, so the list the rows came from is still at hand.
        uses_vary = any(r.verdict.use != report.use for r in report.results)
        rows = [
            (
                str(index),
                printable(model_label(r), limit=_ID_LIMIT),
                printable(use_label(r.verdict.use, report.uses), limit=120) if uses_vary else "",
                r.verdict.status,
                printable(license_label(r, report.licenses), limit=4 * _LICENSE_MAX),
                printable("; ".join(text for text, _ in reasons_of(r)), limit=4096),
            )
            for index, r in models_worst_first(report)
        ]
        # The id is what a person copies into the next command: it is never cut (a Hub id is at most 193
        # characters), however narrow the terminal; the reason and the license give way instead.
        num_w = max([1, *(len(r[0]) for r in rows)])
        id_w = max([display_width("MODEL"), *(display_width(r[1]) for r in rows)])
        use_w = max([display_width("USE"), *(display_width(r[2]) for r in rows)]) if uses_vary else 0
        verdict_w = max(len(s.value) for s in Status)
        width: int | None = opts["width"]
        lic_cap = _LICENSE_MAX if width is not None else 2 * _LICENSE_MAX  # a file or a pipe: room for AND/OR
        lic_w = min(lic_cap, max([display_width("LICENSE"), *(display_width(r[4]) for r in rows)]))
        if width is None:
            reason_w = min(_REASON_MAX, max([display_width("REASONS"), *(display_width(r[5]) for r in rows)]))
        else:  # narrow terminal: the license gives way first, then the reason, and the use only last
            columns = 5 + uses_vary
            room = width - 2 * (columns - 1) - num_w - id_w - verdict_w
            reason_w = max(_MIN_REASON, room - lic_w - use_w)
            excess = lic_w + use_w + reason_w - room
            widths = {"lic": lic_w, "reason": reason_w, "use": use_w}
            # Comfortable floors first, then bare ones: the line fits whatever the width (the id never gives).
            for column, floor in (("lic", 12), ("reason", 8), ("use", 12), ("lic", 4), ("reason", 4), ("use", 6)):
                cut = min(max(excess, 0), max(0, widths[column] - floor))
                widths[column] -= cut
                excess -= cut
            lic_w, reason_w, use_w = widths["lic"], widths["reason"], widths["use"]

        def line(cells: tuple[str, str, str, str, str, str], status: Status | None) -> str:
            number, model, use, verdict, lic, reason = cells
            verdict_cell = fit(verdict, verdict_w)
            if color and status is not None:
                verdict_cell = f"{_COLOURS[status]}{verdict_cell}{_RESET}"
            cols = [number.rjust(num_w), fit(model, id_w)]
            if uses_vary:
                cols.append(fit(use, use_w))
            cols += [verdict_cell, fit(lic, lic_w), fit(reason, reason_w)]
            return "  ".join(cols).rstrip()

        header = line(("#", "MODEL", "USE", "VERDICT", "LICENSE", "REASONS"), None)
        out = [f"{_BOLD}{header}{_RESET}" if color else header]
        out += [line((n, m, u, s.value, lic, reason), s) for n, m, u, s, lic, reason in rows]
        summary = summary_line(report)
        scope = non_commercial_note(report)
        if scope:
            summary += f". {scope}"
        lines = textwrap.wrap(summary, width) if width else [summary]
        out += ["", *(f"{_BOLD}{line}{_RESET}" if color else line for line in lines)]
        return "\n".join(out) + "\n"
