"""Hosted (closed) models: `api:PROVIDER/MODEL` entries, rules/providers.yaml, the policy's data rules, reports."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import textwrap
import urllib.parse
from pathlib import Path

import jsonschema
import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from auditor.errors import InputFileError, KnowledgeBaseError, PolicyError
from auditor.licenses import load_knowledge_base
from auditor.models import DataClass, ModelRef, ProviderFact, Status, Verdict
from auditor.policy import parse_policy
from auditor.policy.data_model import DataRule, Destination, Requirement
from auditor.policy.data_rules import apply_self_hosted, evaluate_hosted
from auditor.policy.model import Policy
from auditor.providers import Fact, MatchProblem, Offering, Provider, ProviderKnowledge, load_provider_knowledge
from auditor.sources import parse_hosted_id, read_inventory, read_list_file, refs_from_args
from tests.hubstandin.server import HubStandIn

ROOT = Path(__file__).resolve().parent.parent
TODAY = datetime.date(2026, 12, 7)
KB = load_knowledge_base()
BUNDLED = load_provider_knowledge()


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "GITHUB_"))}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "auditor", *args], capture_output=True, text=True, env=full_env, cwd=ROOT, timeout=120
    )


# ---------------------------------------------------------------- sources


def test_hosted_ids_parse_and_bad_ones_are_refused() -> None:
    assert parse_hosted_id("api:openai/gpt-4o") == ("openai", "gpt-4o")
    assert parse_hosted_id("api:bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0")[1].endswith("v1:0")
    assert parse_hosted_id("api:vertex/claude-sonnet-4@20250514") == ("vertex", "claude-sonnet-4@20250514")
    for bad in ("api:openai", "api:/gpt-4o", "api:OpenAI/gpt-4o", "api:openai/../etc", "api:openai/gpt 4o"):
        with pytest.raises(ValueError):
            parse_hosted_id(bad)
    (ref,) = refs_from_args(["api:openai/gpt-4o"])
    assert ref.is_hosted and ref.repo_id == "api:openai/gpt-4o" and ref.revision is None


def test_list_files_take_hosted_ids(tmp_path: Path) -> None:
    path = tmp_path / "models.txt"
    path.write_text("openai-community/gpt2\napi:anthropic/claude-sonnet-4  # hosted\n")
    refs = read_list_file(path)
    assert [r.repo_id for r in refs] == ["openai-community/gpt2", "api:anthropic/claude-sonnet-4"]
    assert refs[1].origin is not None and refs[1].origin.line == 2


def test_inventory_mixes_hub_and_hosted_entries_with_data(tmp_path: Path) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            models:
              - id: google-bert/bert-base-uncased
                data: [internal, personal]
              - api: openai/gpt-4o
                use: saas
                data: [public, internal]
              - api: google/gemini-2.5-pro
                offering: paid
                data: public
              - api:mistral/mistral-large
            """
        )
    )
    hub, gpt, gemini, mistral = read_inventory(path)
    assert not hub.is_hosted and hub.data == (DataClass.INTERNAL, DataClass.PERSONAL)
    assert gpt.is_hosted and gpt.use == "saas" and gpt.data == (DataClass.PUBLIC, DataClass.INTERNAL)
    assert gpt.origin is not None and gpt.origin.line == 4
    assert gemini.offering == "paid" and gemini.data == (DataClass.PUBLIC,)
    assert mistral.repo_id == "api:mistral/mistral-large" and mistral.data == ()


@pytest.mark.parametrize(
    ("entry", "line", "words"),
    [
        ("  - api: openai/gpt-4o\n    data: [secret]\n", 3, "data class 'secret'"),
        ("  - api: openai/gpt-4o\n    id: org/name\n", 2, "not both"),
        ("  - api: openai/gpt-4o\n    revision: main\n", 3, "no Hub revision"),
        ("  - id: org/name\n    offering: paid\n", 3, "hosted ('api:') models only"),
        ("  - api: OpenAI/gpt-4o\n", 2, "not a provider name"),
        ("  - api: openai/gpt-4o\n    data: [public, 3]\n", 3, "data class int"),
        ("  - api: openai/gpt-4o\n    offering: '<script>'\n", 3, "not an offering name"),
    ],
)
def test_inventory_errors_name_the_line(tmp_path: Path, entry: str, line: int, words: str) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text("models:\n" + entry)
    with pytest.raises(InputFileError) as caught:
        read_inventory(path)
    assert caught.value.line == line and words in caught.value.message


# ---------------------------------------------------------------- provider knowledge

