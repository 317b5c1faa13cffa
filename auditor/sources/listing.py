"""Models named by a query rather than one by one: every model of an organisation (`--author`), or
every model whose id contains a text (`--search`), as the Hub's paged listing returns them.

The listing itself is the hub layer's (one API request per page of up to 1,000 models, each with
the card data, sha, file list and gating that would otherwise cost a model_info call per model);
this module only turns a typed query into references, in a stable order, without duplicates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from auditor.errors import UsageError
from auditor.models import ModelRef

# Hub user and organisation names: letters, digits, '-', '_', '.', not starting with a symbol.
_AUTHOR_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}")
MAX_SEARCH_CHARS = 200


class ModelLister(Protocol):
    """What the hub layer offers for listings (see `HfHubSource.list_models`)."""

    def list_models(self, *, author: str | None = None, search: str | None = None) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class Listing:
    """`--author ORG` (repeatable) and `--search TEXT`; with both, the authors' models matching TEXT."""

    authors: tuple[str, ...] = ()
    search: str | None = None

    def __post_init__(self) -> None:
        for author in self.authors:
            if not _AUTHOR_RE.fullmatch(author):
                raise UsageError(f"--author {author!r}: not a Hub user or organisation name")
        if self.search is not None and not (0 < len(self.search.strip()) <= MAX_SEARCH_CHARS):
            raise UsageError(f"--search: give 1 to {MAX_SEARCH_CHARS} characters")

    @property
    def wanted(self) -> bool:
        return bool(self.authors) or self.search is not None

    def covers(self, ref: ModelRef) -> bool:
        """Whether this listing would name `ref` if the Hub still lists it: a model on its default branch,
        of one of the authors, whose id contains the search text (the Hub matches ids case-insensitively).
        A lock entry it covers comes back from the listing, so one the Hub stopped listing is reported."""
        owner = ref.repo_id.split("/", 1)[0].casefold()
        return (
            self.wanted
            and ref.revision is None
            and (not self.authors or owner in {a.casefold() for a in self.authors})
            and (self.search is None or self.search.strip().casefold() in ref.repo_id.casefold())
        )

    def describe(self) -> str:
        """The options that give this listing, for messages: `--author a --author b --search 'x'`."""
        parts = [f"--author {a}" for a in self.authors]
        return " ".join([*parts, f"--search {self.search!r}"] if self.search is not None else parts)


def listed_refs(lister: ModelLister, listing: Listing) -> list[ModelRef]:
    """References to every listed model on its default branch, authors in the order given."""
    search = listing.search.strip() if listing.search is not None else None
    ids: list[str] = []
    for author in listing.authors or (None,):
        ids.extend(lister.list_models(author=author, search=search))
    return [ModelRef(repo_id) for repo_id in dict.fromkeys(ids)]
