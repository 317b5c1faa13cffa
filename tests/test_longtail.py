"""The long tail of AI licenses (rules/licenses-longtail.yaml): each family by its real title line and
distinguishing clauses, version pairs, look-alike traps, and repos in the shapes the Hub shows them
(card front matter + license files under their own names, served by the stand-in Hub)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main
from auditor.licenses import KnowledgeBase, load_knowledge_base
from auditor.licenses.detect import detect_text
from tests.hubstandin import HubStandIn, write_repo

ROOT = Path(__file__).resolve().parent.parent
MIT = (ROOT / "rules" / "texts" / "mit.txt").read_text(encoding="utf-8")
CC_BY_NC = (ROOT / "rules" / "texts" / "cc-by-nc-4.0.txt").read_text(encoding="utf-8")

# ---------------------------------------------------------------- real title lines and clauses

YI_1_0 = """                    Yi Series Models License Agreement
                            Version: 1.0
                    Date of Release: November 1, 2023

1. Definition
"Derivatives" refers to all modifications to Yi Series Models, ... including but not limited to
methods that require using intermediate data representations or generating
synthetic data based on Yi Series Models to train other models.

2. License and License Restrictions
The Licensor hereby grants you a non-exclusive, global, non-transferable,
non-sub-licensable, revocable, and royalty-free copyright license. You may only
use the Yi Series Models for non-Commercial Purposes, and you must adhere to the
following license restrictions:
If you plan to use the Yi Series Models and Derivatives for Commercial Purposes,
you should contact the Licensor in advance ... and obtain
written authorization from the Licensor.
"""

YI_2_1 = """Yi Series Models Community License Agreement
Version: 2.1

"Derivatives" ... generating synthetic data based on Yi Series Models to train other models.

If you plan to use the Yi Series Models and Derivatives for Commercial Purposes, you should
send completed Registration Form to the email: yi@01.ai to complete the registration and obtain the
license for Commercial Purposes.
"""

LLAMA2 = """LLAMA 2 COMMUNITY LICENSE AGREEMENT
Llama 2 Version Release Date: July 18, 2023

v. You will not use the Llama Materials or any output or results of the Llama Materials to improve any other
large language model (excluding Llama 2 or derivative works thereof).

2. Additional Commercial Terms. If, on the Llama 2 version release date, the monthly active users of the products
or services made available by or for Licensee, or Licensee's affiliates, is greater than 700 million monthly active
users in the preceding calendar month, you must request a license from Meta.
"""

DBRX = """Databricks Open Model License

By using, reproducing, modifying, distributing, performing or displaying
any portion or element of DBRX or DBRX Derivatives, or otherwise accepting
the terms of this Agreement, you agree to be bound by this Agreement.

Version Release Date: March 27, 2024

2.2 Reproduction and Distribution
    1. All distributions of DBRX or DBRX Derivatives must be accompanied by a
    "Notice" text file that contains the following notice: "DBRX is provided
    under and subject to the Databricks Open Model License, Copyright ©
    Databricks, Inc. All rights reserved."

2.3 Use Restrictions
You will not use DBRX or DBRX Derivatives or any Output to improve any other
large language model (excluding DBRX or DBRX Derivatives).

Section 3: Additional Commercial Terms
If, on the DBRX version release date, the monthly active users of the products
or services made available by or for Licensee, or Licensee's affiliates, is
greater than 700 million monthly active users in the preceding calendar month,
you must request a license from Databricks.
"""

KIMI = MIT.replace("MIT License", "Modified MIT License", 1).replace(
    "Copyright (c) <year> <copyright holders>", "Copyright (c) 2025 Moonshot AI"
) + (
    "\nOur only modification part is that, if the Software (or any derivative works thereof) is used for any of\n"
    "your commercial products or services that have more than 100 million monthly active users, or more than 20\n"
    "million US dollars (or equivalent in other currencies) in monthly revenue, you shall prominently display\n"
    '"Kimi K2" on the user interface of such product or service.\n'
)

EXAONE_1_1 = """EXAONE AI Model License Agreement 1.1 - NC

2.1 (a) Access, download, install, and use the Model solely for research purposes.
3.1 ... If the Model is modified, the modified Model must include "EXAONE" at the beginning of its name.
(c) the Licensee shall not use the Model, Derivatives or Output to develop or improve other models.
"""

EXAONE_1_2 = """EXAONE AI Model License Agreement 1.2 - NC

