"""`junit`: one test case per model for CI dashboards; a verdict at or above `fail_on` fails it.

A model that could not be audited (`error` verdict) is a JUnit <error> (the check could not run),
any other failing verdict a <failure>. All text goes through `printable`: XML 1.0 cannot carry most
control characters even escaped, and one hostile card must not make the whole file unparseable.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from auditor.models import AuditReport, ModelResult, Status
from auditor.report.base import FAIL_ON, Option, resolve_options
from auditor.report.document import findings_of, worst_first
from auditor.report.table import license_label
from auditor.report.text import printable

_TEXT_MAX = 8000


def _details(result: ModelResult) -> str:
    lines = [
        f"verdict: {result.verdict.status.value}",
        f"reason: {result.verdict.reason}",
        f"use: {result.verdict.use}",
        f"license: {license_label(result)}",
        f"sha: {result.sha or 'unknown'}",
    ]
    if result.ref.origin is not None:
        lines.append(f"origin: {result.ref.origin}")
    for finding in worst_first(findings_of(result)):
        lines.append(f"[{finding.severity.value}] {finding.rule}: {finding.message}")
        if finding.fix:
            lines.append(f"    fix: {finding.fix}")
    lines += [f"obligation: {o}" for o in result.verdict.obligations]
    if result.verdict.waiver is not None:
        w = result.verdict.waiver
        lines.append(f"waiver: {w.reason} (approved by {w.approved_by}, expires {w.expires})")
    return printable("\n".join(lines), multiline=True, limit=_TEXT_MAX)


class JunitRenderer:
    name = "junit"
    extension = ".junit.xml"
    media_type = "application/xml"
    description = "JUnit XML, one test case per model, for CI test dashboards"
    options: tuple[Option, ...] = (FAIL_ON,)

    def render(self, report: AuditReport, **options: Any) -> str:
        opts = resolve_options(self.name, self.options, options)
        fail_on: Status = opts["fail_on"]
        use = printable(report.use, limit=100)
        failures = errors = 0
        suite = ET.Element("testsuite", name=f"auditor ({use})")
        properties = ET.SubElement(suite, "properties")
        for name, value in (
            ("policy.path", report.policy.path),
            ("policy.sha256", report.policy.sha256),
            ("use", report.use),
            ("fail_on", fail_on.value),
            ("complete", "true" if report.complete else "false"),
            ("tool.version", report.tool_version),
        ):
            ET.SubElement(properties, "property", name=name, value=printable(value, limit=1000))
        for result in report.results:
            case = ET.SubElement(
                suite,
                "testcase",
                name=printable(str(result.ref), limit=300),
                classname=f"auditor.{printable(result.verdict.use, limit=100)}",
                time="0",
            )
            if result.ref.origin is not None:
                case.set("file", printable(result.ref.origin.path, limit=1000))
                if result.ref.origin.line is not None:
                    case.set("line", str(result.ref.origin.line))
            status = result.verdict.status
            details = _details(result)
            if status.at_least(fail_on):
                tag = "error" if status is Status.ERROR else "failure"
                if tag == "error":
                    errors += 1
                else:
                    failures += 1
                message = printable(f"{status.value}: {result.verdict.reason}", limit=1000)
                ET.SubElement(case, tag, message=message, type=status.value).text = details
            else:
                ET.SubElement(case, "system-out").text = details
        counts = {
            "tests": str(len(report.results)),
            "failures": str(failures),
            "errors": str(errors),
            "skipped": "0",
            "time": "0",
        }
        for key, value in counts.items():
            suite.set(key, value)
        suite.set("timestamp", printable(report.generated_at, limit=64))
        root = ET.Element("testsuites", {"name": "auditor", **counts})
        root.append(suite)
        ET.indent(root)
        body = ET.tostring(root, encoding="unicode")
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
