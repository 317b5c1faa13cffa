"""What a CI job shows: GitHub annotations, the job's step summary and the concise list of `check`.

Each is a renderer in the registry like the report formats (`--format github`, `concise`), fed the
places discovery found each model at (`places`) and its unresolved references (`unresolved`) as
options, so nothing here reads files, the environment or the clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import PurePath
from typing import Any, Protocol

from auditor.escape import github_data, github_property, markdown, printable
from auditor.models import AuditReport, ModelResult, Origin, Severity, Status, fails_gate, needs_attention
from auditor.report.base import FAIL_ON, Option, resolve_options

Places = Mapping[tuple[str, str | None], Sequence[Origin]]


class Unresolved(Protocol):
    """A model reference computed at run time (a `sources.discover.Reference` without a repo id)."""

    @property
    def expression(self) -> str | None: ...
    @property
    def via(self) -> str: ...
    @property
    def origin(self) -> Origin: ...


PLACES = Option("places", dict, None, "every place each (repo_id, revision) is named, from discovery", nullable=True)
UNRESOLVED = Option("unresolved", tuple, (), "model references discovery could not resolve")
WORKSPACE = Option(
    "workspace", str, None, "the directory GitHub resolves annotation paths against ($GITHUB_WORKSPACE)", nullable=True
)
SUMMARY = Option("summary", str, "", "the run's one-line summary, shown at the top of the step summary")


def failing(result: ModelResult, fail_on: Status) -> bool:
    return fails_gate(result.verdict.status, fail_on)


def attention_rows(report: AuditReport, fail_on: Status) -> list[ModelResult]:
    """The models a person must look at, worst first."""
    rows = [r for r in report.results if needs_attention(r.verdict.status, fail_on)]
    return sorted(rows, key=lambda r: (-r.verdict.status.rank, r.ref.repo_id))


def fix_of(result: ModelResult) -> str | None:
    """How to fix the most severe finding that says how."""
    ranked = sorted(result.verdict.findings, key=lambda f: -f.severity.rank)
    for finding in ranked:
        if finding.fix and finding.severity is not Severity.INFO:
            return finding.fix
    return None


def locations(result: ModelResult, places: Places | None) -> list[Origin]:
    """Every place the model is named: all discovered occurrences, else the reference's own origin."""
    found: list[Origin] = []
    if result.ref.origin is not None:
        found.append(result.ref.origin)
    for origin in (places or {}).get((result.ref.repo_id, result.ref.revision), ()):
        if origin not in found:
            found.append(origin)
    return found


def summary_line(
    report: AuditReport, fail_on: Status, exit_zero: bool, notes: Sequence[str], command: str = "check"
) -> str:
    """`auditor check: 3 models: 1 approved, 2 blocked; lock: no drift — FAILED (fail-on: blocked)`."""
    counts = report.summary
    parts = [f"{counts[s.value]} {s.value}" for s in Status if counts[s.value]]
    failed = any(failing(r, fail_on) for r in report.results)
    outcome = "FAILED" if failed else "passed"
    if failed and exit_zero:
        outcome += " (--exit-zero)"
    total = len(report.results)
    text = f"auditor {command}: {total} model{'s' if total != 1 else ''}: {', '.join(parts) or 'none'}"
    for item in notes:
        text += f"; {item}"
    return f"{text} — {outcome} (fail-on: {fail_on.value})"


# ---------------------------------------------------------------- GitHub workflow commands


def github_annotation(
    level: str, message: str, *, file: str | None = None, line: int | None = None, title: str | None = None
) -> str:
    """One workflow command (`::error file=…,line=…,title=…::message`), escaped as GitHub requires."""
    properties = []
    if file:
        properties.append(f"file={github_property(file)}")
        if line:
            properties.append(f"line={line}")
    if title:
        properties.append(f"title={github_property(title)}")
    head = f"::{level} {','.join(properties)}" if properties else f"::{level}"
    return f"{head}::{github_data(message)}"


def workspace_path(path: str, workspace: str | None) -> str:
    """GitHub resolves annotation paths against the workspace, which need not be the working directory."""
    import os

    if workspace:
        relative = os.path.relpath(os.path.abspath(path), workspace)
        if relative != ".." and not relative.startswith(".." + os.sep):
            return PurePath(relative).as_posix()
    return PurePath(path).as_posix()


class GithubRenderer:
    name = "github"
    extension = ".txt"
    media_type = "text/plain; charset=utf-8"
    description = "GitHub Actions annotations (::error file=…,line=…::…) on the line naming each model"
    options: tuple[Option, ...] = (FAIL_ON, PLACES, UNRESOLVED, WORKSPACE)

    def render(self, report: AuditReport, **options: Any) -> str:
        opts = resolve_options(self.name, self.options, options)
        return "".join(line + "\n" for line in annotation_lines(report.results, **opts))


