"""`sarif` (2.1.0): findings as CI code-scanning annotations on the line that names the model.

For every model whose verdict is at or above `fail_on`: one result per warning or error finding, at
the finding's own level, and one `verdict-<status>` result at the verdict's level when no finding
reaches it (so the gate failure itself is always an alert). Results are located at the list,
inventory or code line the model came from, as a URI relative to `%SRCROOT%` (the directory auditor
ran in) or, for a file outside it, to a base id of its own; a model named on the command line has no
file, so its results carry a logical location named by the model id instead. Rule metadata is generic
(rule_help.py): what a rule checks is the same for every model.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import urllib.parse
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from auditor.models import AuditReport, Finding, ModelResult, Origin, Severity, Status
from auditor.report.base import FAIL_ON, Option, resolve_options
from auditor.report.document import SEVERITY_FOR_STATUS, findings_of, worst_first
from auditor.report.rule_help import help_uri, rule_help
from auditor.report.text import printable

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://github.com/auditor-project/auditor"
_LEVEL = {Severity.INFO: "note", Severity.WARNING: "warning", Severity.ERROR: "error"}
_LEVEL_TAG = {Severity.INFO: "recommendation", Severity.WARNING: "warning", Severity.ERROR: "error"}
_TEXT_MAX = 2000
SRCROOT = "%SRCROOT%"
CATEGORY = Option(
    "category",
    str,
    "auditor",
    "SARIF automationDetails category: distinct values keep two uploads in one workflow apart",
)
SOURCE_ROOT = Option(
    "source_root",
    str,
    None,
    "the directory paths are relative to (%SRCROOT%); absolute origins under it become relative",
    nullable=True,
)


def verdict_rule(status: Status) -> str:
    """The rule of the one result a failing model gets when no finding explains its verdict."""
    return f"verdict-{status.value}"


def results_for(result: ModelResult, fail_on: Status) -> list[tuple[Finding, Severity]]:
    """The findings to report for one model and the severity each is reported at."""
    status = result.verdict.status
    if not status.at_least(fail_on):
        return []
    floor = SEVERITY_FOR_STATUS[status]
    findings = [f for f in worst_first(findings_of(result)) if f.severity is not Severity.INFO]
    out = [(f, f.severity) for f in findings]
    # The gate failure itself shows at the verdict's level when no finding reaches it.
    if not any(f.severity.rank >= floor.rank for f in findings):
        out.append((Finding(verdict_rule(status), floor, result.verdict.reason or status.value), floor))
    return out


class _Bases:
    """uriBaseIds: %SRCROOT% for the run's directory, ORIGIN1, ORIGIN2… for each folder of a file outside it."""

    def __init__(self, source_root: str | None) -> None:
        self.root = _posix_dir(source_root) if source_root else None
        self.others: dict[str, str] = {}  # folder (posix, trailing /) -> base id

    def locate(self, path: str) -> dict[str, Any]:
        """A relative URI and its base id: never an absolute URI (code scanning shows relative ones only)."""
        windows = PureWindowsPath(path).is_absolute() and not path.startswith("/")
        posix = PureWindowsPath(path).as_posix() if windows else path.replace("\\", "/")
        if not (windows or posix.startswith("/")):
            posix = posixpath.normpath(posix)
            if not posix.startswith("../"):
                return {"uri": _quote(posix), "uriBaseId": SRCROOT}
            if self.root is None:  # relative to an unknown root: keep it relative to the run's directory
                return {"uri": _quote(posix), "uriBaseId": SRCROOT}
            posix = posixpath.normpath(self.root + posix)
        if self.root is not None and posix.startswith(self.root):
            return {"uri": _quote(posix[len(self.root) :]), "uriBaseId": SRCROOT}
        folder, name = posix.rsplit("/", 1)
        base = self.others.setdefault(folder + "/", f"ORIGIN{len(self.others) + 1}")
        return {"uri": _quote(name), "uriBaseId": base}

    def declared(self) -> dict[str, Any]:
        # No uri for %SRCROOT%: the consumer knows its checkout, and the report stays the same on every machine.
        out: dict[str, Any] = {SRCROOT: {"description": {"text": "The directory auditor ran in."}}}
        for folder, base in self.others.items():
            out[base] = {"uri": _file_uri(folder), "description": {"text": "A folder outside the run's directory."}}
        return out


def _posix_dir(path: str) -> str:
    windows = PureWindowsPath(path).is_absolute() and not path.startswith("/")
    posix = PureWindowsPath(path).as_posix() if windows else posixpath.normpath(path)
    return posix.rstrip("/") + "/"


def _file_uri(folder: str) -> str:
    if folder.startswith("/"):
        return PurePosixPath(folder).as_uri() + "/"
    return PureWindowsPath(folder).as_uri() + "/"


def _quote(path: str) -> str:
    return urllib.parse.quote(path, safe="/")


def artifact_location(origin: Origin, bases: _Bases | None = None) -> dict[str, Any]:
    return (bases or _Bases(None)).locate(origin.path)


def location(result: ModelResult, bases: _Bases | None = None) -> dict[str, Any]:
    origin = result.ref.origin
    if origin is None or not origin.path:
        name = printable(result.ref.repo_id, limit=200)
        return {"logicalLocations": [{"name": name, "fullyQualifiedName": name, "kind": "resource"}]}
    physical: dict[str, Any] = {"artifactLocation": artifact_location(origin, bases)}
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
    options: tuple[Option, ...] = (FAIL_ON, CATEGORY, SOURCE_ROOT)

    def render(self, report: AuditReport, **options: Any) -> str:
        opts = resolve_options(self.name, self.options, options)
        fail_on: Status = opts["fail_on"]
        category = printable(opts["category"], limit=100).strip("/ ") or CATEGORY.default
        bases = _Bases(opts["source_root"])
        selected = [(r, f, level) for r in report.results for f, level in results_for(r, fail_on)]

        levels: dict[str, Severity] = {}
        for _, finding, level in selected:
            known = levels.get(finding.rule)
            levels[finding.rule] = level if known is None else max(known, level, key=lambda s: s.rank)
        rule_ids = sorted(levels)
        rules = [_rule(rule_id, levels[rule_id]) for rule_id in rule_ids]
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
                    "locations": [location(result, bases)],
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
                    "automationDetails": {"id": f"{category}/"},
                    "invocations": [{"executionSuccessful": report.complete, "endTimeUtc": report.generated_at}],
                    "originalUriBaseIds": bases.declared(),
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


def _rule(rule_id: str, level: Severity) -> dict[str, Any]:
    """Rule metadata GitHub shows on every alert of the rule: generic, never about one model."""
    text = rule_help(rule_id)
    title = printable(_humanise(rule_id), limit=200)
    return {
        "id": rule_id,
        "name": "".join(word.capitalize() for word in title.split()) or "Finding",
        "shortDescription": {"text": title},
        "fullDescription": {"text": text.description},
        "help": {"text": text.help, "markdown": f"{text.help}\n\n[How auditor decides]({help_uri(rule_id)})"},
        "helpUri": help_uri(rule_id),
        "defaultConfiguration": {"level": _LEVEL[level]},
        "properties": {"tags": ["license", "compliance"], "problem.severity": _LEVEL_TAG[level]},
    }
