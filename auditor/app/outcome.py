"""How a run ends: the one place that turns a report into an exit code."""

from __future__ import annotations

from typing import TYPE_CHECKING

from auditor.errors import EXIT_FINDINGS, EXIT_INTERRUPTED, EXIT_OK, HubUnavailableError
from auditor.models import AuditReport, FetchErrorKind, Status, fails_gate

if TYPE_CHECKING:
    from auditor.app.lock import LockResult
    from auditor.sources.discover import Discovery

_UNREACHABLE = {FetchErrorKind.NETWORK}


def unavailable_reason(report: AuditReport) -> str | None:
    """Why the run could not happen at all (exit 3), or None: a refused token, or no model reachable."""
    errors = [r.fetch_error for r in report.results if r.fetch_error is not None]
    for error in errors:
        if error.kind is FetchErrorKind.AUTH:  # the hub layer's message may already say so: say it once
            prefix = "the Hub refused the token"
            return error.message if error.message.startswith(prefix) else f"{prefix}: {error.message}"
    if report.results and len(errors) == len(report.results) and all(e.kind in _UNREACHABLE for e in errors):
        return f"the Hub could not be reached for any model: {errors[0].message}"
    return None


def raise_if_unavailable(report: AuditReport) -> None:
    """A complete run that reached nothing (or was refused) is exit 3, not a page of error verdicts."""
    if report.complete:
        reason = unavailable_reason(report)
        if reason:
            raise HubUnavailableError(reason)


def gate_failed(report: AuditReport, fail_on: Status) -> bool:
    return any(fails_gate(r.verdict.status, fail_on) for r in report.results)


def exit_code(report: AuditReport, fail_on: Status, exit_zero: bool) -> int:
    """130 interrupted; raises for 3 (unreachable); 1 when a verdict fails the gate (unless --exit-zero); else 0."""
    if not report.complete:
        return EXIT_INTERRUPTED
    raise_if_unavailable(report)
    if gate_failed(report, fail_on) and not exit_zero:
        return EXIT_FINDINGS
    return EXIT_OK


def lock_exit_code(result: LockResult) -> int:
    """130 interrupted (nothing written); 1 when some model could not be pinned; else 0."""
    if result.built is None:
        return EXIT_INTERRUPTED
    return EXIT_FINDINGS if result.built.skipped else EXIT_OK


def check_exit_code(report: AuditReport | None, fail_on: Status, exit_zero: bool) -> int:
    """`check` with no model found passes; otherwise as `exit_code`."""
    return EXIT_OK if report is None else exit_code(report, fail_on, exit_zero)


def discover_exit_code(found: Discovery, fail_on_unresolved: bool) -> int:
    """1 when asked to fail on ids computed at run time and there are some; else 0."""
    return EXIT_FINDINGS if fail_on_unresolved and found.unresolved else EXIT_OK