# Each provider's facts must come from its own terms and documentation, never a third party's page.
OWN_DOMAINS = {
    "openai": ("openai.com",),
    "anthropic": ("anthropic.com", "claude.com"),
    "google": ("ai.google.dev",),
    "vertex": ("cloud.google.com",),
    "azure-openai": ("learn.microsoft.com",),
    "bedrock": ("docs.aws.amazon.com",),
    "mistral": ("mistral.ai",),
    "deepseek": ("deepseek.com",),
    "cohere": ("cohere.com",),
}
ALL_FACTS = [
    (provider.key, offering.key, fact) for provider in BUNDLED for offering in provider.offerings for fact in Fact
]


def test_every_required_provider_and_resale_offering_is_known() -> None:
    assert set(OWN_DOMAINS) == {p.key for p in BUNDLED}
    kinds = {o.kind for p in BUNDLED for o in p.offerings}
    assert {"api", "api-free-tier", "resale"} <= kinds
    assert BUNDLED.match("azure-openai", "gpt-4o").offering.resells == "openai"  # type: ignore[union-attr]


@pytest.mark.parametrize(("provider", "offering", "fact"), ALL_FACTS, ids=lambda v: getattr(v, "value", v))
def test_each_provider_fact_is_sourced_dated_and_quoted_or_unknown_with_a_note(
    provider: str, offering: str, fact: Fact
) -> None:
    found = next(o for o in BUNDLED.get(provider).offerings if o.key == offering).fact(fact)  # type: ignore[union-attr]
    if not found.known:
        assert found.note, "an unknown fact says what is missing"
        return
    assert found.source and found.quote and found.verified
    host = urllib.parse.urlsplit(found.source).hostname or ""
    assert host.endswith(OWN_DOMAINS[provider]), f"{found.source} is not {provider}'s own page"
    assert datetime.date.fromisoformat(found.verified) <= TODAY


@pytest.mark.parametrize(
    ("provider", "offering", "fact", "value"),
    [
        ("openai", "api", Fact.TRAINING_ON_INPUTS, "no"),
        ("openai", "api", Fact.ZERO_DATA_RETENTION, "on-request"),
        ("openai", "api", Fact.DATA_RESIDENCY, ("US", "EU")),
        ("openai", "api", Fact.DPA, "unknown"),
        ("anthropic", "api", Fact.TRAINING_ON_INPUTS, "no"),
        ("anthropic", "api", Fact.ZERO_DATA_RETENTION, "on-request"),
        ("anthropic", "api", Fact.DPA, "yes"),
        ("google", "paid", Fact.TRAINING_ON_INPUTS, "no"),
        ("google", "free", Fact.TRAINING_ON_INPUTS, "yes"),
        ("google", "paid", Fact.DATA_RESIDENCY, "none"),
        ("google", "paid", Fact.OUTPUT_OWNERSHIP, "unclaimed"),
        ("vertex", "google-models", Fact.ZERO_DATA_RETENTION, "yes"),
        ("azure-openai", "api", Fact.TRAINING_ON_INPUTS, "no"),
        ("bedrock", "api", Fact.ZERO_DATA_RETENTION, "yes"),
        ("mistral", "scale", Fact.TRAINING_ON_INPUTS, "no"),
        ("mistral", "experiment", Fact.TRAINING_ON_INPUTS, "yes"),
        ("deepseek", "api", Fact.TRAINING_ON_INPUTS, "unknown"),
        ("cohere", "api", Fact.DPA, "unknown"),
    ],
)
def test_recorded_provider_facts(provider: str, offering: str, fact: Fact, value: object) -> None:
    chosen = next(o for o in BUNDLED.get(provider).offerings if o.key == offering)  # type: ignore[union-attr]
    assert chosen.fact(fact).value == value
    if fact is Fact.RETENTION and chosen.fact(fact).days is not None:
        assert chosen.fact(fact).days > 0  # type: ignore[operator]


def test_retention_days_are_recorded_where_the_source_gives_a_number() -> None:
    days = {p.key: o.fact(Fact.RETENTION).days for p in BUNDLED for o in p.offerings if o.default or p.key == "google"}
    assert days["openai"] == 30 and days["anthropic"] == 30 and days["google"] == 55


