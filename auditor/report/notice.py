"""`notice`: a NOTICE / attribution file to ship with a release.

For each model cleared for the release (approved, or approved with obligations): its license, the
attribution lines its license requires, its other duties, where its full license text is (the repo at
the audited sha and the license file's path, and the license's official text), and the base models
whose terms reach it. Models not cleared are named at the end so nobody mistakes their absence for an
oversight.

The verdict carries duties as text; which of them are attribution lines (obligation kinds `notice`,
`attribution`, `built-with`) is looked up in the license knowledge base by the license keys of the
model and its bases. A duty the knowledge base does not know stays listed, under "other duties":
a NOTICE file may say too much, never too little.
"""

from __future__ import annotations

import textwrap
from typing import Any, Protocol

from auditor.licenses.entry import LicenseEntry
from auditor.models import AuditReport, ModelResult, Status
from auditor.report.base import Option, resolve_options
from auditor.report.text import file_url, printable, repo_url, result_endpoint

_CLEARED = (Status.APPROVED, Status.APPROVED_WITH_OBLIGATIONS)
ATTRIBUTION_KINDS = frozenset({"notice", "attribution", "built-with"})


class Knowledge(Protocol):
    def get(self, key: str) -> LicenseEntry | None: ...


def _bundled_knowledge() -> Knowledge:
    from auditor.licenses.knowledge import load_knowledge_base  # only the notice needs it

    return load_knowledge_base()


_RULE = "-" * 78
_WIDTH = 78


def _wrap(text: str, indent: str, first: str | None = None) -> list[str]:
    return textwrap.wrap(
        printable(text, limit=4000),
        width=_WIDTH,
        initial_indent=first if first is not None else indent,
        subsequent_indent=indent,
        break_long_words=True,
        break_on_hyphens=False,
    ) or [first or indent]


def _entries(result: ModelResult, knowledge: Knowledge) -> list[LicenseEntry]:
    keys = result.resolution.all_keys if result.resolution else ()
    return [entry for entry in (knowledge.get(key) for key in keys) if entry is not None]


def _model_block(result: ModelResult, knowledge: Knowledge) -> list[str]:
    ref, resolution, hub = result.ref, result.resolution, result.hub
    sha = result.sha
    entries = _entries(result, knowledge)
    out = [_RULE, printable(ref.repo_id, limit=200)]
    license_text = (resolution.expression if resolution else None) or "unknown"
    names = ", ".join(dict.fromkeys(entry.name for entry in entries))
    out += _wrap(f"{license_text}" + (f" ({names})" if names else ""), " " * 18, "  License:        ")
    if resolution and resolution.inherited_keys:
        out.append(f"  Inherited:      {printable(', '.join(resolution.inherited_keys), limit=500)}")
    out.append(f"  Revision:       {sha or 'unknown'}")
    endpoint = result_endpoint(result)  # the audited endpoint; an offline mirror gets no link
    url = repo_url(ref.repo_id, sha, endpoint)
    if url:
        out.append(f"  Repository:     {url}")
    for lf in hub.license_files if hub else ():
        link = file_url(ref.repo_id, sha, lf.path, endpoint)
        out.append(f"  License text:   {link or printable(lf.path, limit=300)}")
    if hub is not None and not hub.license_files:
        out.append("  License text:   no license file in the repository")
    for official in dict.fromkeys(entry.url for entry in entries if entry.url):
        out.append(f"  Official text:  {official}")
    for base_link in resolution.lineage if resolution else ():
        base = printable(base_link.repo_id, limit=200)
        terms = printable(base_link.expression or "license unknown", limit=300)
        where = repo_url(base_link.repo_id, base_link.sha, endpoint)
        out += _wrap(f"{base} ({base_link.relation}; {terms})", " " * 18, "  Based on:       ")
        if where:  # a URL is never wrapped: it must stay copyable
            out.append(f"{' ' * 18}{where}")
    kinds = {o.text: o.id for entry in entries for o in entry.obligations}
    attribution = [d for d in result.verdict.obligations if kinds.get(d) in ATTRIBUTION_KINDS]
    other = [d for d in result.verdict.obligations if kinds.get(d) not in ATTRIBUTION_KINDS]
    if attribution:
        out.append("  Required attribution and notices:")
        for duty in attribution:
            out += _wrap(duty, " " * 6, "    - ")
    if other:
        out.append("  Other duties under the license:")
        for duty in other:
            out += _wrap(duty, " " * 6, "    - ")
    if result.verdict.waiver is not None:
        w = result.verdict.waiver
        out += _wrap(
            f"Cleared under waiver: {w.reason} (approved by {w.approved_by}"
            + (f", ticket {w.ticket}" if w.ticket else "")
            + f", expires {w.expires})",
            " " * 4,
            "  ",
        )
    return out


class NoticeRenderer:
    name = "notice"
    extension = ".notice.txt"
    media_type = "text/plain; charset=utf-8"
    description = "NOTICE / attribution file for the models shipped in a release"
    options: tuple[Option, ...] = (
        Option("include_all", bool, False, "list every model, not only those cleared for the release"),
        Option(
            "knowledge",
            object,
            None,
            "the license knowledge base the audit used (default: the bundled rules/licenses.yaml)",
            nullable=True,
        ),
    )

    def render(self, report: AuditReport, **options: Any) -> str:
        opts = resolve_options(self.name, self.options, options)
        include_all: bool = opts["include_all"]
        knowledge: Knowledge = opts["knowledge"] or _bundled_knowledge()
        # Hosted models are used through a provider's API: nothing of theirs ships, so no notice is owed.
        models = [r for r in report.results if not r.ref.is_hosted]
        hosted = len(report.results) - len(models)
        shipped = [r for r in models if include_all or r.verdict.status in _CLEARED]
        held = [r for r in models if r not in shipped]
        out = [
            "THIRD-PARTY MODEL NOTICES",
            "=========================",
            "",
            *_wrap(
                "This release includes the machine-learning models listed below. Each is licensed under its "
                "own terms, which are not modified by the license of this product. The attribution lines "
                "and duties under each model are required by its license.",
                "",
            ),
            "",
            f"Audited by auditor {printable(report.tool_version, limit=60)}"
            f" at {printable(report.generated_at, limit=60)} for use {printable(report.use, limit=100)!r}",
            f"Policy: {printable(report.policy.path, limit=300)} (sha256 {printable(report.policy.sha256, limit=64)})",
        ]
        if not report.complete:
            out.append("INCOMPLETE: the audit was interrupted; this notice may not list every model.")
        if hosted:
            out.append(f"Not listed: {hosted} hosted model(s) used through a provider's API; none of them ships.")
        out.append("")
        if not shipped:
            out += [_RULE, "No model in this audit is cleared for the release."]
        for result in shipped:
            out += _model_block(result, knowledge)
            if include_all and result.verdict.status not in _CLEARED:
                reason = printable(result.verdict.reason, limit=500)
                out.append(f"  NOT CLEARED: {result.verdict.status.value} - {reason}")
            out.append("")
        if held:
            out += [_RULE, "Not cleared for release, and not covered by this notice:"]
            for result in held:
                out += _wrap(f"{result.ref} ({result.verdict.status.value}): {result.verdict.reason}", " " * 4, "  - ")
            out.append("")
        return "\n".join(line.rstrip() for line in out).rstrip("\n") + "\n"