2.1 (a) Access, download, install, and use the Model solely for research and educational purposes.
If the Model is modified, the modified Model must include "EXAONE" at the beginning of its name.
The Licensee shall not use the Model, Derivatives or Output to develop or improve any models that compete with the
Licensor’s models.
Licensor claims no rights in Output. Licensee is solely responsible for the Output and its use.
"""

MINIMAX_JAN = """MINIMAX MODEL LICENSE AGREEMENT

you shall prominently display “Built with MiniMax AI” on a related website ... and include “MiniMax” at the beginning
of any such AI model name.
You will not use the MiniMax Model Materials or any output or results of the MiniMax Model Materials to improve any
other large language model.
"""

MINIMAX_FEB = """MINIMAX MODEL LICENSE

"Notice" text file: "MiniMax AI model is licensed under the MiniMax Model License, Copyright © MiniMax. All Rights
Reserved."
Prohibited Uses Policy: Assist with, engage in or otherwise support any military purpose.
"""

COGVLM = """The CogVLM License

1. Definitions
“Licensor” means the CogVLM Model Team that distributes its Software.
2. License Grant
This license permits you to use all open-source models in this repository for academic research free. Users who wish
to use the models for commercial purposes must register [here](https://open.bigmodel.cn/mla/form).
Registered users may use the models for commercial activities free of charge, but must comply with all terms and
conditions of this license.
7. Llama2 and EVA-CLIP2 License
"""

CHATGLM3 = (
    COGVLM.replace("The CogVLM License", "The ChatGLM3-6B License")
    .replace("CogVLM Model Team", "ChatGLM3-6B Model Team")
    .replace("7. Llama2 and EVA-CLIP2 License\n", "")
)

COGVIDEOX = """The CogVideoX License

“Licensor” means the CogVideoX Model Team that distributes its Software.
Users who wish to use the models for commercial purposes must register and obtain a basic commercial license in
https://open.bigmodel.cn/mla/form . Additionally, the number of service users (visits) for your commercial activities
must not exceed 1 million visits per month.
"""

KOLORS = """MODEL LICENSE AGREEMENT
Release Date: 2024/7/6
c. additional commercial terms: If, the monthly active users of all products or services made available by or for
You, or Your affiliates, does not exceed 300 million monthly active users in the preceding calendar month, Your
registration with the Licensor will be deemed to have obtained the corresponding business license;
"""

HUNYUAN_VIDEO = """TENCENT HUNYUAN COMMUNITY LICENSE AGREEMENT
Tencent HunyuanVideo Release Date: December 3, 2024
THIS LICENSE AGREEMENT DOES NOT APPLY IN THE EUROPEAN UNION, UNITED KINGDOM AND SOUTH KOREA AND IS EXPRESSLY LIMITED
TO THE TERRITORY, AS DEFINED BELOW.
Tencent Hunyuan is licensed under the Tencent Hunyuan Community License Agreement, Copyright © 2024 Tencent.
You must not use the Tencent Hunyuan Works or any Output or results of the Tencent Hunyuan Works to improve any other
AI model (other than Tencent Hunyuan or Model Derivatives thereof).
"""

C4AI = (
    "Creative Commons Attribution-NonCommercial 4.0 International Public License with Acceptable Use Addendum\n\n"
    + CC_BY_NC
    + "\nAcceptable Use Addendum\nYou must comply with the C4AI Acceptable Use Policy.\n"
)


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


# ---------------------------------------------------------------- the knowledge base


def test_at_least_140_entries_and_every_longtail_family_is_there(kb: KnowledgeBase) -> None:
    assert len(kb) >= 140
    facts_families = {
        "yi-license-1.0", "yi-community-2.1", "baichuan2-community", "internlm-license", "exaone-1.1-nc",
        "exaone-1.2-nc", "skywork-community", "c4ai-cc-by-nc-4.0-aup", "cogvlm-license", "cogvideox-license",
        "kolors-model-license", "xverse-model-license", "baai-aquila", "databricks-open-model-license",
        "kimi-k2-modified-mit", "minimax-model-license-2025-01", "minimax-model-license-2025-02",
        "tencent-hunyuan-community-hunyuanvideo", "ltxv-open-weights", "stabilityai-nc-research-community",
        "gpt-oss-usage-policy", "jamba-open-model-license",
    }  # fmt: skip
    assert facts_families <= {e.key for e in kb}


def test_unconfirmed_families_stay_unknown_and_say_so(kb: KnowledgeBase) -> None:
    for key in ("ltxv-open-weights", "jamba-open-model-license", "ai2-impact-mr", "playground-v2.5-community"):
        entry = kb[key]
        assert entry.commercial.value == "unknown", key
        assert not entry.text_verified
        assert "UNCONFIRMED" in (entry.conditions.notes or "") or "not read" in (entry.conditions.notes or ""), key


# ---------------------------------------------------------------- look-alike traps, version pairs


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (DBRX, "databricks-open-model-license"),
        (LLAMA2, "llama2"),
        (KIMI, "kimi-k2-modified-mit"),
        (MIT, "mit"),
        (YI_1_0, "yi-license-1.0"),
        (YI_2_1, "yi-community-2.1"),
        (EXAONE_1_1, "exaone-1.1-nc"),
        (EXAONE_1_2, "exaone-1.2-nc"),
        (MINIMAX_JAN, "minimax-model-license-2025-01"),
        (MINIMAX_FEB, "minimax-model-license-2025-02"),
        (COGVLM, "cogvlm-license"),
        (CHATGLM3, "chatglm3-6b-license"),
        (COGVIDEOX, "cogvideox-license"),
        (KOLORS, "kolors-model-license"),
        (HUNYUAN_VIDEO, "tencent-hunyuan-community-hunyuanvideo"),
        (C4AI, "c4ai-cc-by-nc-4.0-aup"),
        (CC_BY_NC, "cc-by-nc-4.0"),
    ],
)
def test_each_text_is_told_apart_by_its_own_clauses(kb: KnowledgeBase, text: str, key: str) -> None:
    assert detect_text(text, kb).key == key


def test_a_text_that_only_shares_the_siblings_wording_is_neither(kb: KnowledgeBase) -> None:
    shared = "Users who wish to use the models for commercial purposes must register at open.bigmodel.cn/mla/form"
    match = detect_text(shared, kb)
    assert match.key is None


def test_a_modified_mit_heading_without_the_kimi_clause_is_not_kimi(kb: KnowledgeBase) -> None:
    other = MIT.replace("MIT License", "Modified MIT License", 1) + "\nThe name of the author may not be used.\n"
    assert detect_text(other, kb).key != "kimi-k2-modified-mit"


@pytest.mark.parametrize(
    ("variant", "key"),
    [(f"cc-by-{v}", f"cc-by-{v}") for v in ("4.0", "nc-4.0", "sa-4.0", "nc-sa-4.0", "nc-nd-4.0")],
)
def test_each_cc_variant_is_its_own_text(kb: KnowledgeBase, variant: str, key: str) -> None:
    text = (ROOT / "rules" / "texts" / f"{variant}.txt").read_text(encoding="utf-8")
    assert detect_text(text, kb).key == key


# ---------------------------------------------------------------- repos in the shapes the Hub shows them


def card(**front: Any) -> str:
    lines = ["---"]
    for name, value in front.items():
        lines.append(f"{name}: {json.dumps(value)}")
    return "\n".join([*lines, "---", "# model", ""])


REPOS: dict[str, dict[str, str | bytes]] = {
    "databricks/dbrx-instruct": {
        "README.md": card(license="other", license_name="databricks-open-model-license",
                          license_link="https://www.databricks.com/legal/open-model-license"),
        "LICENSE": DBRX,
    },
    "moonshotai/Kimi-K2-Instruct": {"README.md": card(license="other", license_name="modified-mit"), "LICENSE": KIMI},
    "acme/kimi-as-mit": {"README.md": card(license="mit"), "LICENSE": KIMI},
    "01-ai/Yi-6B-old": {"README.md": card(license="other", license_name="yi-license", license_link="LICENSE"),
                        "LICENSE": YI_1_0},
    "01-ai/Yi-6B-2.1": {"README.md": card(license="other", license_name="yi-license", license_link="LICENSE"),
                        "LICENSE": YI_2_1},
    "acme/yi-says-apache": {"README.md": card(license="apache-2.0"), "LICENSE": YI_1_0},
    "baichuan-inc/Baichuan2-7B-Base": {
        "README.md": card(license="other"),
        "Community License for Baichuan 2 Model.pdf": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
        "Baichuan 2模型社区许可协议.pdf": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
    },
    "acme/baichuan-text": {
        "README.md": card(license="other"),
        "Community License for Baichuan 2 Model.md": "# Community License for Baichuan 2 Model\n\nTerms.\n",
    },
    "LGAI-EXAONE/EXAONE-4.0-1.2B": {"README.md": card(license="other", license_name="exaone", license_link="LICENSE"),
                                    "LICENSE": EXAONE_1_2},
    "THUDM/CogVideoX-5b": {"README.md": card(license="other", license_link="LICENSE"), "LICENSE": COGVIDEOX},
    "openai/gpt-oss-20b": {
        "README.md": card(license="apache-2.0"),
        "LICENSE": (ROOT / "rules" / "texts" / "apache-2.0.txt").read_text(encoding="utf-8"),
        "USAGE_POLICY": "We aim for our tools to be used safely, responsibly, and democratically.\n\nBy using OpenAI "
        "gpt-oss-120b and gpt-oss-20b, you agree to comply with all applicable law.\n",
    },
    "THUDM/chatglm3-6b": {"README.md": card(license="other"), "MODEL_LICENSE": CHATGLM3},
    "xverse/XVERSE-13B": {"README.md": card(license="apache-2.0"), "MODEL_LICENSE.pdf": b"%PDF-1.5\n"},
    "acme/pdf-and-text": {
        "README.md": card(license="other", license_name="cogvideox-license"),
        "LICENSE.pdf": b"%PDF-1.5\n",
        "LICENSE": COGVIDEOX,
    },
}  # fmt: skip


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubStandIn]:
    root = tmp_path_factory.mktemp("longtail-hub")
    for repo_id, files in REPOS.items():
        write_repo(root, repo_id, files)
    server = HubStandIn(root)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def scanned(hub: HubStandIn, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """One scan of every repo for a commercial product, through the real client, as JSON."""
    folder = tmp_path_factory.mktemp("longtail-scan")
    out = folder / "report.json"
    mp = pytest.MonkeyPatch()
    mp.setenv("HF_HOME", str(folder / "hf"))
    mp.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    mp.delenv("HF_TOKEN", raising=False)
    try:
        args = ["scan", *REPOS, "--use", "commercial-product", "--format", "json", "-o", str(out)]
        with pytest.raises(SystemExit):
            main([*args, "--endpoint", hub.url, "--no-cache", "--retries", "0"])
    finally:
        mp.undo()
    return {m["id"]: m for m in json.loads(out.read_text())["models"]}


def rules_of(model: dict[str, Any]) -> set[str]:
    return {f["rule"] for f in model["findings"]}


def test_dbrx_is_dbrx_not_llama2(scanned: dict[str, dict[str, Any]]) -> None:
    dbrx = scanned["databricks/dbrx-instruct"]
    assert dbrx["license"]["ids"] == ["databricks-open-model-license"]
    assert "llama2" not in json.dumps(dbrx["license"])
    assert dbrx["license"]["commercial"] == "conditional"


def test_kimi_text_under_its_own_name_and_under_mit(scanned: dict[str, dict[str, Any]]) -> None:
    kimi = scanned["moonshotai/Kimi-K2-Instruct"]
    assert kimi["license"]["ids"] == ["kimi-k2-modified-mit"]
    assert "license-conflict" not in rules_of(kimi)
    as_mit = scanned["acme/kimi-as-mit"]
    assert "license-conflict" in rules_of(as_mit)  # the card says mit over the modified text
    assert set(as_mit["license"]["ids"]) == {"mit", "kimi-k2-modified-mit"}
    assert as_mit["verdict"] not in ("approved", "approved-with-obligations")


def test_yi_versions_share_a_name_and_the_text_decides(scanned: dict[str, dict[str, Any]]) -> None:
    old = scanned["01-ai/Yi-6B-old"]
    assert old["license"]["ids"] == ["yi-license-1.0"]
    assert old["license"]["commercial"] == "no"
    assert old["verdict"] == "blocked"
    new = scanned["01-ai/Yi-6B-2.1"]
    assert new["license"]["ids"] == ["yi-community-2.1"]
    assert new["license"]["commercial"] == "conditional"


def test_apache_card_over_a_non_commercial_text_is_a_conflict_and_the_text_governs(
    scanned: dict[str, dict[str, Any]],
) -> None:
    model = scanned["acme/yi-says-apache"]
    assert "license-conflict" in rules_of(model)
    assert model["license"]["commercial"] == "no"  # the stricter text governs until a person decides
    assert model["verdict"] in ("blocked", "needs-review")


def test_baichuan_pdf_names_the_license_and_needs_review(scanned: dict[str, dict[str, Any]]) -> None:
    model = scanned["baichuan-inc/Baichuan2-7B-Base"]
    assert model["license"]["ids"] == ["baichuan2-community"]
    assert model["verdict"] == "needs-review"
    pdf = [f for f in model["findings"] if f["rule"] == "license-file-unreadable"]
    assert any("Community License for Baichuan 2 Model.pdf" in f["message"] and "PDF" in f["message"] for f in pdf)


def test_baichuan_text_file_by_its_title(scanned: dict[str, dict[str, Any]]) -> None:
    model = scanned["acme/baichuan-text"]
    assert model["license"]["ids"] == ["baichuan2-community"]
    assert model["verdict"] != "approved"


def test_exaone_name_is_ambiguous_until_the_title_line(scanned: dict[str, dict[str, Any]]) -> None:
    model = scanned["LGAI-EXAONE/EXAONE-4.0-1.2B"]
    assert model["license"]["ids"] == ["exaone-1.2-nc"]
    assert model["verdict"] == "blocked"


def test_visits_cap_is_named_and_needs_review(scanned: dict[str, dict[str, Any]]) -> None:
    model = scanned["THUDM/CogVideoX-5b"]
    assert model["license"]["ids"] == ["cogvideox-license"]
    assert model["verdict"] == "needs-review"
    assert any("monthly_visits" in f["message"] for f in model["findings"])


def test_model_license_under_its_own_name_is_read(scanned: dict[str, dict[str, Any]]) -> None:
    assert scanned["THUDM/chatglm3-6b"]["license"]["ids"] == ["chatglm3-6b-license"]


def test_a_usage_policy_is_not_the_license(scanned: dict[str, dict[str, Any]]) -> None:
    model = scanned["openai/gpt-oss-20b"]
    assert model["license"]["ids"] == ["apache-2.0"]
    assert "license-conflict" not in rules_of(model)
    assert model["verdict"] in ("approved", "approved-with-obligations")


# ---------------------------------------------------------------- provenance


def test_provenance_table_is_in_step_with_the_yaml(kb: KnowledgeBase) -> None:
    from benchmarks import provenance_table

    document = (ROOT / "rules" / "PROVENANCE.md").read_text(encoding="utf-8")
    assert provenance_table.with_table(document) == document, "run: python -m benchmarks.provenance_table --write"
    keys = [row[0] for row in provenance_table.rows()]
    assert sorted(keys) == sorted(e.key for e in kb)  # every entry of both files, once


def test_a_pdf_beside_a_declared_license_needs_review(scanned: dict[str, dict[str, Any]]) -> None:
    model = scanned["xverse/XVERSE-13B"]
    assert model["license"]["ids"] == ["apache-2.0"]
    assert model["verdict"] == "needs-review"  # the unread MODEL_LICENSE.pdf may hold other terms
    assert any("MODEL_LICENSE.pdf" in f["message"] for f in model["findings"] if f["severity"] == "error")


def test_a_pdf_with_its_text_version_is_only_a_note(scanned: dict[str, dict[str, Any]]) -> None:
    model = scanned["acme/pdf-and-text"]
    pdf = [f for f in model["findings"] if "LICENSE.pdf" in f["message"]]
    assert pdf and all(f["severity"] == "info" for f in pdf)


def test_the_held_out_benchmark_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Smoke only: the held-out figures are measured by the script, never asserted (or tuned) here."""
    from benchmarks import longtail_heldout

    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")

    out = tmp_path / "figures.json"
    assert longtail_heldout.main(["--json", str(out)]) == 0
    figures = json.loads(out.read_text())
    assert {"identified_pct", "commercial_right_pct", "false_approvals", "rows"} <= set(figures)


# ---------------------------------------------------------------- every other family by its title line or name


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("The ChatGLM2-6B License\n\n“Licensor” means the ChatGLM2-6B Model Team that distributes its Software.",
         "chatglm2-6b-license"),
        ("The ChatGLM-6B License\n\n“Licensor” means the ChatGLM-6B Model Team that distributes its Software.",
         "chatglm-6b-license"),
        ("The CodeGeeX License\n\nroyalty-free copyright license to use the Software solely for your non-commercial "
         "research purposes.", "codegeex-license"),
        ("bilibili Index-1.9B 模型许可协议\n版本 1.0，2024 年 6 月 11 日\n", "bilibili-index-model-license"),
        ("MICROSOFT RESEARCH LICENSE TERMS\n\nuse the Materials solely for non-commercial, non-revenue generating, "
         "research purposes", "microsoft-research-license"),
        ("MICROSOFT RESEARCH LICENSE TERMS\nLicense Grant. You may use, copy, modify, creative derivative works, and "
         "distribute the Software for non-commercial purposes, subject to the restrictions in this MSR-LA.", "msr-la"),
        ("NVIDIA Source Code License for StyleGAN3\n3.3 Use Limitation. The Work and any derivative works thereof "
         "only may be used or intended for use non-commercially.", "nvidia-source-code-license-nc"),
        ("AI2 ImpACT License – Low Risk Artifacts\n### Version 2.0\nThis AI2 ImpACT License for Low Risk Artifacts "
         "(“LR Agreement”) is between The Allen Institute", "ai2-impact-lr"),
        ("Playground v2.5 Community License\n", "playground-v2.5-community"),
        ("源2.0模型许可协议\n日期:2023年11月26日\n点击或浏览或使用或分发源2.0材料的任何部分", "yuan2-model-license"),
        ("LTXV Open Weights License\nVersion Release date: May 5, 2025\n", "ltxv-open-weights"),
        ("We aim for our tools to be used safely. By using OpenAI gpt-oss-120b and gpt-oss-20b, you agree to comply "
         "with all applicable law.", "gpt-oss-usage-policy"),
        ("Skywork Community License\nLicensor makes no claims to any rights regarding your use of the Skywork "
         "Model's output", "skywork-community"),
    ],
)  # fmt: skip
def test_family_title_lines(kb: KnowledgeBase, text: str, key: str) -> None:
    assert detect_text(text, kb).key == key


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        ("yi-license", {"yi-license-1.0", "yi-community-2.1"}),  # shared by two versions: the text decides
        ("exaone", {"exaone-1.1-nc", "exaone-1.2-nc"}),
        ("minimax-model-license", {"minimax-model-license-2025-01", "minimax-model-license-2025-02"}),
        ("databricks-open-model-license", {"databricks-open-model-license"}),
        ("skywork-community-license", {"skywork-community"}),
        ("xverse-license", {"xverse-model-license"}),
        ("jamba-open-model-license", {"jamba-open-model-license"}),
        ("ltxv-open-weights-license", {"ltxv-open-weights"}),
        ("kolors-license", {"kolors-model-license"}),
        ("baichuan2-community-license", {"baichuan2-community"}),
        ("Community License for Baichuan 2 Model", {"baichuan2-community"}),
        ("aquila_license", {"baai-aquila"}),
        ("internlm-license", {"internlm-license"}),
        ("c4ai-cc-by-nc-license", {"c4ai-cc-by-nc-4.0-aup"}),
        ("nvidia-oneway-noncommercial-license", {"nvidia-oneway-noncommercial"}),
        ("ai2-impact-license-high-risk", {"ai2-impact-hr"}),
    ],
)
def test_card_names_and_pdf_file_names(kb: KnowledgeBase, name: str, keys: set[str]) -> None:
    assert {e.key for e in kb.match_name(name)} == keys


def test_every_longtail_entry_has_a_marker_no_other_entry_has(kb: KnowledgeBase) -> None:
    from auditor.licenses.detect import normalise

    longtail = [e for e in kb if e.licenseref and any(e.key == key for key in _longtail_keys())]
    for entry in longtail:
        others = {normalise(m) for e in kb if e.key != entry.key for m in e.markers}
        own = [m for m in entry.markers if normalise(m) not in others and not any(normalise(m) in o for o in others)]
        assert own, f"{entry.key}: every marker is shared with another entry"


def _longtail_keys() -> list[str]:
    import yaml

    data = yaml.safe_load((ROOT / "rules" / "licenses-longtail.yaml").read_text(encoding="utf-8"))
    return [item["key"] for item in data["licenses"]]