def test_models_pick_their_offering_and_fail_closed_otherwise() -> None:
    assert BUNDLED.match("openai", "gpt-4o-2024-08-06").offering.key == "api"  # type: ignore[union-attr]
    assert BUNDLED.match("vertex", "claude-sonnet-4@20250514").offering.key == "partner-models"  # type: ignore[union-attr]
    assert BUNDLED.match("google", "gemini-2.5-pro").problem is MatchProblem.AMBIGUOUS_OFFERING
    assert BUNDLED.match("google", "gemini-2.5-pro", "free").offering.key == "free"  # type: ignore[union-attr]
    assert BUNDLED.match("google", "gemini-2.5-pro", "gold").problem is MatchProblem.UNKNOWN_OFFERING
    assert BUNDLED.match("openai", "davinci-999").problem is MatchProblem.UNKNOWN_MODEL
    unknown = BUNDLED.match("acme", "magic-1")
    assert unknown.problem is MatchProblem.UNKNOWN_PROVIDER and "'acme'" in unknown.message


PROVIDERS_OK = """\
schema_version: 1
providers:
  - key: acme
    name: Acme
    offerings:
      - key: api
        name: Acme API
        kind: api
        models: ["magic-*"]
        facts:
          training_on_inputs: {value: 'no', source: https://acme.example/terms, verified: 2026-01-02,
                               quote: "We do not train."}
          retention: {value: unknown, note: not read}
          zero_data_retention: {value: unknown, note: not read}
          data_residency: {value: unknown, note: not read}
          dpa: {value: unknown, note: not read}
          output_ownership: {value: unknown, note: not read}
          use_restrictions: {value: unknown, note: not read}
          governing_law: {value: unknown, note: not read}
"""


def test_a_providers_file_loads_and_bad_ones_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "providers.yaml"
    path.write_text(PROVIDERS_OK)
    knowledge = load_provider_knowledge(path)
    assert knowledge.match("acme", "magic-7").offering.fact(Fact.TRAINING_ON_INPUTS).verified == "2026-01-02"  # type: ignore[union-attr]
    cases = [
        (PROVIDERS_OK.replace('quote: "We do not train."', "detail: x"), 11, "quote"),  # a known fact needs its words
        (
            PROVIDERS_OK.replace("retention: {value: unknown, note: not read}", "retention: {value: unknown}", 1),
            13,
            "note",
        ),
        (PROVIDERS_OK.replace("value: 'no'", "value: maybe"), 11, "maybe"),
        (PROVIDERS_OK.replace("          governing_law: {value: unknown, note: not read}\n", ""), 10, "governing_law"),
        (PROVIDERS_OK.replace("https://acme.example/terms", "http://acme.example/terms"), 11, "https"),
        (PROVIDERS_OK + PROVIDERS_OK.split("providers:\n")[1], 20, "duplicate provider key"),
    ]
    for text, line, words in cases:
        path.write_text(text)
        with pytest.raises(KnowledgeBaseError) as caught:
            load_provider_knowledge(path)
        assert caught.value.line == line and words in str(caught.value), (words, str(caught.value))


# ---------------------------------------------------------------- data rules

POLICY = """\
default_use: saas
company:
  territories: {territories}
uses:
  saas: {{description: hosted product, commercial: true, distributes: true, modifies: false}}
data:
  max_fact_age_days: 100
  transfer_bases: {bases}
  classes:
    public: {{hosted: allow}}
    internal: {{hosted: allow, requires: [no-training-on-inputs]}}
    confidential: {{hosted: allow, requires: [no-training-on-inputs, zero-data-retention, dpa]}}
    personal: {{hosted: allow, requires: [dpa, eu-residency-or-transfer-basis]}}
    special-category: {{hosted: deny, self_hosted: review}}
"""


def policy(territories: str = "[DE]", bases: str = "[]", text: str | None = None) -> Policy:
    return parse_policy((text or POLICY.format(territories=territories, bases=bases)).encode(), "p.yaml", KB)


def offering(**facts: object) -> Offering:
    made = []
    for fact in Fact:
        value = facts.get(fact.value, "unknown")
        known = value != "unknown"
        made.append(
            ProviderFact(
                fact.value,
                tuple(value) if isinstance(value, list) else str(value),
                source="https://acme.example/terms" if known else None,
                verified=str(facts.get("verified", "2026-11-01")) if known else None,
                quote="words" if known else None,
                note=None if known else "not confirmed",
            )
        )
    return Offering("acme", "Acme", "api", "Acme API", "api", ("magic-*",), tuple(made), default=True)


def judge(data: tuple[DataClass, ...], pol: Policy | None = None, **facts: object) -> Verdict:
    knowledge = ProviderKnowledge((Provider("acme", "Acme", (offering(**facts),)),))
    ref = ModelRef("api:acme/magic-1", data=data)
    return evaluate_hosted(
        ref=ref, match=knowledge.match("acme", "magic-1"), policy=pol or policy(), use="saas", today=TODAY
    )


