"""Shared builders for the policy tests: a small knowledge base and the stage values evaluate() takes.

The entries mirror the real terms of the licenses they are named after (thresholds, territories,
triggers) so the tables read like the cases they stand for, but they are test data: the policy must
depend only on what an entry says, never on its key.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from auditor.licenses.entry import Conditions, LicenseEntry, Obligation
from auditor.models import (
    Commercial,
    Finding,
    HubModel,
    LicenseResolution,
    LineageLink,
    ModelRef,
    ModelResult,
    Severity,
    Verdict,
)
from auditor.policy import Policy, evaluate, load_policy

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
EXAMPLES = RULES / "examples"
FIXTURES = ROOT / "tests" / "fixtures" / "policy"
TODAY = datetime.date(2026, 7, 1)
SHA = "0123456789abcdef0123456789abcdef01234567"


def _entry(
    key: str,
    category: str,
    commercial: Commercial,
    *,
    name: str | None = None,
    hub_ids: Sequence[str] = (),
    conditions: Conditions | None = None,
    obligations: Sequence[Obligation] = (),
) -> LicenseEntry:
    return LicenseEntry(
        key=key,
        name=name or key,
        spdx=None,
        licenseref=f"LicenseRef-{key}",
        hub_ids=tuple(hub_ids) or (key,),
        aliases=(),
        category=category,
        commercial=commercial,
        conditions=conditions or Conditions(),
        obligations=tuple(obligations),
        markers=(),
    )


def _ob(id_: str, text: str, when: str) -> Obligation:
    return Obligation(id=id_, text=text, when=when)


ENTRIES = (
    _entry(
        "mit",
        "permissive",
        Commercial.YES,
        name="MIT License",
        obligations=[_ob("include-license", "Include the MIT license text and copyright notice", "distribution")],
    ),
    _entry(
        "apache-2.0",
        "permissive",
        Commercial.YES,
        name="Apache License 2.0",
        obligations=[
            _ob("include-license", "Include the Apache-2.0 license text", "distribution"),
            _ob("notice", "Keep the NOTICE file", "distribution"),
            _ob("state-changes", "Mark modified files as changed", "derivatives"),
        ],
    ),
    _entry(
        "mpl-2.0",
        "weak-copyleft",
        Commercial.YES,
        name="Mozilla Public License 2.0",
        obligations=[_ob("source", "Make the source of distributed MPL files available", "distribution")],
    ),
    _entry(
        "gpl",
        "copyleft",
        Commercial.YES,
        name="GNU General Public License",
        hub_ids=("gpl", "gpl-2.0", "gpl-3.0"),
        obligations=[_ob("source", "Offer the complete corresponding source", "distribution")],
    ),
    _entry("agpl-3.0", "copyleft", Commercial.YES, name="GNU Affero General Public License v3.0"),
    _entry(
        "creativeml-openrail-m",
        "open-rail",
        Commercial.YES,
        name="CreativeML OpenRAIL-M",
        obligations=[
            _ob("use-restrictions", "Do not use the model for the uses in Attachment A", "always"),
            _ob("pass-on-use-restrictions", "Pass the Attachment A use restrictions on to recipients", "distribution"),
        ],
    ),
    _entry(
        "cc-by-nc-4.0",
        "non-commercial",
        Commercial.NO,
        name="Creative Commons Attribution Non Commercial",
        hub_ids=("cc-by-nc-4.0",),
        obligations=[_ob("attribution", "Credit the creator and link the license", "distribution")],
    ),
    _entry("qwen-research", "research-only", Commercial.NO, name="Qwen RESEARCH LICENSE AGREEMENT"),
    _entry(
        "llama3.1",
        "community-conditional",
        Commercial.CONDITIONAL,
        name="Llama 3.1 Community License Agreement",
        hub_ids=("llama3.1",),
        conditions=Conditions(max_monthly_active_users=700_000_000),
        obligations=[
            _ob("acceptable-use", "Comply with the Llama 3.1 Acceptable Use Policy", "always"),
            _ob("include-license", "Give recipients a copy of the Llama 3.1 Community License", "distribution"),
            _ob("built-with", "Display 'Built with Llama' prominently", "distribution"),
            _ob("name-prefix", "Begin the name of a distributed derivative model with 'Llama'", "derivatives"),
        ],
    ),
    _entry(
        "stabilityai-community",
        "community-conditional",
        Commercial.CONDITIONAL,
        name="Stability AI Community License",
        conditions=Conditions(max_annual_revenue_usd=1_000_000, registration_required=True),
        obligations=[_ob("powered-by", "Display 'Powered by Stability AI'", "distribution")],
    ),
    _entry(
        "tencent-hunyuan-community-eu-uk-kr",
        "community-conditional",
        Commercial.CONDITIONAL,
        name="Tencent Hunyuan Community License (EU, UK, KR excluded)",
        conditions=Conditions(max_monthly_active_users=100_000_000, excluded_territories=("EU", "GB", "KR")),
    ),
    _entry(
        "qwen",
        "community-conditional",
        Commercial.CONDITIONAL,
        name="Qwen LICENSE AGREEMENT",
        conditions=Conditions(max_monthly_active_users=100_000_000),
        obligations=[_ob("built-with", "Display 'Built with Qwen' or 'Improved using Qwen'", "distribution")],
    ),
    _entry(
        "vendor-approval",
        "community-conditional",
        Commercial.CONDITIONAL,
        name="Vendor License requiring approval",
        conditions=Conditions(requires_licensor_approval=True),
    ),
    _entry("vendor-proprietary", "proprietary", Commercial.NO, name="Vendor Proprietary License"),
    _entry("other", "unknown", Commercial.UNKNOWN, name="Other (not recognised)"),
)


class FakeKB:
    """The two operations policy/ uses: look up by key, iterate entries."""

    def __init__(self, entries: Sequence[LicenseEntry] = ENTRIES) -> None:
        self._by_key = {e.key: e for e in entries}

    def get(self, key: str) -> LicenseEntry | None:
        return self._by_key.get(key)

    def __iter__(self) -> Iterator[LicenseEntry]:
        return iter(self._by_key.values())


KB = FakeKB()


def resolution(
    *keys: str,
    inherited: Sequence[str] = (),
    commercial: Commercial | None = None,
    findings: Sequence[Finding] = (),
    confidence: float = 1.0,
    lineage: Sequence[LineageLink] = (),
) -> LicenseResolution:
    """A resolution whose effective commercial status is the most restrictive of its entries'."""
    if commercial is None:
        found = [KB.get(k) for k in (*keys, *inherited)]
        statuses = [e.commercial if e else Commercial.UNKNOWN for e in found] or [Commercial.UNKNOWN]
        commercial = max(statuses, key=lambda c: c.restrictiveness)
    return LicenseResolution(
        expression=" AND ".join(keys) or None,
        keys=tuple(keys),
        commercial=commercial,
        confidence=confidence,
        findings=tuple(findings),
        lineage=tuple(lineage),
        inherited_keys=tuple(inherited),
    )