def annotation_lines(
    results: Sequence[ModelResult],
    *,
    fail_on: Status,
    places: Places | None = None,
    unresolved: Sequence[Unresolved] = (),
    workspace: str | None = None,
) -> list[str]:
    """One annotation per place a model needing attention is named, then one per unresolved reference."""
    out = []
    for result in results:
        if not needs_attention(result.verdict.status, fail_on):
            continue
        verdict = result.verdict
        level = "error" if failing(result, fail_on) else "warning"
        message = f"{result.ref} is {verdict.status.value} for {verdict.use}: {verdict.reason}"
        fix = fix_of(result)
        if fix:
            message += f"\nFix: {fix}"
        message = printable(message, multiline=True, limit=4000)
        title = f"auditor: {verdict.status.value} ({result.ref.repo_id})"
        where: list[Origin | None] = [*locations(result, places)] or [None]
        for origin in where:
            out.append(
                github_annotation(
                    level,
                    message,
                    file=printable(workspace_path(origin.path, workspace)) if origin else None,
                    line=origin.line if origin else None,
                    title=printable(title, limit=200),
                )
            )
    for ref in unresolved:
        out.append(
            github_annotation(
                "warning",
                printable(f"unresolved model reference ({ref.via}): {ref.expression}; auditor cannot check it"),
                file=printable(workspace_path(ref.origin.path, workspace)),
                line=ref.origin.line,
                title="auditor: unresolved model reference",
            )
        )
    return out


class StepSummaryRenderer:
    name = "github-summary"
    extension = ".md"
    media_type = "text/markdown; charset=utf-8"
    description = "the GitHub job summary: the models that need attention, as a Markdown table"
    options: tuple[Option, ...] = (FAIL_ON, PLACES, SUMMARY)

    def render(self, report: AuditReport, **options: Any) -> str:
        opts = resolve_options(self.name, self.options, options)
        fail_on: Status = opts["fail_on"]
        failed = any(failing(r, fail_on) for r in report.results)
        summary = opts["summary"] or summary_line(report, fail_on, False, ())
        lines = [f"### auditor check: {'failed' if failed else 'passed'}", "", markdown(summary, limit=1000), ""]
        rows = attention_rows(report, fail_on)
        if rows:
            lines += ["| | Verdict | Model | Where | Why |", "|---|---|---|---|---|"]
            for result in rows:
                where = locations(result, opts["places"])
                lines.append(
                    f"| {'FAIL' if failing(result, fail_on) else 'WARN'} | {result.verdict.status.value} "
                    f"| {markdown(result.ref, limit=120)} | "
                    f"{markdown(where[0]) if where else 'command line'} | {markdown(result.verdict.reason)} |"
                )
            lines.append("")
        return "\n".join(lines) + "\n"


class ConciseRenderer:
    name = "concise"
    extension = ".txt"
    media_type = "text/plain; charset=utf-8"
    description = "only the models that need attention: verdict, where it is named, why, how to fix"
    options: tuple[Option, ...] = (FAIL_ON, PLACES)

    def render(self, report: AuditReport, **options: Any) -> str:
        from auditor.drift import LOCK_RULES

        opts = resolve_options(self.name, self.options, options)
        fail_on: Status = opts["fail_on"]
        out = []
        for result in attention_rows(report, fail_on):
            tag = "FAIL" if failing(result, fail_on) else "WARN"
            where_all = locations(result, opts["places"])
            where = printable(where_all[0], limit=300) if where_all else "(command line)"
            if len(where_all) > 1:
                where += f" (+{len(where_all) - 1} more)"
            out.append(f"{tag}  {result.verdict.status.value:<13} {printable(str(result.ref), limit=120)}  {where}")
            out.append(f"      {printable(result.verdict.reason, limit=400)}")
            for finding in result.verdict.findings:
                serious = finding.rule in LOCK_RULES and finding.severity is not Severity.INFO
                if serious and finding.message != result.verdict.reason:
                    out.append(f"      lock: {printable(finding.message, limit=400)}")
            fix = fix_of(result)
            if fix:
                out.append(f"      fix: {printable(fix, limit=400)}")
        return "".join(line + "\n" for line in out)


def places_of(found: Any) -> dict[tuple[str, str | None], tuple[Origin, ...]]:
    """Discovery's occurrences as the `places` option (kept here so renderers never import discovery)."""
    if found is None:
        return {}
    return {(repo_id, revision): tuple(ref.origin for ref in refs) for repo_id, revision, refs in found.models()}