def rules(verdict: Verdict) -> set[str]:
    return {f.rule for f in verdict.findings}


GOOD = {"training_on_inputs": "no", "zero_data_retention": "yes", "dpa": "yes", "data_residency": ["EU", "US"]}


def test_public_data_needs_nothing() -> None:
    verdict = judge((DataClass.PUBLIC,))
    assert verdict.status is Status.APPROVED and DataRule.ALLOWED.value in rules(verdict)


@pytest.mark.parametrize(
    ("training", "status", "rule"),
    [
        ("no", Status.APPROVED, DataRule.REQUIREMENT_MET.value),
        ("yes", Status.NEEDS_REVIEW, DataRule.TRAINS_ON_INPUTS.value),
        ("unknown", Status.NEEDS_REVIEW, DataRule.FACT_UNKNOWN.value),
    ],
)
def test_internal_data_requires_no_training(training: str, status: Status, rule: str) -> None:
    verdict = judge((DataClass.INTERNAL,), training_on_inputs=training)
    assert verdict.status is status and rule in rules(verdict)


@pytest.mark.parametrize(
    ("zdr", "dpa", "status", "rule"),
    [
        ("yes", "yes", Status.APPROVED_WITH_OBLIGATIONS, None),
        ("on-request", "yes", Status.NEEDS_REVIEW, DataRule.ZERO_RETENTION_ON_REQUEST.value),
        ("no", "yes", Status.BLOCKED, DataRule.NO_ZERO_RETENTION.value),
        ("unknown", "yes", Status.NEEDS_REVIEW, DataRule.FACT_UNKNOWN.value),
        ("yes", "no", Status.BLOCKED, DataRule.NO_DPA.value),
        ("yes", "unknown", Status.NEEDS_REVIEW, DataRule.FACT_UNKNOWN.value),
    ],
)
def test_confidential_data_requires_no_training_zero_retention_and_a_dpa(
    zdr: str, dpa: str, status: Status, rule: str | None
) -> None:
    verdict = judge((DataClass.CONFIDENTIAL,), training_on_inputs="no", zero_data_retention=zdr, dpa=dpa)
    assert verdict.status is status
    if rule:
        assert rule in rules(verdict)
    else:
        assert any("zero data retention" in o for o in verdict.obligations)
        assert any("data processing agreement" in o for o in verdict.obligations)


def test_an_unknown_fact_is_named_in_the_finding() -> None:
    verdict = judge((DataClass.CONFIDENTIAL,), training_on_inputs="no", zero_data_retention="yes")
    unknown = [f for f in verdict.findings if f.rule == DataRule.FACT_UNKNOWN.value]
    assert unknown and unknown[0].subject == "acme/api:dpa" and "data processing agreement" in unknown[0].message


def test_personal_data_of_an_eu_company_needs_eu_residency_or_a_documented_transfer_basis() -> None:
    in_eu = judge((DataClass.PERSONAL,), **GOOD)
    assert in_eu.status is Status.APPROVED_WITH_OBLIGATIONS
    assert any("EU data residency" in o for o in in_eu.obligations)
    us_only = dict(GOOD, data_residency=["US"])
    assert judge((DataClass.PERSONAL,), **us_only).status is Status.NEEDS_REVIEW
    assert DataRule.NO_TRANSFER_BASIS.value in rules(judge((DataClass.PERSONAL,), **us_only))
    documented = policy(bases="[{provider: acme, basis: SCCs in the signed DPA, ticket: LEGAL-7}]")
    verdict = judge((DataClass.PERSONAL,), documented, **us_only)
    assert verdict.status is Status.APPROVED_WITH_OBLIGATIONS and DataRule.TRANSFER_BASIS.value in rules(verdict)
    unknown_residency = dict(GOOD, data_residency="unknown")
    assert DataRule.FACT_UNKNOWN.value in rules(judge((DataClass.PERSONAL,), **unknown_residency))


def test_residency_does_not_apply_outside_the_eu_and_an_undeclared_territory_is_named() -> None:
    us_company = judge((DataClass.PERSONAL,), policy(territories="[US]"), **dict(GOOD, data_residency="none"))
    assert us_company.status is Status.APPROVED_WITH_OBLIGATIONS and DataRule.NOT_APPLICABLE.value in rules(us_company)
    undeclared = judge((DataClass.PERSONAL,), policy(territories="~"), **GOOD)
    assert undeclared.status is Status.NEEDS_REVIEW
    assert any(
        f.rule == DataRule.UNDECLARED_FACT.value and f.subject == "company.territories" for f in undeclared.findings
    )


