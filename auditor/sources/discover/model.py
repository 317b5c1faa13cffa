"""What discovery returns: each place a model is named, and the models found."""

from __future__ import annotations

from dataclasses import dataclass

from auditor.models import ModelRef, Origin
from auditor.sources.discover.vocabulary import MAX_NOTE_LOCATIONS


@dataclass(frozen=True)
class Reference:
    """One place a model is named. `repo_id` is None when the id is computed at run time (unresolved)."""

    origin: Origin  # the path as shown to people (relative to the working directory) and the file's line
    via: str  # how it was found: `AutoModel.from_pretrained`, `config key 'base_model'`, `hf download`…
    repo_id: str | None = None
    revision: str | None = None
    expression: str | None = None  # the source text, for unresolved references
    label: str | None = None  # a finer position where the file line is not how people count: `cell 3:line 2`

    @property
    def resolved(self) -> bool:
        return self.repo_id is not None

    @property
    def where(self) -> str:
        return f"{self.origin.path}:{self.label}" if self.label else str(self.origin)

    @property
    def ref_text(self) -> str:
        if self.repo_id is None:
            return "?"
        return self.repo_id if self.revision is None else f"{self.repo_id}@{self.revision}"


@dataclass(frozen=True)
class Discovery:
    """Everything found under the scanned paths, in file and line order."""

    references: tuple[Reference, ...] = ()
    unresolved: tuple[Reference, ...] = ()
    warnings: tuple[str, ...] = ()  # files that could not be read or parsed, revisions not resolved
    files_scanned: int = 0

    def models(self) -> list[tuple[str, str | None, list[Reference]]]:
        """Distinct (repo_id, revision) pairs with every place each is named, in first-seen order."""
        grouped: dict[tuple[str, str | None], list[Reference]] = {}
        for ref in self.references:
            if ref.repo_id is not None:
                grouped.setdefault((ref.repo_id, ref.revision), []).append(ref)
        return [(repo_id, revision, refs) for (repo_id, revision), refs in grouped.items()]


def to_model_refs(discovery: Discovery) -> list[ModelRef]:
    """One ModelRef per distinct model, its origin the first place it is named; the others go in notes."""
    refs = []
    for repo_id, revision, found in discovery.models():
        others = [r.where for r in found[1:]]
        notes = None
        if others:
            shown = ", ".join(others[:MAX_NOTE_LOCATIONS])
            more = len(others) - MAX_NOTE_LOCATIONS
            notes = f"also at {shown}" + (f" and {more} more" if more > 0 else "")
        if found[0].label:
            notes = f"at {found[0].where}" + (f"; {notes}" if notes else "")
        refs.append(ModelRef(repo_id, revision, origin=found[0].origin, notes=notes))
    return refs
