"""Provider knowledge: rules/providers.yaml loaded, validated and indexed for hosted-model lookups.

Every fact about what a provider does with the data it receives lives in that file, each with its
source and the date it was verified; this module only reads it. A bad file is refused at load with
its line, because wrong provider facts would clear confidential data for the wrong destination.
"""

from __future__ import annotations

import datetime
import enum
import fnmatch
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.errors import InputFileError, KnowledgeBaseError
from auditor.licenses.knowledge import _read, _validate_schema
from auditor.models import HostedTerms, ProviderFact
from auditor.resources import rules_file
from auditor.yamlfile import LinedDict, LinedList, parse_yaml

PROVIDERS_FILE = "providers.yaml"
BUNDLED_LABEL = "rules/providers.yaml"
"""How findings and reports name the bundled file: the same on every machine, so reports stay reproducible."""
SCHEMA_FILE = "providers.schema.json"
UNKNOWN = "unknown"


class Fact(str, enum.Enum):
    """The facts recorded for every offering; data rules name the ones they need."""

    TRAINING_ON_INPUTS = "training_on_inputs"
    RETENTION = "retention"
    ZERO_DATA_RETENTION = "zero_data_retention"
    DATA_RESIDENCY = "data_residency"
    DPA = "dpa"
    OUTPUT_OWNERSHIP = "output_ownership"
    USE_RESTRICTIONS = "use_restrictions"
    GOVERNING_LAW = "governing_law"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Fact.TRAINING_ON_INPUTS: "inputs used for training by default",
    Fact.RETENTION: "retention",
    Fact.ZERO_DATA_RETENTION: "zero data retention",
    Fact.DATA_RESIDENCY: "data residency",
    Fact.DPA: "data processing agreement",
    Fact.OUTPUT_OWNERSHIP: "output ownership",
    Fact.USE_RESTRICTIONS: "use restrictions",
    Fact.GOVERNING_LAW: "governing law",
}


class MatchProblem(str, enum.Enum):
    """Why a hosted model could not be tied to one offering: each is a needs-review finding."""

    UNKNOWN_PROVIDER = "unknown-provider"
    UNKNOWN_MODEL = "unknown-hosted-model"
    UNKNOWN_OFFERING = "unknown-offering"
    AMBIGUOUS_OFFERING = "ambiguous-offering"


@dataclass(frozen=True)
class Offering:
    """One set of terms under which a provider serves models (API, free tier, resale through a cloud)."""

    provider: str
    provider_name: str
    key: str
    name: str
    kind: str
    models: tuple[str, ...]
    facts: tuple[ProviderFact, ...]
    default: bool = False
    resells: str | None = None
    line: int | None = None

    def serves(self, model: str) -> bool:
        name = model.casefold()
        return any(fnmatch.fnmatchcase(name, pattern.casefold()) for pattern in self.models)

    def fact(self, fact: Fact) -> ProviderFact:
        found = next((f for f in self.facts if f.name == fact.value), None)
        return found if found is not None else ProviderFact(fact.value, UNKNOWN, note="not recorded")

    def terms(self, model: str, source: str) -> HostedTerms:
        return HostedTerms(
            provider=self.provider,
            provider_name=self.provider_name,
            offering=self.key,
            offering_name=self.name,
            kind=self.kind,
            model=model,
            facts=self.facts,
            resells=self.resells,
            source=source,
        )


@dataclass(frozen=True)
class Provider:
    key: str
    name: str
    offerings: tuple[Offering, ...]
    line: int | None = None


@dataclass(frozen=True)
class Match:
    """The offering a hosted model is judged under, or why there is none."""

    provider: Provider | None
    offering: Offering | None
    problem: MatchProblem | None = None
    message: str = ""
    candidates: tuple[str, ...] = ()  # offering keys the entry could name


class ProviderKnowledge:
    """Read-only index of providers.yaml. Lookups return offerings, never guesses."""

    def __init__(self, providers: tuple[Provider, ...], path: str = "<memory>") -> None:
        self.path = path
        self._providers = {p.key: p for p in providers}

    def __iter__(self) -> Iterator[Provider]:
        return iter(self._providers.values())

    def get(self, key: str) -> Provider | None:
        return self._providers.get(key)

    def match(self, provider_key: str, model: str, offering: str | None = None) -> Match:
        provider = self._providers.get(provider_key)
        if provider is None:
            known = ", ".join(sorted(self._providers))
            return Match(
                None,
                None,
                MatchProblem.UNKNOWN_PROVIDER,
                f"provider {provider_key!r} is not in {self.path} (known: {known})",
            )
        if offering is not None:
            chosen = next((o for o in provider.offerings if o.key == offering), None)
            keys = tuple(o.key for o in provider.offerings)
            if chosen is None:
                return Match(
                    provider,
                    None,
                    MatchProblem.UNKNOWN_OFFERING,
                    f"{provider.name} has no offering {offering!r} (known: {', '.join(keys)})",
                    keys,
                )
            if not chosen.serves(model):
                return Match(
                    provider,
                    None,
                    MatchProblem.UNKNOWN_MODEL,
                    f"model {model!r} is not among the models {provider.name} serves under {chosen.name!r}",
                    keys,
                )
            return Match(provider, chosen)
        serving = [o for o in provider.offerings if o.serves(model)]
        if not serving:
            return Match(
                provider,
                None,
                MatchProblem.UNKNOWN_MODEL,
                f"model {model!r} is not among the models recorded for {provider.name} in {self.path}",
            )
        defaults = [o for o in serving if o.default]
        if len(serving) == 1 or len(defaults) == 1:
            return Match(provider, defaults[0] if defaults else serving[0])
        keys = tuple(o.key for o in serving)
        return Match(
            provider,
            None,
            MatchProblem.AMBIGUOUS_OFFERING,
            f"{provider.name} serves {model!r} under different terms ({', '.join(keys)}); the entry must say which",
            keys,
        )


