"""The values passed between stages: sources -> hub -> licenses -> policy -> report.

Every stage takes and returns these frozen dataclasses, so a stage can be tested, cached or replayed
without the others. Fields holding model-card data are untrusted text: renderers escape them.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class Name(str, enum.Enum):
    """An identifier with a fixed set of values: compares, hashes, prints and serialises as its value,
    so code imports the member instead of retyping the string."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class Status(str, enum.Enum):
    """A verdict, ordered from best to worst so `--fail-on` can compare them."""

    APPROVED = "approved"
    APPROVED_WITH_OBLIGATIONS = "approved-with-obligations"
    NEEDS_REVIEW = "needs-review"
    BLOCKED = "blocked"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _STATUS_RANK[self]

    def at_least(self, other: Status) -> bool:
        return self.rank >= other.rank


# Ranks are read for every finding of every model: a table, not a search of the member list each time.
_STATUS_RANK = {status: rank for rank, status in enumerate(Status)}


def fails_gate(status: Status, fail_on: Status) -> bool:
    """The one rule for "does this verdict fail the run": at or above `fail_on`; an error always does
    (error ranks worst, so it is at or above every threshold)."""
    return status.at_least(fail_on) or status is Status.ERROR


def needs_attention(status: Status, fail_on: Status) -> bool:
    """Shown to a person (a warning if not failing): failing, or anything from needs-review up."""
    return fails_gate(status, fail_on) or status.at_least(Status.NEEDS_REVIEW)