def test_a_denied_class_blocks_and_the_worst_class_wins() -> None:
    verdict = judge((DataClass.PUBLIC, DataClass.SPECIAL_CATEGORY), **GOOD)
    assert verdict.status is Status.BLOCKED and DataRule.CLASS_DENIED.value in rules(verdict)


def test_no_data_declared_or_no_rule_for_a_class_needs_review() -> None:
    assert DataRule.UNDECLARED_DATA.value in rules(judge((), **GOOD))
    bare = policy(text=POLICY.format(territories="[DE]", bases="[]").split("data:")[0])
    verdict = judge((DataClass.PUBLIC,), bare, **GOOD)
    assert verdict.status is Status.NEEDS_REVIEW and DataRule.NO_RULE.value in rules(verdict)


def test_facts_verified_too_long_ago_warn_without_changing_the_verdict() -> None:
    verdict = judge((DataClass.PUBLIC,), **dict(GOOD, verified="2026-01-01"))
    stale = [f for f in verdict.findings if f.rule == DataRule.STALE_FACTS.value]
    assert verdict.status is Status.APPROVED and stale and stale[0].severity.value == "warning"
    assert "100 days" in stale[0].message
    assert DataRule.STALE_FACTS.value not in rules(judge((DataClass.PUBLIC,), **GOOD))


def test_unknown_provider_model_and_offering_need_review_naming_them() -> None:
    pol = load_policy_default()
    for ref, rule in (
        (ModelRef("api:acme/magic-1", data=(DataClass.PUBLIC,)), "unknown-provider"),
        (ModelRef("api:openai/davinci-999", data=(DataClass.PUBLIC,)), "unknown-hosted-model"),
        (ModelRef("api:google/gemini-2.5-pro", data=(DataClass.PUBLIC,)), "ambiguous-offering"),
        (ModelRef("api:google/gemini-2.5-pro", data=(DataClass.PUBLIC,), offering="gold"), "unknown-offering"),
    ):
        provider, model = parse_hosted_id(ref.repo_id)
        verdict = evaluate_hosted(
            ref=ref, match=BUNDLED.match(provider, model, ref.offering), policy=pol, use="saas", today=TODAY
        )
        assert verdict.status is Status.NEEDS_REVIEW and rule in rules(verdict)
        assert any(f.subject == ref.repo_id and f.fix for f in verdict.findings)


def load_policy_default() -> Policy:
    from auditor.policy import load_policy

    return load_policy(None, KB)


def test_the_default_policy_follows_the_hybrid_strategy() -> None:
    data = load_policy_default().data
    assert data.rule(DataClass.CONFIDENTIAL).hosted is Destination.DENY  # type: ignore[union-attr]
    assert data.rule(DataClass.SPECIAL_CATEGORY).hosted is Destination.DENY  # type: ignore[union-attr]
    assert data.rule(DataClass.PUBLIC).hosted is Destination.ALLOW  # type: ignore[union-attr]
    assert Requirement.NO_TRAINING in data.rule(DataClass.INTERNAL).requires  # type: ignore[union-attr]
    assert Requirement.DPA in data.rule(DataClass.PERSONAL).requires  # type: ignore[union-attr]


def test_self_hosted_models_are_restricted_only_where_the_policy_says_so() -> None:
    pol = policy()
    approved = Verdict(Status.APPROVED, "saas", "license allowed")
    free = apply_self_hosted(approved, ModelRef("org/name", data=(DataClass.CONFIDENTIAL, DataClass.PERSONAL)), pol)
    assert free is approved
    held = apply_self_hosted(approved, ModelRef("org/name", data=(DataClass.SPECIAL_CATEGORY,)), pol)
    assert held.status is Status.NEEDS_REVIEW and DataRule.SELF_HOSTED_REVIEW.value in rules(held)
    blocked = Verdict(Status.BLOCKED, "saas", "license denies it")
    assert (
        apply_self_hosted(blocked, ModelRef("org/name", data=(DataClass.SPECIAL_CATEGORY,)), pol).status
        is Status.BLOCKED
    )


def test_a_waiver_lifts_a_hosted_verdict() -> None:
    text = POLICY.format(territories="[DE]", bases="[]") + textwrap.dedent(
        """\
        waivers:
          - model: api:acme/magic-1
            reason: opt-out of training confirmed in writing
            approved_by: DPO
            expires: 2099-01-01
        """
    )
    verdict = judge((DataClass.INTERNAL,), policy(text=text), training_on_inputs="yes")
    assert verdict.status is Status.APPROVED and verdict.waiver is not None


