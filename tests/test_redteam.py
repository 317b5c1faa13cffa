"""Independent evaluation: cards in the shapes the Hub shows, through the stand-in Hub and the real
client, against the default policy with the company facts of real licensees. Each case is a verdict a
careful license counsel would not sign; each expectation cites the clause it comes from."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CliRunner, MakeHub
from tests.test_issue10_cases import card, messages, scan, with_company

LARGE = {"monthly_active_users": 800_000_000, "entity_type": "company", "service_provider": False}


@pytest.mark.parametrize("license_id", ["llama2", "llama3", "llama3.1", "llama3.3"])
def test_llama_above_700m_users_is_not_cleared_even_for_internal_research(
    make_hub: MakeHub, cli: CliRunner, tmp_path: Path, hf_env: Path, license_id: str
) -> None:
    """Llama 2 / 3 / 3.1 / 3.3 s.2: above 700 million monthly active users "you must request a license
    from Meta ... and you are not authorized to exercise any of the rights under this Agreement unless or
    until Meta otherwise expressly grants you such rights". Every right, not only commercial use: a
    fine-tuning research project at such a company is not licensed either."""
    hub = make_hub({"acme/chat": {"README.md": card(f"license: {license_id}\npipeline_tag: text-generation")}})
    policy = with_company(tmp_path, **LARGE)
    model = scan(cli, hub.url, tmp_path, "acme/chat", "--use", "internal-research", "--policy", str(policy))[
        "acme/chat"
    ]
    assert model["verdict"] == "blocked", model["reason"]
    assert any("700,000,000" in m for m in messages(model))


def test_llama_internal_research_with_users_undeclared_needs_review(
    make_hub: MakeHub, cli: CliRunner, tmp_path: Path, hf_env: Path
) -> None:
    """The same s.2 with the company's user count not declared: a fact a condition needs is never
    read as met (the default policy: "licenses that depend on it will then need review")."""
    hub = make_hub({"acme/chat": {"README.md": card("license: llama3.1")}})
    model = scan(cli, hub.url, tmp_path, "acme/chat", "--use", "internal-research")["acme/chat"]
    assert model["verdict"] == "needs-review", model["reason"]
    assert any("monthly_active_users is not declared" in m for m in messages(model))


def test_apache_fine_tune_of_llama_above_700m_is_not_cleared_for_research(
    make_hub: MakeHub, cli: CliRunner, tmp_path: Path, hf_env: Path
) -> None:
    """A fine-tune stays a Llama derivative (Llama 3 s.1.b.i: derivatives are distributed under this
    Agreement); the apache-2.0 on its card does not lift s.2 from the base."""
    hub = make_hub(
        {
            "meta-llama/Meta-Llama-3-8B": {"README.md": card("license: llama3")},
            "acme/llama3-ft": {"README.md": card("license: apache-2.0\nbase_model: meta-llama/Meta-Llama-3-8B")},
        }
    )
    policy = with_company(tmp_path, **LARGE)
    model = scan(cli, hub.url, tmp_path, "acme/llama3-ft", "--use", "internal-research", "--policy", str(policy))
    assert model["acme/llama3-ft"]["verdict"] in ("blocked", "needs-review")


def test_tencent_hunyuan_above_100m_users_is_not_cleared_for_internal_research(
    make_hub: MakeHub, cli: CliRunner, tmp_path: Path, hf_env: Path
) -> None:
    """Tencent Hunyuan Community License s.4: above 100 million monthly active users "You are not
    authorized to exercise any of the rights under this Agreement unless or until Tencent otherwise
    expressly grants You such rights" - fine-tuning for research included."""
    front = (
        "license: other\nlicense_name: tencent-hunyuan-community\n"
        "license_link: https://huggingface.co/tencent/Hunyuan-MT-7B/blob/main/License.txt\npipeline_tag: translation"
    )
    hub = make_hub({"tencent/Hunyuan-MT-7B": {"README.md": card(front)}})
    facts = {**LARGE, "monthly_active_users": 150_000_000, "territories": ["US"], "principal_place_of_business": "US"}
    policy = with_company(tmp_path, **facts)
    model_id = "tencent/Hunyuan-MT-7B"
    model = scan(cli, hub.url, tmp_path, model_id, "--use", "internal-research", "--policy", str(policy))[model_id]
    assert model["verdict"] == "blocked", model["reason"]
    assert any("100,000,000" in m for m in messages(model))


@pytest.mark.parametrize("license_id", ["odbl", "odc-by"])
def test_open_data_commons_redistribution_carries_the_notice_duties(
    make_hub: MakeHub, cli: CliRunner, tmp_path: Path, hf_env: Path, license_id: str
) -> None:
    """ODbL / ODC-By s.4.2: "If You Publicly Convey this Database ... You must ... Include a copy of this
    License ... or its Uniform Resource Identifier" and keep the notices intact; s.4.3 a notice on a
    Produced Work publicly used. Handing the weights out is not a duty-free clearance."""
    hub = make_hub({"acme/tabular": {"README.md": card(f"license: {license_id}")}})
    policy = with_company(tmp_path, entity_type="company", service_provider=False)
    model = scan(cli, hub.url, tmp_path, "acme/tabular", "--use", "redistribution", "--policy", str(policy))
    model = model["acme/tabular"]
    assert model["verdict"] == "approved-with-obligations", model["reason"]
    assert any("s.4.2" in o for o in model["obligations"])
