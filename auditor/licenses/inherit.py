"""A phase of license resolution: what a model inherits from its base models, returned as one value.

A fine-tune, adapter, merge or quantisation stays bound by its base's terms: each base's resolution (fetched
by the caller) becomes a lineage link, its keys are inherited, and the effective commercial status is the
most restrictive of the model's own and every base's. A base that could not be resolved, or whose terms
are unknown or stricter than the card claims, is a finding that names where the chain breaks.
Pure: no network, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from auditor.licenses import expression as spdx
from auditor.licenses.entry import CATEGORIES, LicenseEntry
from auditor.licenses.knowledge import KnowledgeBase
from auditor.licenses.lineage import (
    UNKNOWN_RELATION,
    BaseRef,
    describe_gap,
    describe_path,
    is_cycle,
    is_depth_cap,
    missing_terms,
    path_to,
    relation_noun,
    scan_bases,
)
from auditor.licenses.notes import Notes, distinct
from auditor.licenses.rule_ids import RULE_BASE_UNRESOLVED, RULE_CONFLICT_WITH_BASE
from auditor.licenses.text import quote
from auditor.models import (
    Commercial,
    Evidence,
    EvidenceSource,
    Finding,
    HubModel,
    LicenseResolution,
    LineageLink,
    Relation,
    Severity,
)

NOT_LOOKED_UP = "not looked up"
"""`LineageLink.error` for a declared base the caller passed no `ResolvedBase` for."""


@dataclass(frozen=True)
class ResolvedBase:
    """A base model as the caller fetched it: its resolution, or why there is none.

    `error` says why a base could not be resolved: a fetch error (missing, private, gated), or
    `lineage.cycle_error(...)` / `lineage.depth_cap_error(...)` when the caller stopped walking.
    """

    repo_id: str
    relation: Relation = Relation.UNKNOWN
    sha: str | None = None
    resolution: LicenseResolution | None = None
    error: str | None = None


@dataclass(frozen=True)
class Inheritance:
    """The lineage links (direct bases and theirs), the keys inherited from them, the effective commercial
    status, and the evidence and findings about the bases in reading order."""

    links: tuple[LineageLink, ...]
    inherited: tuple[str, ...]
    effective: Commercial
    evidence: tuple[Evidence, ...] = ()
    findings: tuple[Finding, ...] = ()


def read_lineage(
    hub: HubModel,
    kb: KnowledgeBase,
    bases: Mapping[str, ResolvedBase],
    own_keys: tuple[str, ...],
    own_commercial: Commercial,
    own_expression: str | None,
) -> Inheritance:
    """The bases `hub` declares (and any the caller resolved), weighed against the model's own terms."""
    reader = _Lineage(hub, kb)
    links, inherited, effective = reader.lineage(bases, own_keys, own_commercial, own_expression)
    return Inheritance(links, inherited, effective, tuple(reader.evidence), tuple(reader.findings))