def offering_rows(knowledge: ProviderKnowledge) -> list[dict[str, Any]]:
    """One row per offering for `auditor providers`: what it is and which of its facts are confirmed."""
    rows = []
    for provider in knowledge:
        for offering in provider.offerings:
            unknown = [f.value for f in Fact if not offering.fact(f).known]
            rows.append(
                {
                    "id": f"{provider.key}/{offering.key}",
                    "provider": provider.name,
                    "offering": offering.name,
                    "kind": offering.kind,
                    "default": offering.default,
                    "models": list(offering.models),
                    "confirmed": f"{len(Fact) - len(unknown)}/{len(Fact)}",
                    "unknown": unknown,
                    "facts": {
                        f.value: {
                            "value": offering.fact(f).value,
                            "source": offering.fact(f).source,
                            "verified": offering.fact(f).verified,
                        }
                        for f in Fact
                    },
                }
            )
    return rows


def load_provider_knowledge(path: Path | str | None = None) -> ProviderKnowledge:
    """Load and validate providers.yaml; None means the bundled rules/providers.yaml (loaded once)."""
    if path is None:
        return _bundled()
    return _load(_read(Path(path), str(path)), str(path))


@functools.lru_cache(maxsize=1)
def _bundled() -> ProviderKnowledge:
    source = rules_file(PROVIDERS_FILE)
    knowledge = _load(_read(source, str(source)), str(source))
    knowledge.path = BUNDLED_LABEL
    return knowledge


def _load(text: str, name: str) -> ProviderKnowledge:
    try:
        data = parse_yaml(text, name)
    except InputFileError as exc:
        raise KnowledgeBaseError(exc.path, exc.line, exc.message) from None
    _validate(data, name)
    providers = tuple(_provider(item, data["providers"].line_of(i)) for i, item in enumerate(data["providers"]))
    _check_unique(data["providers"], providers, name)
    return ProviderKnowledge(providers, path=name)


def _plain(value: Any) -> Any:
    """The document as JSON Schema sees it: dates (YAML reads 2026-01-31 as a date) become ISO text."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _validate(data: Any, name: str) -> None:
    _validate_schema(data, name, schema_file=SCHEMA_FILE, instance=_plain(data))


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return str(value)


def _fact(name: str, node: LinedDict) -> ProviderFact:
    value = node["value"]
    return ProviderFact(
        name=name,
        value=tuple(str(v) for v in value) if isinstance(value, LinedList) else str(value),
        source=_text(node.get("source")),
        verified=_text(node.get("verified")),
        quote=_text(node.get("quote")),
        detail=_text(node.get("detail")),
        note=_text(node.get("note")),
        days=node.get("days"),
        page_date=_text(node.get("page_date")),
    )


def _provider(item: LinedDict, line: int) -> Provider:
    offerings = tuple(
        Offering(
            provider=item["key"],
            provider_name=item["name"],
            key=o["key"],
            name=o["name"],
            kind=o["kind"],
            models=tuple(o["models"]),
            facts=tuple(_fact(f, o["facts"][f]) for f in (fact.value for fact in Fact)),
            default=bool(o.get("default", False)),
            resells=o.get("resells"),
            line=item["offerings"].line_of(i),
        )
        for i, o in enumerate(item["offerings"])
    )
    return Provider(item["key"], item["name"], offerings, line)


def _check_unique(items: LinedList, providers: tuple[Provider, ...], name: str) -> None:
    seen: set[str] = set()
    for index, provider in enumerate(providers):
        if provider.key in seen:
            raise KnowledgeBaseError(name, items.line_of(index), f"duplicate provider key {provider.key!r}")
        seen.add(provider.key)
        keys: set[str] = set()
        for offering in provider.offerings:
            if offering.key in keys:
                raise KnowledgeBaseError(
                    name, offering.line, f"{provider.key}: duplicate offering key {offering.key!r}"
                )
            keys.add(offering.key)
        defaults = [o for o in provider.offerings if o.default]
        for a in defaults:
            for b in defaults:
                shared = [p for p in a.models if a is not b and p in b.models]
                if shared:
                    raise KnowledgeBaseError(
                        name,
                        b.line,
                        f"{provider.key}: offerings {a.key!r} and {b.key!r} are both default for {shared[0]!r}",
                    )
