"""What the two SBOM formats (SPDX and CycloneDX) say about a model beyond its license verdict.

SBOM consumers check more than a schema: NTIA's minimum elements want a supplier and a version for
every component, CISA's FSCT a declared and a concluded license and a copyright notice. These helpers
derive each from what the Hub told us, and say "unknown" (None) when it did not say: the repo owner
is the supplier, the card's own license is the declared one, a copyright line of a license file at
the pinned commit is the notice. Nothing is guessed from a model's name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from auditor.models import EvidenceSource, ModelResult
from auditor.report.text import printable, valid_repo_id, valid_sha

# Evidence that is the card's own statement (the Hub derives `license:` tags from the card).
CARD_SOURCES = frozenset(
    {
        EvidenceSource.CARD_LICENSE,
        EvidenceSource.CARD_LICENSE_NAME,
        EvidenceSource.CARD_LICENSE_LINK,
        EvidenceSource.TAG,
    }
)
# "Copyright 2025 X", "Copyright (c) X", "Copyright © X", "© 2024 X": a notice, not the word in a clause.
_COPYRIGHT_RE = re.compile(r"(?:copyright\s*(?:©|\(c\))|copyright\s+(?:\d{4})|©\s*\d{4})", re.IGNORECASE)
_PLACEHOLDER_RE = re.compile(r"\[[^\]]*\]|<[^>]*>|\{[^}]*\}")  # license templates: [yyyy], <year>, {owner}
_COPYRIGHT_MAX_LINES = 5
_CARD_VALUE_MAX = 200
_LIST_MAX = 20
NO_VERSION = "NOASSERTION"  # an explicit "not known" (NTIA's known unknowns) for a base we could not resolve


def owner(repo_id: str) -> str | None:
    """The namespace that publishes the repo, the component's supplier; None for legacy un-namespaced ids."""
    if not valid_repo_id(repo_id):
        return None
    org, sep, _ = repo_id.partition("/")
    return org if sep else None


def purl(repo_id: str, sha: str | None) -> str | None:
    """`pkg:huggingface/<owner>/<name>@<sha>` (the purl spec's huggingface type), only for a pinned commit."""
    if not (valid_repo_id(repo_id) and valid_sha(sha)):
        return None
    return f"pkg:huggingface/{repo_id}@{str(sha).lower()}"


def copyright_notices(result: ModelResult) -> list[str]:
    """Copyright lines of the model's license files at the pinned commit (template placeholders skipped)."""
    if result.hub is None:
        return []
    found: list[str] = []
    for lf in result.hub.license_files:
        for line in lf.text.splitlines():
            match = _COPYRIGHT_RE.search(line)
            if match is None:
                continue
            notice = printable(line[match.start() :].strip(), limit=300)
            if _PLACEHOLDER_RE.search(notice) or notice in found:
                continue
            found.append(notice)
            if len(found) >= _COPYRIGHT_MAX_LINES:
                return found
    return found


def card_value(card: Mapping[str, Any], key: str) -> str | None:
    """One short string field of the (untrusted) card, cleaned; None when absent or not a string."""
    value = card.get(key)
    if not isinstance(value, str) or not value.strip():
        return None
    return printable(value.strip(), limit=_CARD_VALUE_MAX)


def card_list(card: Mapping[str, Any], key: str) -> list[str]:
    """A card field that is a string or a list of strings, cleaned, deduplicated and capped."""
    value = card.get(key)
    items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    out: list[str] = []
    for item in items:
        if isinstance(item, str) and item.strip():
            text = printable(item.strip(), limit=_CARD_VALUE_MAX)
            if text not in out:
                out.append(text)
        if len(out) >= _LIST_MAX:
            break
    return out
