"""`sarif` (2.1.0): findings as CI code-scanning annotations on the line that names the model.

One result per finding of every model whose verdict is at or above `fail_on`, located at the list or
inventory line the model came from; a model named on the command line has no file, so its results
carry a logical location named by the model id instead.
"""

from __future__ import annotations

import hashlib
import json
import urllib.parse
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from auditor.models import AuditReport, Finding, ModelResult, Origin, Severity, Status
from auditor.report.base import FAIL_ON, Option, resolve_options
from auditor.report.document import SEVERITY_FOR_STATUS, findings_of, worst_first
from auditor.report.text import printable

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://github.com/auditor-project/auditor"
_LEVEL = {Severity.INFO: "note", Severity.WARNING: "warning", Severity.ERROR: "error"}
_TEXT_MAX = 2000


def verdict_rule(status: Status) -> str:
    """The rule of the one result a failing model gets when no finding explains its verdict."""
    return f"verdict-{status.value}"


def results_for(result: ModelResult, fail_on: Status) -> list[tuple[Finding, Severity]]:
    """The findings to report for one model and the severity each is reported at."""
    status = result.verdict.status
    if not status.at_least(fail_on):
        return []
    floor = SEVERITY_FOR_STATUS[status]
    findings = worst_first(findings_of(result))
    if not findings:
        findings = [Finding(verdict_rule(status), floor, result.verdict.reason or status.value)]
    # A model that fails the gate shows at least at its verdict's level, whatever its findings say.
    return [(f, max(f.severity, floor, key=lambda s: s.rank)) for f in findings]


def artifact_location(origin: Origin) -> dict[str, Any]:
    path = origin.path
    if PureWindowsPath(path).is_absolute() and not path.startswith("/"):
        return {"uri": PureWindowsPath(path).as_uri()}
    if path.startswith("/"):
        return {"uri": PurePosixPath(path).as_uri()}
    posix = path.replace("\\", "/")
    while posix.startswith("./"):
        posix = posix[2:]
    return {"uri": urllib.parse.quote(posix, safe="/"), "uriBaseId": "%SRCROOT%"}


def location(result: ModelResult) -> dict[str, Any]:
    origin = result.ref.origin
    if origin is None or not origin.path:
        name = printable(result.ref.repo_id, limit=200)
        return {"logicalLocations": [{"name": name, "fullyQualifiedName": name, "kind": "resource"}]}
    physical: dict[str, Any] = {"artifactLocation": artifact_location(origin)}
    if origin.line is not None and origin.line >= 1:
        physical["region"] = {"startLine": origin.line}
    return {"physicalLocation": physical}


def fingerprint(result: ModelResult, finding: Finding) -> str:
    """Stable across runs and line moves, so code scanning tracks one alert per model and rule."""
    key = "\x00".join((result.ref.repo_id, result.verdict.use, finding.rule, finding.subject or ""))
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _humanise(rule: str) -> str:
    words = rule.replace("_", "-").replace(".", "-").replace("/", "-").split("-")
    text = " ".join(w for w in words if w)
    return text[:1].upper() + text[1:]


class SarifRenderer:
    name = "sarif"
    extension = ".sarif"
    media_type = "application/sarif+json"
    description = "SARIF 2.1.0 for code-scanning annotations in CI"
    options: tuple[Option, ...] = (FAIL_ON,)

    def render(self, report: AuditReport, **options: Any) -> str:
        opts = resolve_options(self.name, self.options, options)
        fail_on: Status = opts["fail_on"]
        selected = [(r, f, level) for r in report.results for f, level in results_for(r, fail_on)]

        helps: dict[str, list[str]] = {}
        levels: dict[str, Severity] = {}
        for _, finding, _level in selected:
            helps.setdefault(finding.rule, [])
            if finding.fix:
                helps[finding.rule].append(printable(finding.fix, limit=_TEXT_MAX))
            known = levels.get(finding.rule)
            levels[finding.rule] = (
                finding.severity if known is None else max(known, finding.severity, key=lambda s: s.rank)
            )
        rule_ids = sorted(helps)
        rules = []
        for rule_id in rule_ids:
            fixes = sorted(set(helps[rule_id]))
            help_text = fixes[0] if fixes else "See the auditor report for the evidence behind this finding."
            rules.append(
                {
                    "id": rule_id,
                    "name": printable(_humanise(rule_id), limit=200),
                    "shortDescription": {"text": printable(_humanise(rule_id), limit=200)},
                    "help": {"text": help_text},
                    "defaultConfiguration": {"level": _LEVEL[levels[rule_id]]},
                }
            )
        index = {rule_id: i for i, rule_id in enumerate(rule_ids)}

        results = []
        for result, finding, level in selected:
            message = f"{result.ref}: {finding.message}"
            if finding.fix:
                message += f" Fix: {finding.fix}"
            results.append(
                {
                    "ruleId": finding.rule,
                    "ruleIndex": index[finding.rule],
                    "level": _LEVEL[level],
                    "message": {"text": printable(message, limit=_TEXT_MAX)},
                    "locations": [location(result)],
                    "partialFingerprints": {"auditorFinding/v1": fingerprint(result, finding)},
                    "properties": {
                        "model": result.ref.repo_id,
                        "requestedRevision": result.ref.requested_revision,
                        "sha": result.sha,
                        "verdict": result.verdict.status.value,
                        "use": result.verdict.use,
                        "severity": finding.severity.value,
                        "subject": finding.subject,
                    },
                }
            )

        document = {
            "$schema": SARIF_SCHEMA,
            "version": "2.1.0",
            "runs": [
                {
                    "tool": {
                        "driver": {
                            "name": "auditor",
                            "version": report.tool_version,
                            "informationUri": INFORMATION_URI,
                            "rules": rules,
                        }
                    },
                    "invocations": [{"executionSuccessful": report.complete, "endTimeUtc": report.generated_at}],
                    "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The directory auditor ran in."}}},
                    "results": results,
                    "properties": {
                        "policy": {"path": report.policy.path, "sha256": report.policy.sha256},
                        "use": report.use,
                        "failOn": fail_on.value,
                        "summary": report.summary,
                        "complete": report.complete,
                    },
                }
            ],
        }
        return json.dumps(document, indent=2, ensure_ascii=True) + "\n"