class _Lineage(Notes):
    def lineage(
        self,
        bases: Mapping[str, ResolvedBase],
        own_keys: tuple[str, ...],
        own_commercial: Commercial,
        own_expression: str | None,
    ) -> tuple[tuple[LineageLink, ...], tuple[str, ...], Commercial]:
        refs, junk = scan_bases(self.hub)
        self.findings.extend(junk)
        by_id = {k.casefold(): v for k, v in bases.items()}
        wanted: list[BaseRef] = list(refs)
        declared = {r.repo_id.casefold() for r in refs}
        wanted.extend(BaseRef(b.repo_id, b.relation) for b in bases.values() if b.repo_id.casefold() not in declared)
        links: list[LineageLink] = []
        inherited: list[str] = []
        effective = own_commercial
        for ref in wanted:
            base = by_id.get(ref.repo_id.casefold())
            relation = base.relation if base is not None and base.relation != UNKNOWN_RELATION else ref.relation
            res = base.resolution if base is not None else None
            error = base.error if base is not None else NOT_LOOKED_UP
            if res is None and error is None:
                error = "not resolved"
            links.append(
                LineageLink(
                    repo_id=ref.repo_id,
                    relation=relation,
                    parent=self.hub.repo_id,
                    depth=1,
                    sha=base.sha if base is not None else None,
                    expression=res.expression if res is not None else None,
                    keys=res.keys if res is not None else (),
                    commercial=res.commercial if res is not None else Commercial.UNKNOWN,
                    error=error if res is None else None,
                )
            )
            if res is None:
                effective = most_restrictive(effective, Commercial.UNKNOWN)
                self.add_evidence(
                    EvidenceSource.BASE_MODEL, ref.repo_id, detail=f"{relation}; not resolved: {quote(error)}"
                )
                self.base_unresolved(ref.repo_id, str(error))
                continue
            links.extend(replace(link, depth=link.depth + 1) for link in res.lineage)
            inherited.extend(res.all_keys)
            effective = most_restrictive(effective, res.commercial)
            self.add_evidence(
                EvidenceSource.BASE_MODEL,
                ref.repo_id,
                res.all_keys,
                f"{relation}; {res.expression or 'license not established'} ({res.commercial.value})",
            )
            self.check_base(ref.repo_id, relation, res, own_keys, own_commercial, own_expression)
        return tuple(links), tuple(distinct(inherited)), effective

    def base_unresolved(self, repo_id: str, error: str) -> None:
        if error == NOT_LOOKED_UP:
            why = "it was not looked up"
            fix = "Resolve the model with its base models (auditor scan / check do), or review the base's license."
        elif is_cycle(error):
            why = f"its base_model lineage loops back ({quote(error, 300)}); the loop is not followed"
            fix = "Fix the base_model field of the models in the loop: a model cannot derive from itself."
        elif is_depth_cap(error):
            why = f"it is beyond the lineage depth followed ({quote(error, 120)})"
            fix = "Raise --max-depth to follow the chain further, or review the remaining bases yourself."
        else:
            why = f"it could not be fetched ({quote(error)})"
            fix = (
                "Check the base model exists and is readable (a gated base needs a token with access), or "
                "review its license yourself and record a waiver."
            )
        self.find(
            RULE_BASE_UNRESOLVED,
            Severity.ERROR,
            f"base model {repo_id} could not be resolved: {why}; its terms may still apply to this model",
            fix,
            subject=repo_id,
        )

    def check_base(
        self,
        repo_id: str,
        relation: str,
        res: LicenseResolution,
        own_keys: tuple[str, ...],
        own_commercial: Commercial,
        own_expression: str | None,
    ) -> None:
        if res.expression is None or res.commercial is Commercial.UNKNOWN:
            self.base_terms_unknown(repo_id, res)
        if not own_keys or own_commercial is Commercial.UNKNOWN:
            return
        own_rank = _category_rank(self.kb, own_keys)
        governing = [
            entry
            for key in res.all_keys
            if (entry := self.kb.get(key)) is not None and _stricter(entry, own_commercial, own_rank, self.kb)
        ]
        if not governing:
            return
        own = own_expression or ", ".join(own_keys)
        sources = "; ".join(self.bound_by(entry, repo_id, relation, res) for entry in governing)
        names = " and ".join(f"{entry.name} ({spdx.identifier(entry)})" for entry in governing)
        self.find(
            RULE_CONFLICT_WITH_BASE,
            Severity.ERROR,
            f"{self.hub.repo_id} declares {own} (commercial: {own_commercial.value}), more permissive than the "
            f"terms it inherits: {sources}; as a derivative it remains bound by those terms",
            f"Treat the model as licensed under {names} as well; ask the publisher to correct the card.",
            subject=repo_id,
        )

    def bound_by(self, entry: LicenseEntry, repo_id: str, relation: str, res: LicenseResolution) -> str:
        """ "bound by Llama 3.1 (...) via X, a quantization of meta-llama/...": where the terms come from."""
        terms = f"bound by {entry.name} ({spdx.identifier(entry)}, commercial: {entry.commercial.value})"
        noun = relation_noun(relation)
        if entry.key in res.keys:
            return f"{terms} from its base model {repo_id} (this model is {noun} it)"
        chain = path_to(entry.key, res.lineage)
        if not chain:
            return f"{terms} via its base model {repo_id}"
        return f"{terms} via {repo_id}, {relation_noun(chain[0].relation)} {describe_path(chain)}"

    def base_terms_unknown(self, repo_id: str, res: LicenseResolution) -> None:
        """A base whose terms are not known: blame the model where the chain breaks, not a fine base."""
        gap = missing_terms(res.lineage) if res.expression is not None else None
        if gap is None:
            reasons = [f.rule for f in res.findings if f.severity is Severity.ERROR]
            why = f" ({', '.join(dict.fromkeys(reasons))})" if reasons else ""
            self.find(
                RULE_BASE_UNRESOLVED,
                Severity.ERROR,
                f"the license of base model {repo_id} could not be established{why}; "
                "its terms may still apply to this model",
                f"Review the base's license (auditor explain {repo_id}) and record the outcome as a waiver.",
                subject=repo_id,
            )
            return
        error = gap.error or ""
        if is_cycle(error):
            fix = "Fix the base_model field of the models in the loop: a model cannot derive from itself."
        elif is_depth_cap(error):
            fix = "Raise --max-depth to follow the chain further, or review the remaining bases yourself."
        else:
            fix = f"Review the license of {gap.repo_id} (auditor explain {gap.repo_id}) and record the outcome."
        self.find(
            RULE_BASE_UNRESOLVED,
            Severity.ERROR,
            f"{describe_gap(gap, res.lineage, repo_id)}; base model {repo_id} itself is under {res.expression}, "
            "but terms further up its lineage may still apply to this model",
            fix,
            subject=gap.repo_id,
        )


def most_restrictive(a: Commercial, b: Commercial) -> Commercial:
    return a if a.restrictiveness >= b.restrictiveness else b


def _stricter(entry: LicenseEntry, own: Commercial, own_rank: int | None, kb: KnowledgeBase) -> bool:
    """Are `entry`'s terms stricter than the model's own (commercial status, else category)? Unknown
    terms are not compared: they are reported as unknown instead."""
    if entry.commercial is not Commercial.UNKNOWN and own.restrictiveness < entry.commercial.restrictiveness:
        return True
    rank = _category_rank(kb, (entry.key,))
    return own_rank is not None and rank is not None and own_rank < rank


def _category_rank(kb: KnowledgeBase, keys: tuple[str, ...]) -> int | None:
    """The most restrictive category among the keys, by the order of CATEGORIES; unknown is no rank."""
    ranks = [
        CATEGORIES.index(entry.category)
        for key in keys
        if (entry := kb.get(key)) is not None and entry.category != "unknown" and entry.category in CATEGORIES
    ]
    return max(ranks) if ranks else None
