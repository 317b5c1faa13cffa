"""Which base models a model says it comes from: card `base_model`, `base_model_relation`, Hub tags.

A fine-tune, adapter, merge or quantisation is still bound by its base's license, so resolution
needs the bases. Card values are untrusted: local paths, URLs, non-strings and the model itself are
not bases; they are reported so a person can fix the card, and never followed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from auditor import limits
from auditor.licenses.text import describe_value, quote
from auditor.models import Finding, HubModel, LineageLink, Relation, Severity

RELATIONS = tuple(r.value for r in Relation.known())
UNKNOWN_RELATION = Relation.UNKNOWN

MAX_BASES = limits.BASES_PER_MODEL
"""Bases taken from one card; a merge of more is reported, the rest are not followed."""

MAX_LINEAGE_DEPTH = limits.LINEAGE_DEPTH
"""How far up the base_model chain a caller should fetch before stopping with DEPTH_CAP_ERROR."""

CYCLE_ERROR = "cycle"
DEPTH_CAP_ERROR = "depth-cap"

RULE_BASE_INVALID = "base-model-invalid"

_TAG = "base_model:"
_REPO_PART = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?"
_REPO_ID = re.compile(rf"(?:{_REPO_PART}/)?{_REPO_PART}")
_ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors", "adapter_model.bin")


@dataclass(frozen=True)
class BaseRef:
    """A base model a card or the Hub names, and how this model derives from it."""

    repo_id: str
    relation: Relation = Relation.UNKNOWN


def cycle_error(chain: tuple[str, ...]) -> str:
    """`ResolvedBase.error` for a base already on the path being resolved."""
    return f"{CYCLE_ERROR}: {' -> '.join(chain)}"


def depth_cap_error(depth: int) -> str:
    """`ResolvedBase.error` for a base beyond the lineage depth the caller follows."""
    note = f" ({limits.LINEAGE_DEPTH.note})" if depth == limits.LINEAGE_DEPTH else ""
    return f"{DEPTH_CAP_ERROR}: deeper than {int(depth)} levels, not followed{note}"


def declared_bases(hub: HubModel) -> tuple[BaseRef, ...]:
    """The bases of a model, in the card's order then the Hub tags', without junk or duplicates."""
    return scan_bases(hub)[0]


def scan_bases(hub: HubModel) -> tuple[tuple[BaseRef, ...], tuple[Finding, ...]]:
    """The bases, and a finding for each card value that cannot be a base model id."""
    findings: list[Finding] = []
    card = hub.card_data if isinstance(hub.card_data, dict) else {}
    raw = card.get("base_model")
    values: list[object] = [] if raw is None else list(raw) if isinstance(raw, list) else [raw]

    tag_relation: dict[str, str] = {}
    tag_bases: list[str] = []
    for tag in hub.tags:
        if not isinstance(tag, str) or not tag.startswith(_TAG):
            continue
        rest = tag[len(_TAG) :]
        relation, _, repo = rest.partition(":")
        if repo and relation in RELATIONS:
            tag_relation.setdefault(repo.casefold(), relation)
        elif not repo:
            repo = rest
        if _REPO_ID.fullmatch(repo):
            tag_bases.append(repo)

    card_relation = card.get("base_model_relation")
    relation_default = card_relation.strip().lower() if isinstance(card_relation, str) else None
    if relation_default not in RELATIONS:
        if card_relation is not None:
            findings.append(
                _invalid(f"base_model_relation is {_show(card_relation)}, not one of {', '.join(RELATIONS)}")
            )
        relation_default = None

    names: list[str] = []
    for value in values:
        problem = _problem(value, hub.repo_id)
        if problem is not None:
            findings.append(_invalid(problem))
            continue
        if isinstance(value, str):  # always, once _problem has passed it
            names.append(value.strip())
    names.extend(tag_bases)

    own = hub.repo_id.casefold()
    unique = {name.casefold(): name for name in reversed(names) if name.casefold() != own}
    seen: dict[str, BaseRef] = {}
    for name in names:
        key = name.casefold()
        if key in seen or key == own:
            continue
        relation = tag_relation.get(key) or relation_default or _inferred_relation(hub, len(unique))
        seen[key] = BaseRef(name, Relation(relation))
    bases = tuple(seen.values())
    if len(bases) > MAX_BASES:
        followed = f"only the first {MAX_BASES} are followed ({MAX_BASES.note})"
        findings.append(_invalid(f"{len(bases)} base models declared; {followed}"))
        bases = bases[:MAX_BASES]
    return bases, tuple(findings)


def _inferred_relation(hub: HubModel, count: int) -> Relation:
    """What the Hub itself would infer when the card does not say: adapters ship adapter files, a
    model with several bases is a merge. Anything else stays unknown rather than guessed."""
    if any(name.rsplit("/", 1)[-1] in _ADAPTER_FILES for name in hub.siblings):
        return Relation.ADAPTER
    library = hub.card_data.get("library_name") if isinstance(hub.card_data, dict) else None
    if isinstance(library, str) and library.strip().lower() == "peft":
        return Relation.ADAPTER
    if count > 1:
        return Relation.MERGE
    return Relation.UNKNOWN


def _problem(value: object, own_id: str) -> str | None:
    if not isinstance(value, str):
        return f"base_model entry is {describe_value(value)}, not a model id"
    text = value.strip()
    if not text:
        return "base_model entry is empty"
    if re.match(r"^[a-z][a-z0-9+.-]*://", text, re.IGNORECASE) or text.lower().startswith("www."):
        return f"base_model {_show(text)} is a URL, not a model id (links are never followed)"
    if text.startswith(("/", "./", "../", "~", "\\")) or re.match(r"^[A-Za-z]:[\\/]", text) or "\\" in text:
        return f"base_model {_show(text)} is a local path, not a Hub model id"
    if not _REPO_ID.fullmatch(text) or "--" in text or ".." in text:
        return f"base_model {_show(text)} is not a valid Hub model id"
    if text.casefold() == own_id.casefold():
        return "base_model names the model itself"
    return None


def _show(value: object) -> str:
    return repr(quote(value, 120)) if isinstance(value, str) else describe_value(value)


def _invalid(message: str) -> Finding:
    return Finding(
        rule=RULE_BASE_INVALID,
        severity=Severity.WARNING,
        message=message,
        fix="Set base_model in the card to the Hub id(s) of the model(s) this one was derived from, "
        "e.g. `base_model: org/name`, and base_model_relation to adapter, merge, quantized or finetune.",
    )


# ------------------------------------------------------------------ where inherited terms come from

_RELATION_NOUN = {
    "adapter": "an adapter on",
    "merge": "a merge including",
    "quantized": "a quantization of",
    "finetune": "a fine-tune of",
    UNKNOWN_RELATION: "derived from",
}


def path_to(key: str, links: Sequence[LineageLink]) -> tuple[LineageLink, ...]:
    """The chain of bases from the model down to the nearest base whose own license is `key`.

    `links` is a resolution's lineage (depth 1 = a direct base; `parent` names the model that
    declared each link). Empty when no base declares `key` itself.
    """
    holders = [link for link in links if key in link.keys]
    if not holders:
        return ()
    return chain_to(min(holders, key=lambda link: link.depth), links)


def chain_to(target: LineageLink, links: Sequence[LineageLink]) -> tuple[LineageLink, ...]:
    """The bases from the model's direct base down to `target`, following each link's parent."""
    chain = [target]
    while chain[0].depth > 1:
        up = next(
            (
                link
                for link in links
                if link.depth == chain[0].depth - 1 and link.repo_id.casefold() == chain[0].parent.casefold()
            ),
            None,
        )
        if up is None:
            break
        chain.insert(0, up)
    return tuple(chain)


def relation_noun(relation: str) -> str:
    """ "a quantization of", "a fine-tune of", ...: how a model derives from its base."""
    return _RELATION_NOUN.get(relation, _RELATION_NOUN[UNKNOWN_RELATION])


def describe_path(chain: Sequence[LineageLink]) -> str:
    """ "X, a quantization of meta-llama/Llama-3.1-8B-Instruct": the first base, then each step down."""
    if not chain:
        return ""
    text = chain[0].repo_id
    for link in chain[1:]:
        text += f", {relation_noun(link.relation)} {link.repo_id}"
    return text


def inherited_from(key: str, links: Sequence[LineageLink]) -> str:
    """ " (inherited from base model X)" or " (inherited via X, a fine-tune of Y)", for messages."""
    chain = path_to(key, links)
    if not chain:
        return " (inherited from a base model)"
    if len(chain) == 1:
        return f" (inherited from base model {chain[0].repo_id})"
    return f" (inherited via {describe_path(chain)})"


_DEPTH_CAP = re.compile(r"deeper than (\d+)")


def is_cycle(error: str) -> bool:
    return error.startswith(CYCLE_ERROR) or "cycle" in error.casefold()


def is_depth_cap(error: str) -> bool:
    return error.startswith(DEPTH_CAP_ERROR) or "deeper than" in error.casefold()


def missing_terms(links: Sequence[LineageLink]) -> LineageLink | None:
    """The nearest base in a lineage whose terms are not known: not followed (cycle, depth cap), not
    fetched, or with a license that could not be established."""
    gaps = [link for link in links if link.error is not None or link.expression is None]
    return min(gaps, key=lambda link: link.depth) if gaps else None


def describe_gap(gap: LineageLink, links: Sequence[LineageLink], base: str) -> str:
    """Why the terms at `gap` are unknown, naming the model, where it sits in the chain and the cause.

    `links` is the lineage of `base`, a direct base of the model the message is for, so depths
    and the chain read from that model.
    """
    depth = gap.depth + 1
    chain = chain_to(gap, links)
    path = f"{base}, {relation_noun(chain[0].relation)} {describe_path(chain)}"
    where = f"{gap.repo_id} (chain: {path})"
    error = gap.error or ""
    if gap.error is None:
        return f"the license of {where}, at depth {depth} of the lineage, could not be established"
    if is_cycle(error):
        loop = error.split(":", 1)[1].strip() if ":" in error else error
        return f"the base_model lineage loops back at {gap.repo_id} ({quote(loop, 300)}); the loop was not followed"
    if is_depth_cap(error):
        found = _DEPTH_CAP.search(error)
        cap = f" (the audit follows {found.group(1)} levels)" if found else ""
        return f"the base_model lineage was cut at depth {depth}{cap}: {where} was not followed"
    return f"base model {where}, at depth {depth} of the lineage, could not be fetched ({quote(error, 200)})"
