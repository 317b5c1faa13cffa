"""`explain`, `licenses` and `policy check`: what the knowledge and the policy say, as text and rows."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.app.outcome import raise_if_unavailable
from auditor.app.run import audit, collect_refs
from auditor.app.settings import Settings
from auditor.errors import UsageError
from auditor.sources import is_hosted_id

if TYPE_CHECKING:
    from auditor.policy import Policy


def explain(target: str, settings: Settings) -> list[str]:
    """A license from the knowledge base, one model's resolution and verdict, or a hosted model's provider
    facts and data rules (`api:PROVIDER/MODEL`): sections of text."""
    from auditor.licenses import explain_license, explain_resolution, load_knowledge_base
    from auditor.policy import explain_verdict, load_policy

    kb = load_knowledge_base()
    if is_hosted_id(target):
        from auditor.app.engine import explain_hosted
        from auditor.app.run import run_clock

        (ref,) = collect_refs([target], [])
        policy = load_policy(settings.policy_path, kb)
        return [explain_hosted(ref, policy=policy, use=settings.use, now=run_clock())]
    entry = kb.get(target) or kb.by_hub_id(target) or kb.by_spdx(target)
    if entry is None and "/" not in target:
        matches = kb.match_name(target)
        entry = matches[0] if len(matches) == 1 else None
    if entry is not None:
        return [explain_license(entry)]
    if "/" not in target:
        raise UsageError(f"{target!r} is neither a known license nor a model id (see: auditor licenses)")
    policy = load_policy(settings.policy_path, kb)
    report = audit(collect_refs([target], []), settings, rules=(kb, policy))
    raise_if_unavailable(report)  # as scan does: a refused token or an unreachable Hub is exit 3, not a verdict
    result = report.results[0]
    sections = []
    if result.hub is not None and result.resolution is not None:
        # The verdict's steps carry every finding about the evidence: listed once, there.
        sections.append(explain_resolution(result.hub, result.resolution, kb, findings=False))
    sections.append(explain_verdict(result.verdict, policy, result.verdict.use))
    return sections


def license_rows(category: str | None, commercial: str | None) -> list[dict[str, Any]]:
    from auditor.licenses import licenses_table, load_knowledge_base

    return licenses_table(load_knowledge_base(), category=category, commercial=commercial)


def provider_rows() -> list[dict[str, Any]]:
    from auditor.providers import load_provider_knowledge, offering_rows

    return offering_rows(load_provider_knowledge())


def check_policy(path: Path) -> Policy:
    """The policy at `path`, validated; raises `PolicyError` (FILE:LINE) when it is wrong."""
    from auditor.licenses import load_knowledge_base
    from auditor.policy import check_policy_file

    return check_policy_file(path, load_knowledge_base())