@pytest.mark.parametrize(
    ("section", "line", "words"),
    [
        ("data:\n  classes:\n    secret: {hosted: deny}\n", 9, "unknown data class 'secret'"),
        ("data:\n  classes:\n    public: {hosted: maybe}\n", 9, "expected one of: allow, review, deny"),
        ("data:\n  classes:\n    public: {hosted: allow, requires: [iso-27001]}\n", 9, "unknown requirement"),
        ("data:\n  classes:\n    public: {hosted: deny, requires: [dpa]}\n", 9, "only with hosted: allow"),
        ("data:\n  transfer_bases: {provider: x}\n", 8, "must be a list"),
        ("data:\n  transfer_bases:\n    - {provider: acme}\n", 9, "basis is required"),
        ("data:\n  max_fact_age_days: soon\n", 8, "whole number"),
        ("data:\n  rules: {}\n", 8, "unknown key 'rules'"),
    ],
)
def test_data_rules_are_validated_with_file_and_line(section: str, line: int, words: str) -> None:
    head = "default_use: saas\nuses:\n  saas: {description: x, commercial: true, distributes: true, modifies: false}\n"
    text = head + "company: {}\nname: t\nversion: '1'\n" + section
    with pytest.raises(PolicyError) as caught:
        parse_policy(text.encode(), "p.yaml", KB)
    assert caught.value.line == line and words in caught.value.message, str(caught.value)


def test_policy_check_reports_a_bad_data_rule_as_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    text = (ROOT / "rules" / "policy.yaml").read_text().replace("hosted: deny          #", "hosted: nowhere       #")
    path.write_text(text)
    proc = run("policy", "check", str(path))
    line = next(i for i, ln in enumerate(text.splitlines(), start=1) if "hosted: nowhere" in ln)
    assert proc.returncode == 2 and proc.stderr.strip().startswith(f"auditor: error: {path}:{line}:"), proc.stderr


def test_the_shipped_policy_with_its_data_rules_passes_the_editor_schema() -> None:
    import yaml

    schema = json.loads((ROOT / "rules" / "policy.schema.json").read_text())
    document = json.loads(json.dumps(yaml.safe_load((ROOT / "rules" / "policy.yaml").read_text()), default=str))
    jsonschema.Draft202012Validator(schema).validate(document)


# ---------------------------------------------------------------- end to end: a mixed inventory

INVENTORY = """\
models:
  - id: google-bert/bert-base-uncased
    use: saas
    data: [personal]
  - api: openai/gpt-4o
    use: saas
    data: [public, internal]
  - api: anthropic/claude-sonnet-4
    use: saas
    data: [confidential]
  - api: google/gemini-2.5-pro
    use: saas
    offering: free
    data: [internal]
  - api: acme/magic-1
    use: saas
    data: [public]
"""


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """One scan of a mixed inventory through the real client against the stand-in Hub, every format."""
    tmp = tmp_path_factory.mktemp("mixed")
    (tmp / "inventory.yaml").write_text(INVENTORY)
    with HubStandIn(ROOT / "tests" / "fixtures" / "hub") as hub:
        env = {"HF_ENDPOINT": hub.url, "HF_HOME": str(tmp / "hf"), "HF_HUB_DISABLE_TELEMETRY": "1"}
        proc = run(
            "scan",
            "-r",
            str(tmp / "inventory.yaml"),
            "--no-cache",
            "--exit-zero",
            "--format",
            "json,html,markdown,csv,spdx,cyclonedx,table",
            "-o",
            str(tmp / "out"),
            env=env,
        )
        paths = [r.path for r in hub.requests]
    assert proc.returncode == 0, proc.stderr
    return tmp / "out", paths


def test_hosted_models_never_go_to_the_hub(mixed: tuple[Path, list[str]]) -> None:
    _, paths = mixed
    assert any("bert-base-uncased" in p for p in paths)
    assert not [p for p in paths if any(word in p for word in ("api:", "gpt-4o", "claude", "gemini", "magic-1"))]


