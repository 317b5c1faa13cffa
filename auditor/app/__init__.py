"""The application layer: runs the stages for one command and returns results; never prints or exits.

    from auditor.app import Settings, Inputs, scan
    result = scan(Settings(inputs=Inputs(model_ids=("org/name",))))
    result.report                                  # an AuditReport, for any renderer

The CLI (auditor/cli/) builds `Settings` from flags, environment and configuration, calls one of these,
hands the result to renderers and decides nothing else but how to print it. Exit codes come from
`exit_code` here, so every command maps the same report to the same code.
"""

from auditor.app.check import CheckResult, check
from auditor.app.explain import check_policy, explain, license_rows, provider_rows
from auditor.app.lock import LockResult, lock
from auditor.app.outcome import (
    check_exit_code,
    discover_exit_code,
    exit_code,
    gate_failed,
    lock_exit_code,
    raise_if_unavailable,
    unavailable_reason,
)
from auditor.app.run import Gathered, gather, run_clock
from auditor.app.scan import ScanResult, discover, scan
from auditor.app.settings import HubSettings, Inputs, Settings

__all__ = [
    "CheckResult",
    "Gathered",
    "HubSettings",
    "Inputs",
    "LockResult",
    "ScanResult",
    "Settings",
    "check",
    "check_exit_code",
    "check_policy",
    "discover",
    "discover_exit_code",
    "exit_code",
    "explain",
    "gate_failed",
    "gather",
    "license_rows",
    "lock",
    "lock_exit_code",
    "provider_rows",
    "raise_if_unavailable",
    "run_clock",
    "scan",
    "unavailable_reason",
]