class Severity(str, enum.Enum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {severity: rank for rank, severity in enumerate(Severity)}


class Commercial(str, enum.Enum):
    """Whether a license permits commercial use; `conditional` means only under its conditions."""

    YES = "yes"
    NO = "no"
    CONDITIONAL = "conditional"
    UNKNOWN = "unknown"

    @property
    def restrictiveness(self) -> int:
        """Higher is more restrictive; unknown counts as worse than conditional (fail closed)."""
        return _RESTRICTIVENESS[self]


_RESTRICTIVENESS = {Commercial.YES: 0, Commercial.CONDITIONAL: 1, Commercial.UNKNOWN: 2, Commercial.NO: 3}


# ---------------------------------------------------------------- sources/

HOSTED_PREFIX = "api:"
"""How a hosted (closed) model is written: `api:PROVIDER/MODEL`, e.g. `api:openai/gpt-4o`."""


class DataClass(str, enum.Enum):
    """What kind of data a model receives; the policy's `data:` rules say where each class may go."""

    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    PERSONAL = "personal"
    SPECIAL_CATEGORY = "special-category"  # GDPR art. 9: health, biometrics, religion, ...


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a model reference was written: a list/inventory file line or a line of code."""

    path: str
    line: int | None = None

    def __str__(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"


@dataclass(frozen=True, slots=True)
class ModelRef:
    """A model the company wants to use, as written by a person (or found in code)."""

    repo_id: str
    revision: str | None = None  # None: the default branch
    origin: Origin | None = None
    use: str | None = None  # intended use from an inventory; None: the run's --use
    owner: str | None = None
    notes: str | None = None
    data: tuple[DataClass, ...] = ()  # the data classes the model receives, as the inventory declares them
    offering: str | None = None  # hosted models: which of the provider's offerings (e.g. `paid`)

    @property
    def requested_revision(self) -> str:
        return self.revision or "main"

    @property
    def is_hosted(self) -> bool:
        """A closed model behind a provider's API: judged by provider terms, never fetched from the Hub."""
        return self.repo_id.startswith(HOSTED_PREFIX)

    def __str__(self) -> str:
        return self.repo_id if self.revision is None else f"{self.repo_id}@{self.revision}"


# ---------------------------------------------------------------- hub/


@dataclass(frozen=True, slots=True)
class LicenseFile:
    """A license file read from the repo at the pinned sha; `text` is capped in size."""

    path: str
    text: str
    size: int | None = None
    truncated: bool = False


PDF_PROBLEM = "pdf"
"""FileProblem.kind of a PDF license file: listed as evidence by its name, never fetched or parsed."""


@dataclass(frozen=True, slots=True)
class FileProblem:
    """A license file that exists (or is named by the card) but could not be read."""

    path: str
    kind: str  # gated | missing | too-large | error | pdf (listed, never parsed)
    message: str


class FetchErrorKind(str, enum.Enum):
    NOT_FOUND = "not-found"  # missing or private repo (the Hub does not say which)
    REVISION_NOT_FOUND = "revision-not-found"
    GATED = "gated"
    DISABLED = "disabled"
    AUTH = "auth"  # token refused
    RATE_LIMITED = "rate-limited"
    SERVER = "server-error"
    NETWORK = "network"  # timeout, refused or dropped connection
    INVALID = "invalid-response"
    OFFLINE_MISS = "offline-miss"  # --offline and not in the cache
    INVALID_ID = "invalid-id"


@dataclass(frozen=True, slots=True)
class HubModel:
    """What the Hub says about one repo at one commit: the evidence for everything after."""

    repo_id: str
    requested_revision: str
    sha: str
    card_data: Mapping[str, Any] = field(default_factory=dict)  # card front matter, untrusted
    tags: tuple[str, ...] = ()
    gated: str | None = None  # None when not gated, else "auto" or "manual"
    private: bool = False
    siblings: tuple[str, ...] = ()
    last_modified: str | None = None
    license_files: tuple[LicenseFile, ...] = ()
    file_problems: tuple[FileProblem, ...] = ()
    card_error: str | None = None  # front matter present but unreadable
    fetched_at: str = ""  # ISO 8601 UTC
    source: str = ""  # where it came from: an endpoint URL, hub-dir:PATH, snapshot:PATH, cache:ENDPOINT


@dataclass(frozen=True, slots=True)
class FetchError:
    """A repo that could not be fetched; it becomes an `error` verdict, never silence."""

    repo_id: str
    requested_revision: str
    kind: FetchErrorKind
    message: str


FetchResult = HubModel | FetchError


# ---------------------------------------------------------------- licenses/


class EvidenceSource(Name):
    """Where a piece of license evidence was read."""

    CARD_LICENSE = "card.license"
    TAG = "tag"
    CARD_LICENSE_NAME = "card.license_name"
    CARD_LICENSE_LINK = "card.license_link"
    LICENSE_FILE = "license_file"
    BASE_MODEL = "base_model"
    MODEL_PROPERTY = "model_property"  # a property some terms depend on (multimodal), and what shows it


class Relation(Name):
    """How a model derives from a base model (the Hub's `base_model_relation` values, and unknown)."""

    ADAPTER = "adapter"
    MERGE = "merge"
    QUANTIZED = "quantized"
    FINETUNE = "finetune"
    UNKNOWN = "unknown"

    @classmethod
    def known(cls) -> tuple[Relation, ...]:
        """The relations a card or a Hub tag may declare."""
        return tuple(r for r in cls if r is not cls.UNKNOWN)


@dataclass(frozen=True, slots=True)
class Evidence:
    """One thing the Hub told us about the license, and what we made of it."""

    source: EvidenceSource
    value: str  # as found (untrusted, capped)
    keys: tuple[str, ...] = ()  # knowledge-base keys it points to; empty when not recognised
    detail: str | None = None  # how it was recognised: alias, marker, similarity score…
    path: str | None = None  # the file, for license_file evidence


@dataclass(frozen=True, slots=True)
class Finding:
    """A reason behind a verdict: rule id, severity, message for people and a way to fix it."""

    rule: str
    severity: Severity
    message: str
    fix: str | None = None
    subject: str | None = None  # what it is about when not the model itself, e.g. a base model id
    policy: str | None = None  # the policy setting that decided, e.g. `uses.saas.categories.permissive`


@dataclass(frozen=True, slots=True)
class LineageLink:
    """A base model (direct or further up) and the license that governs it."""

    repo_id: str
    relation: Relation
    parent: str  # the model that declared this base
    depth: int  # 1 for a direct base
    sha: str | None = None
    expression: str | None = None
    keys: tuple[str, ...] = ()
    commercial: Commercial = Commercial.UNKNOWN
    error: str | None = None  # why it could not be resolved


@dataclass(frozen=True, slots=True)
class ModelTrait:
    """A property of the model some license terms depend on (e.g. multimodal), and what shows it."""

    name: str  # a licenses.rights.ModelClass value
    value: bool | None  # None: nothing in the card, tags or lineage settles it
    evidence: str  # e.g. "pipeline_tag image-text-to-text", "base meta-llama/Llama-3.2-11B-Vision: tag mllama"


@dataclass(frozen=True, slots=True)
class LicenseResolution:
    """The license that governs a model, the evidence for it and how sure we are."""

    expression: str | None  # SPDX expression, LicenseRef-… for non-SPDX licenses; None when unknown
    keys: tuple[str, ...]  # knowledge-base keys of the model's own license(s)
    commercial: Commercial  # effective: the most restrictive of the model's and its bases' terms
    confidence: float  # 0..1
    evidence: tuple[Evidence, ...] = ()
    findings: tuple[Finding, ...] = ()
    lineage: tuple[LineageLink, ...] = ()
    inherited_keys: tuple[str, ...] = ()  # keys that reach the model from its bases
    declared: str | None = None  # the card's license field as written, for SBOM licenseDeclared
    traits: tuple[ModelTrait, ...] = ()  # model properties terms depend on, own and from the lineage

    @property
    def all_keys(self) -> tuple[str, ...]:
        """Own and inherited keys: every license whose terms apply to the model."""
        return tuple(dict.fromkeys((*self.keys, *self.inherited_keys)))


# ---------------------------------------------------------------- policy/


@dataclass(frozen=True, slots=True)
class Waiver:
    """A signed-off exception: this model (at this revision) may be used for these uses until expiry."""

    model: str
    uses: tuple[str, ...]  # empty: every use
    reason: str
    approved_by: str
    expires: str  # ISO date
    revision: str | None = None
    ticket: str | None = None
    line: int | None = None  # where it is written in the policy file


@dataclass(frozen=True, slots=True)
class RightCheck:
    """One right a use needs, checked against one license that governs the model."""

    license: str  # knowledge-base key
    right: str  # a licenses.rights.Right value
    grant: str  # yes | no | conditional | unknown, as the license entry says
    clause: str  # the clause of the primary text (or what is missing)
    outcome: Status  # what this right alone makes of the verdict
    note: str = ""  # e.g. "not applicable: company.entity_type is academic", "inherited via X"


@dataclass(frozen=True, slots=True)
class Verdict:
    status: Status
    use: str
    reason: str  # one line for the table
    findings: tuple[Finding, ...] = ()
    obligations: tuple[str, ...] = ()
    waiver: Waiver | None = None
    rights: tuple[RightCheck, ...] = ()  # each right the use needs, per governing license
    # Every finding that set the verdict, worst first: what a legal reader sees instead of "(+N more)".
    deciding: tuple[Finding, ...] = ()


# ---------------------------------------------------------------- providers/


@dataclass(frozen=True)
class ProviderFact:
    """One fact about a provider offering (rules/providers.yaml), with where and when it was confirmed.

    `value` is `unknown` (the string) when the fact could not be confirmed from a primary source; then
    `note` says what is missing and `source`/`verified` may be empty.
    """

    name: str  # a `Fact` value: training_on_inputs, retention, ...
    value: str | tuple[str, ...]
    source: str | None = None
    verified: str | None = None  # ISO date the fact was last confirmed
    quote: str | None = None
    detail: str | None = None  # e.g. how to opt out, where processing happens
    note: str | None = None
    days: int | None = None  # retention in days, when the source gives a number
    page_date: str | None = None  # the date the source page itself states (effective / updated)

    @property
    def known(self) -> bool:
        return self.value != "unknown"


@dataclass(frozen=True)
class HostedTerms:
    """The provider offering a hosted model was judged against: the evidence, as HubModel is for Hub models."""

    provider: str  # key in rules/providers.yaml
    provider_name: str
    offering: str  # offering key
    offering_name: str
    kind: str  # api | consumer-app | resale | ...
    model: str  # the MODEL part of api:PROVIDER/MODEL
    facts: tuple[ProviderFact, ...] = ()
    resells: str | None = None  # the model maker whose models a resale offering serves
    source: str = ""  # the providers file it was read from

    def fact(self, name: str) -> ProviderFact | None:
        return next((f for f in self.facts if f.name == name), None)


# ---------------------------------------------------------------- report/


@dataclass(frozen=True, slots=True)
class ModelResult:
    ref: ModelRef
    verdict: Verdict
    hub: HubModel | None = None
    fetch_error: FetchError | None = None
    resolution: LicenseResolution | None = None
    hosted: HostedTerms | None = None  # hosted models: the provider terms found (None when unknown)

    @property
    def sha(self) -> str | None:
        return self.hub.sha if self.hub else None


@dataclass(frozen=True)
class LicenseName:
    """How people call a knowledge-base license: its plain name, SPDX id and LicenseRef (report data)."""

    key: str
    name: str
    spdx: str | None = None
    licenseref: str | None = None

    @property
    def identifier(self) -> str:
        """The id SPDX expressions use for it: the SPDX id, else the LicenseRef."""
        return self.spdx or self.licenseref or f"LicenseRef-{self.key}"


_EXPRESSION_TOKENS = re.compile(r"(\s+|\(|\))")


def rename_licenses(expression: str, names: Mapping[str, str]) -> str:
    """An SPDX expression with each license id found in `names` replaced by its name (for people);
    operators, brackets and ids `names` does not hold stay as written."""
    return "".join(names.get(token, token) for token in _EXPRESSION_TOKENS.split(expression))


@dataclass(frozen=True)
class UseInfo:
    """An intended use as the policy defines it, so a report can say whether it is a commercial one."""

    name: str
    commercial: bool
    description: str = ""


@dataclass(frozen=True)
class PolicyInfo:
    path: str
    sha256: str
    name: str | None = None


@dataclass(frozen=True)
class AuditReport:
    tool_version: str
    generated_at: str  # ISO 8601 UTC, passed in so output is reproducible
    policy: PolicyInfo
    use: str  # the run's default use
    results: tuple[ModelResult, ...]
    complete: bool = True  # False when interrupted
    policy_findings: tuple[Finding, ...] = ()  # about the policy itself: expired or unused waivers
    stats: Mapping[str, int] = field(default_factory=dict)
    licenses: Mapping[str, LicenseName] = field(default_factory=dict)  # every key the results name
    uses: Mapping[str, UseInfo] = field(default_factory=dict)  # every use the results were judged for

    @property
    def summary(self) -> dict[str, int]:
        counts = {status.value: 0 for status in Status}
        for result in self.results:
            counts[result.verdict.status.value] += 1
        return counts

    def worst(self) -> Status | None:
        return max((r.verdict.status for r in self.results), key=lambda s: s.rank, default=None)