def test_mixed_inventory_verdicts_in_the_json_contract(mixed: tuple[Path, list[str]]) -> None:
    out, _ = mixed
    document = json.loads((out / "auditor-report.json").read_text())
    schema = json.loads((ROOT / "auditor" / "report" / "schema" / "report.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(document)
    models = {m["id"]: m for m in document["models"]}
    assert models["google-bert/bert-base-uncased"]["kind"] == "hub"
    assert models["google-bert/bert-base-uncased"]["verdict"] == "approved"  # self-hosted: personal data is fine
    gpt = models["api:openai/gpt-4o"]
    assert gpt["kind"] == "hosted" and gpt["verdict"] == "approved" and gpt["data"] == ["public", "internal"]
    assert gpt["hosted"]["offering"] == "api" and gpt["sha"] is None
    training = next(f for f in gpt["hosted"]["facts"] if f["name"] == "training_on_inputs")
    assert training["value"] == "no" and training["source"].startswith("https://") and training["verified"]
    assert models["api:anthropic/claude-sonnet-4"]["verdict"] == "blocked"  # confidential stays self-hosted
    assert models["api:google/gemini-2.5-pro"]["verdict"] == "needs-review"  # the free tier trains on inputs
    assert models["api:acme/magic-1"]["verdict"] == "needs-review"
    assert models["api:acme/magic-1"]["hosted"] is None


def test_html_shows_hub_models_and_apis_in_one_table_with_the_data_classes(mixed: tuple[Path, list[str]]) -> None:
    out, _ = mixed
    html = (out / "auditor-report.html").read_text()
    table = html.split("<h2>All models</h2>", 1)[1].split("</table>", 1)[0]
    assert "<th>Data</th>" in table
    assert "google-bert/bert-base-uncased" in table and "api:openai/gpt-4o" in table
    assert "public, internal" in table and "provider terms: OpenAI API (platform)" in table  # by name
    assert "Provider terms" in html and "developers.openai.com" in html


def test_markdown_csv_and_table_use_the_api_id(mixed: tuple[Path, list[str]]) -> None:
    out, _ = mixed
    assert "| api\\:openai/gpt-4o | hosted API |" in (out / "auditor-report.md").read_text()
    csv = (out / "auditor-report.csv").read_text()
    assert "api:openai/gpt-4o,," in csv and "public internal" in csv
    assert "api:anthropic/claude-sonnet-4" in (out / "auditor-report.txt").read_text()


def test_cyclonedx_has_hosted_models_as_services_with_their_data_flows(mixed: tuple[Path, list[str]]) -> None:
    out, _ = mixed
    text = (out / "auditor-report.cdx.json").read_text()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    bom = json.loads(text)
    assert [c["name"] for c in bom["components"]] == ["bert-base-uncased"]
    services = {f"{s['group']}/{s['name']}": s for s in bom["services"]}
    gpt = services["openai/gpt-4o"]
    assert gpt["data"] == [{"flow": "inbound", "classification": c} for c in ("public", "internal")] or sorted(
        (d["flow"], d["classification"]) for d in gpt["data"]
    ) == [("inbound", "internal"), ("inbound", "public")]
    assert gpt["x-trust-boundary"] is True and gpt["provider"]["name"] == "OpenAI"
    assert any(p["name"] == "auditor:verdict" and p["value"] == "approved" for p in gpt["properties"])


def test_spdx_gets_a_package_supplied_by_the_provider_that_cannot_be_downloaded(mixed: tuple[Path, list[str]]) -> None:
    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    out, _ = mixed
    document = parse_file(str(out / "auditor-report.spdx.json"))
    assert validate_full_spdx_document(document) == []
    package = next(p for p in document.packages if p.name == "api:openai/gpt-4o")
    assert str(package.download_location) == "NONE" and package.supplier.name == "OpenAI"  # type: ignore[union-attr]
    assert "Data it receives: public, internal" in (package.comment or "")


def test_explain_shows_the_facts_with_sources_and_the_rule_for_each_data_class() -> None:
    proc = run("explain", "api:openai/gpt-4o", "--use", "saas")
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert "inputs used for training by default: no" in text
    assert "source: https://developers.openai.com/api/docs/guides/your-data (verified 2026-12-07)" in text
    for data_class in DataClass:
        assert f"  {data_class.value}" in text
    assert "confidential      hosted: deny" in text and "-> blocked" in text
    unknown = run("explain", "api:acme/magic-1")
    assert unknown.returncode == 0 and "not in rules/providers.yaml" in unknown.stdout
    bad = run("explain", "api:Bad/x")
    assert bad.returncode == 2 and "not a provider name" in bad.stderr


def test_the_readme_examples_are_a_valid_inventory_and_data_section(tmp_path: Path) -> None:
    import re

    readme = (ROOT / "README.md").read_text()
    inventory = re.search(r"```yaml\n(models:\n  - id: google-bert.*?)```", readme, re.S)
    data = re.search(r"```yaml\n(data:\n.*?)```", readme, re.S)
    assert inventory is not None and data is not None
    (tmp_path / "inventory.yaml").write_text(inventory.group(1))
    assert [r.is_hosted for r in read_inventory(tmp_path / "inventory.yaml")] == [False, True, True]
    head = "default_use: saas\nuses:\n  saas: {description: x, commercial: true, distributes: true, modifies: false}\n"
    pol = parse_policy((head + data.group(1)).encode(), "readme.yaml", KB)
    assert pol.data.transfer_basis("anthropic") is not None and len(pol.data.classes) == 5


def test_lock_pins_hub_models_only_and_check_does_not_ask_to_lock_hosted_ones(tmp_path: Path) -> None:
    lock = tmp_path / "models.lock"
    inventory = ROOT / "examples" / "inventory.yaml"
    locked = run("lock", "--hub-dir", "examples/hub", "-r", str(inventory), "--lock-file", str(lock), "--no-cache")
    assert locked.returncode == 0, locked.stderr
    assert "api:" not in lock.read_text() and "not locked" not in locked.stderr
    checked = run("check", "--hub-dir", "examples/hub", "-r", str(inventory), "--lock", str(lock), "--no-cache")
    assert "lock: no drift" in checked.stderr + checked.stdout


def test_the_example_policies_say_where_each_data_class_may_go() -> None:
    from auditor.policy import load_policy

    for path in sorted((ROOT / "rules" / "examples").glob("*.yaml")):
        assert len(load_policy(path, KB).data.classes) == 5, path.name
    eu = load_policy(ROOT / "rules" / "examples" / "eu-saas-startup.yaml", KB)
    ref = ModelRef("api:google/gemini-2.5-pro", data=(DataClass.PERSONAL,), offering="paid")
    match = BUNDLED.match("google", "gemini-2.5-pro", "paid")
    verdict = evaluate_hosted(ref=ref, match=match, policy=eu, use="saas", today=TODAY)
    assert verdict.status is Status.BLOCKED and DataRule.NO_EU_RESIDENCY.value in rules(
        verdict
    )  # Gemini API: no residency choice


def test_providers_lists_every_offering_and_how_many_facts_are_confirmed() -> None:
    table = run("providers")
    assert table.returncode == 0, table.stderr
    assert "openai/api *" in table.stdout and "deepseek/api *" in table.stdout and "0/8" in table.stdout
    rows = json.loads(run("providers", "--format", "json").stdout)
    by_id = {r["id"]: r for r in rows}
    assert set(by_id) == {f"{p.key}/{o.key}" for p in BUNDLED for o in p.offerings}
    assert by_id["google/free"]["facts"]["training_on_inputs"]["value"] == "yes"
    assert "dpa" in by_id["openai/api"]["unknown"]


def test_a_principal_place_of_business_in_the_eu_makes_transfer_rules_apply() -> None:
    text = POLICY.format(territories="~", bases="[]").replace(
        "  territories: ~\n", "  principal_place_of_business: FR\n"
    )
    verdict = judge((DataClass.PERSONAL,), policy(text=text), **dict(GOOD, data_residency=["US"]))
    assert verdict.status is Status.NEEDS_REVIEW and DataRule.NO_TRANSFER_BASIS.value in rules(verdict)


def test_an_agreement_with_the_provider_settles_what_its_public_terms_leave_open() -> None:
    agreed = POLICY.format(territories="[DE]", bases="[]").replace(
        "  transfer_bases: []\n",
        "  transfer_bases: []\n  agreements:\n"
        "    - {provider: acme, offering: api, dpa: true, zero_data_retention: true, ticket: LEGAL-12}\n",
    )
    open_terms = {"training_on_inputs": "no", "zero_data_retention": "on-request", "dpa": "unknown"}
    assert judge((DataClass.CONFIDENTIAL,), **open_terms).status is Status.NEEDS_REVIEW
    verdict = judge((DataClass.CONFIDENTIAL,), policy(text=agreed), **open_terms)
    assert verdict.status is Status.APPROVED
    notes = [f for f in verdict.findings if f.rule == DataRule.AGREEMENT.value]
    assert len(notes) == 2 and all("p.yaml:10" in f.message and "LEGAL-12" in f.message for f in notes)
    other = agreed.replace("offering: api", "offering: batch")
    assert judge((DataClass.CONFIDENTIAL,), policy(text=other), **open_terms).status is Status.NEEDS_REVIEW


def test_an_agreement_must_say_what_was_agreed() -> None:
    bad = POLICY.format(territories="[DE]", bases="[]").replace(
        "  transfer_bases: []\n", "  transfer_bases: []\n  agreements:\n    - {provider: acme, ticket: LEGAL-12}\n"
    )
    with pytest.raises(PolicyError) as caught:
        policy(text=bad)
    assert caught.value.line == 10 and "say what was agreed" in caught.value.message