def hub(repo_id: str = "org/model", *, sha: str = SHA, gated: str | None = None) -> HubModel:
    return HubModel(repo_id=repo_id, requested_revision="main", sha=sha, gated=gated)


def finding(rule: str, severity: Severity = Severity.ERROR) -> Finding:
    return Finding(rule=rule, severity=severity, message=f"{rule} (from licenses/)", fix="fix it")


def verdict(
    policy: Policy,
    use: str,
    *keys: str,
    repo_id: str = "org/model",
    revision: str | None = SHA,
    today: datetime.date = TODAY,
    fetched: HubModel | None = None,
    **kwargs: Any,
) -> Verdict:
    """Evaluate a model (pinned to SHA by default, so pinning rules stay quiet) under `policy` and `use`."""
    return judge(
        policy, use, resolution(*keys, **kwargs), repo_id=repo_id, revision=revision, today=today, fetched=fetched
    )


def judge(
    policy: Policy,
    use: str,
    res: LicenseResolution,
    *,
    repo_id: str = "org/model",
    revision: str | None = SHA,
    today: datetime.date = TODAY,
    fetched: HubModel | None = None,
) -> Verdict:
    return evaluate(
        ref=ModelRef(repo_id, revision),
        fetched=fetched or hub(repo_id),
        resolution=res,
        policy=policy,
        kb=KB,
        use=use,
        today=today,
    )


def result(policy: Policy, use: str, repo_id: str, *keys: str, sha: str = SHA) -> ModelResult:
    fetched = hub(repo_id, sha=sha)
    v = verdict(policy, use, *keys, repo_id=repo_id, fetched=fetched)
    return ModelResult(ref=ModelRef(repo_id), verdict=v, hub=fetched)


def load(name: str) -> Policy:
    """A shipped policy: `policy` for the default, else an example's stem."""
    path = RULES / "policy.yaml" if name == "policy" else EXAMPLES / f"{name}.yaml"
    return load_policy(path, KB)


def write_policy(tmp: Path, text: str, name: str = "policy.yaml") -> Path:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


def rules_of(v: Verdict) -> list[str]:
    return [f.rule for f in v.findings]
