"""Every model of the real corpus (tests/fixtures/hub) resolves as its card and license file say.

The expected table was written by reading each card's front matter and license file, not by
running the code. HubModels are built straight from the files, as the Hub would describe them:
the card's front matter, the card's tags plus the `license:` and `base_model:` tags the Hub adds.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from auditor.licenses import KnowledgeBase, ResolvedBase, load_knowledge_base, resolve
from auditor.models import Commercial, HubModel, LicenseFile, LicenseResolution, Severity

HUB = Path(__file__).resolve().parent / "fixtures" / "hub"
_FRONT = re.compile(r"\A---\r?\n(.*?)\r?\n---", re.DOTALL)


def hub_model(repo_id: str, root: Path = HUB) -> HubModel:
    """The HubModel the Hub would give for a corpus folder (front matter read as the Hub reads it)."""
    folder = root / repo_id
    match = _FRONT.match((folder / "README.md").read_text(encoding="utf-8"))
    card: dict[str, Any] = (yaml.safe_load(match.group(1)) or {}) if match else {}
    tags = [t for t in card.get("tags") or () if isinstance(t, str)]
    licenses = card.get("license")
    tags += [f"license:{v}" for v in (licenses if isinstance(licenses, list) else [licenses]) if isinstance(v, str)]
    bases = card.get("base_model")
    tags += [f"base_model:{v}" for v in (bases if isinstance(bases, list) else [bases]) if isinstance(v, str)]
    files = tuple(
        LicenseFile(p.name, p.read_text(encoding="utf-8"), size=p.stat().st_size)
        for p in sorted(folder.iterdir())
        if p.name.upper().startswith(("LICENSE", "LICENCE"))
    )
    meta = json.loads((folder / "_hub.json").read_text()) if (folder / "_hub.json").is_file() else {}
    gated = meta.get("gated")
    return HubModel(
        repo_id=repo_id,
        requested_revision="main",
        sha="0123456789abcdef0123456789abcdef01234567",
        card_data=card,
        tags=tuple(tags),
        gated=gated if isinstance(gated, str) else None,
        siblings=tuple(sorted(p.name for p in folder.iterdir())),
        license_files=files,
    )


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


# repo -> (own keys, findings expected exactly, how the license is known)
# "card": the card's license id; "name": license: other + license_name; "file": the LICENSE text.
EXPECTED: dict[str, tuple[tuple[str, ...], set[str], str]] = {
    "CompVis/stable-diffusion-v1-4": (("creativeml-openrail-m",), set(), "card"),
    "Deci/DeciLM-6b": (("llama2",), {"license-other-unnamed", "multiple-licenses-declared"}, "card"),
    "FinGPT/fingpt-forecaster_dow30_llama2-7b_lora": (("apache-2.0",), {"base-unresolved"}, "card"),
    "MiniMaxAI/MiniMax-M2": (("mit",), set(), "file"),
    "PaddlePaddle/PaddleOCR-VL": (("apache-2.0",), {"base-unresolved"}, "card"),
    "Qwen/Qwen-7B": (("tongyi-qianwen",), set(), "name"),
    "Qwen/Qwen2.5-3B": (("qwen-research",), set(), "name"),
    "Salesforce/blip-image-captioning-large": (("bsd-3-clause",), set(), "card"),
    "bigcode/starcoder": (("bigcode-openrail-m",), set(), "card"),
    "bigscience/bloom": (("bigscience-bloom-rail-1.0",), set(), "card"),
    "black-forest-labs/FLUX.1-schnell": (("apache-2.0",), set(), "card"),
    "cyberagent/open-calm-7b": (("cc-by-sa-4.0",), set(), "card"),
    "deepseek-ai/DeepSeek-OCR": (("mit",), set(), "card"),
    "deepseek-ai/deepseek-llm-7b-chat": (("deepseek",), set(), "name"),
    "facebook/nllb-200-distilled-600M": (("cc-by-nc-4.0",), set(), "card"),
    "google-bert/bert-base-uncased": (("apache-2.0",), set(), "card"),
    "google/gemma-2-9b": (("gemma",), set(), "card"),
    "iflytek/Spark-Chemistry-X1-13B": ((), {"no-license"}, "none"),
    "iflytek/Spark-Scilit-X1-13B": ((), {"no-license"}, "none"),
    "kakaobrain/kogpt": (("cc-by-nc-nd-4.0",), set(), "card"),
    "meta-llama/Llama-2-7b-hf": (("llama2",), set(), "card"),
    "meta-llama/Meta-Llama-3-8B-Instruct": (("llama3",), set(), "card"),
    "microsoft/phi-2": (("mit",), set(), "card"),
    "mistralai/Codestral-22B-v0.1": (("mistral-mnpl",), set(), "name"),
    "nerijs/pixel-art-xl": (("creativeml-openrail-m",), {"base-unresolved"}, "card"),
    "openai-community/gpt2": (("mit",), set(), "card"),
    "openai/whisper-large-v3": (("apache-2.0",), set(), "card"),
    "openbmb/MiniCPM-V-4_5": ((), {"no-license"}, "none"),
    "stabilityai/stable-diffusion-3.5-large": (("stabilityai-community",), set(), "name"),
    "stabilityai/stable-diffusion-xl-base-1.0": (("openrail++",), set(), "card"),
    "stepfun-ai/GOT-OCR-2.0-hf": ((), {"no-license"}, "none"),
    "stepfun-ai/GOT-OCR2_0": (("apache-2.0",), set(), "card"),
    "tencent/HunyuanWorld-Mirror": (("tencent-hunyuanworld-mirror-community",), set(), "name"),
    "tiiuae/falcon-11B": ((), {"license-placeholder"}, "none"),
}


def test_the_table_covers_the_whole_corpus() -> None:
    on_disk = {p.parent.relative_to(HUB).as_posix() for p in HUB.glob("*/*/README.md")}
    assert on_disk == set(EXPECTED)


@pytest.mark.parametrize("repo_id", sorted(EXPECTED))
def test_corpus_model_resolves_as_its_card_and_license_file_say(repo_id: str, kb: KnowledgeBase) -> None:
    keys, rules, how = EXPECTED[repo_id]
    res = resolve(hub_model(repo_id), kb)
    assert res.keys == keys
    assert {f.rule for f in res.findings} == rules
    assert 0.0 <= res.confidence <= 1.0
    if not keys:
        assert res.expression is None and res.confidence == 0.0
        assert res.commercial is Commercial.UNKNOWN
        return
    entry = kb[keys[0]]
    if rules <= {"base-unresolved"} and len(keys) == 1:
        assert res.expression == entry.identifier or res.expression == entry.spdx
        if "base-unresolved" in rules:  # the base's terms are unknown: never better than unknown
            assert res.commercial.restrictiveness >= Commercial.UNKNOWN.restrictiveness
        else:
            assert res.commercial is entry.commercial
        assert res.confidence >= 0.6
    recognised = [e for e in res.evidence if keys[0] in e.keys]
    sources = {e.source for e in recognised}
    expected_source = {"card": "card.license", "name": "card.license_name", "file": "license_file"}[how]
    assert expected_source in sources


def test_commercial_status_of_key_models(kb: KnowledgeBase) -> None:
    status = {repo: resolve(hub_model(repo), kb).commercial for repo in EXPECTED}
    assert status["facebook/nllb-200-distilled-600M"] is Commercial.NO
    assert status["Qwen/Qwen2.5-3B"] is Commercial.NO
    assert status["mistralai/Codestral-22B-v0.1"] is Commercial.NO
    assert status["Qwen/Qwen-7B"] is Commercial.CONDITIONAL
    assert status["meta-llama/Llama-2-7b-hf"] is Commercial.CONDITIONAL
    assert status["openai-community/gpt2"] is Commercial.YES
    # no evidence, a placeholder, a list with an unnamed `other`: never cleared
    for repo in ("openbmb/MiniCPM-V-4_5", "tiiuae/falcon-11B", "Deci/DeciLM-6b"):
        assert status[repo] is Commercial.UNKNOWN


def test_qwen_7b_is_identified_three_ways(kb: KnowledgeBase) -> None:
    res = resolve(hub_model("Qwen/Qwen-7B"), kb)
    by_source = {e.source: e for e in res.evidence}
    assert by_source["card.license_name"].keys == ("tongyi-qianwen",)
    assert by_source["card.license_link"].keys == ("tongyi-qianwen",)
    assert by_source["license_file"].keys == ("tongyi-qianwen",)
    assert by_source["license_file"].path == "LICENSE"
    assert res.confidence > 0.6  # license_name alone is medium; the LICENSE text raises it


def test_license_text_confirmation_raises_confidence(kb: KnowledgeBase) -> None:
    with_text = resolve(hub_model("meta-llama/Llama-2-7b-hf"), kb)
    without = resolve(replace(hub_model("meta-llama/Llama-2-7b-hf"), license_files=()), kb)
    assert with_text.keys == without.keys == ("llama2",)
    assert with_text.confidence > without.confidence >= 0.6
    assert with_text.confidence >= 0.9


def test_minimax_without_card_license_is_detected_from_text(kb: KnowledgeBase) -> None:
    res = resolve(hub_model("MiniMaxAI/MiniMax-M2"), kb)
    assert res.expression == "MIT"
    assert res.declared is None
    (ev,) = res.evidence
    assert ev.source == "license_file" and ev.keys == ("mit",) and ev.path == "LICENSE"
    assert 0.5 <= res.confidence < 0.8  # text alone: less sure than a declared license


def test_hunyuanworld_mirror_from_license_txt(kb: KnowledgeBase) -> None:
    res = resolve(hub_model("tencent/HunyuanWorld-Mirror"), kb)
    files = [e for e in res.evidence if e.source == "license_file"]
    assert [(e.path, e.keys) for e in files] == [("License.txt", ("tencent-hunyuanworld-mirror-community",))]
    entry = kb["tencent-hunyuanworld-mirror-community"]
    assert entry.conditions.max_monthly_active_users == 1_000_000  # not the family's 100 million


def test_other_with_only_a_license_file_is_detected(kb: KnowledgeBase) -> None:
    hub = hub_model("deepseek-ai/deepseek-llm-7b-chat")
    card = {k: v for k, v in hub.card_data.items() if k not in ("license_name", "license_link")}
    res = resolve(replace(hub, card_data=card), kb)
    assert res.keys == ("deepseek",)
    assert res.expression == kb["deepseek"].identifier
    (finding,) = res.findings
    assert finding.rule == "license-other-unnamed" and finding.severity is not Severity.ERROR


def test_falcon_unknown_is_a_placeholder_not_a_license(kb: KnowledgeBase) -> None:
    res = resolve(hub_model("tiiuae/falcon-11B"), kb)
    assert res.declared == "unknown"
    (finding,) = res.findings
    assert finding.rule == "license-placeholder" and finding.severity is Severity.ERROR


def _base(repo_id: str, hub: HubModel, kb: KnowledgeBase, relation: str = "finetune") -> ResolvedBase:
    return ResolvedBase(repo_id, relation, hub.sha, resolve(hub, kb))


def test_apache_lora_on_llama2_conflicts_with_its_base(kb: KnowledgeBase) -> None:
    # The corpus has Llama-2-7b-hf; the LoRA names the -chat-hf sibling, under the same license.
    base_hub = replace(hub_model("meta-llama/Llama-2-7b-hf"), repo_id="meta-llama/Llama-2-7b-chat-hf")
    base = _base("meta-llama/Llama-2-7b-chat-hf", base_hub, kb, relation="adapter")
    lora = hub_model("FinGPT/fingpt-forecaster_dow30_llama2-7b_lora")
    res = resolve(lora, kb, {base.repo_id: base})
    assert res.keys == ("apache-2.0",)
    assert res.inherited_keys == ("llama2",)
    assert res.all_keys == ("apache-2.0", "llama2")
    assert res.commercial is Commercial.CONDITIONAL  # Llama 2's terms reach the adapter
    (conflict,) = [f for f in res.findings if f.rule == "license-conflict-with-base"]
    assert conflict.severity is Severity.ERROR
    assert conflict.subject == "meta-llama/Llama-2-7b-chat-hf"
    assert "Apache-2.0" in conflict.message and "meta-llama/Llama-2-7b-chat-hf" in conflict.message
    assert kb["llama2"].identifier in conflict.message
    (link,) = res.lineage
    assert (link.repo_id, link.relation, link.depth, link.keys) == (base.repo_id, "adapter", 1, ("llama2",))
    assert link.parent == lora.repo_id and link.sha == base_hub.sha and link.error is None


def test_pixel_art_lora_declares_a_sibling_rail_license_of_its_base(kb: KnowledgeBase) -> None:
    sdxl = hub_model("stabilityai/stable-diffusion-xl-base-1.0")
    base = _base(sdxl.repo_id, sdxl, kb)
    res = resolve(hub_model("nerijs/pixel-art-xl"), kb, {sdxl.repo_id: base})
    assert not [f for f in res.findings if f.severity is Severity.ERROR]
    assert res.inherited_keys == ("openrail++",)
    assert res.commercial is Commercial.YES


def test_unfetched_base_is_a_finding_and_never_cleared(kb: KnowledgeBase) -> None:
    res = resolve(hub_model("PaddlePaddle/PaddleOCR-VL"), kb)
    (finding,) = res.findings
    assert finding.rule == "base-unresolved" and finding.subject == "baidu/ERNIE-4.5-0.3B-Paddle"
    assert res.commercial is Commercial.UNKNOWN
    assert res.expression == "Apache-2.0"  # the model's own license is still known


def test_every_corpus_resolution_round_trips_through_a_base_link(kb: KnowledgeBase) -> None:
    """Any corpus model used as a base gives a lineage link with its own license."""
    for repo_id in sorted(EXPECTED):
        hub = hub_model(repo_id)
        own: LicenseResolution = resolve(hub, kb)
        child = HubModel("someone/derived", "main", "f" * 40, {"base_model": repo_id})
        res = resolve(child, kb, {repo_id: ResolvedBase(repo_id, "finetune", hub.sha, own)})
        (link,) = res.lineage[:1]
        assert link.keys == own.keys and link.expression == own.expression
        assert res.commercial.restrictiveness >= own.commercial.restrictiveness
