"""Synthetic Hub repos for the scan benchmark: realistic cards, exact proportions, deterministic.

The mix of license ids follows what audits of real Hub inventories meet (mostly apache-2.0 and mit,
then non-commercial Creative Commons, the Llama/Gemma community licenses, `other` with a
`license_name`, the OpenRAIL family, and cards with no license at all). Proportions that the
benchmark's targets depend on are exact, not random: 30% of repos carry one LICENSE file (a real
text from rules/texts/, so text detection does real work) and 20% are fine-tunes or adapters of one
of 20 base repos that are themselves in the corpus. The org and repo names are synthetic
(`bench-*`) so no figure can be mistaken for a statement about a real model.
"""

from __future__ import annotations

import json
import os
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

LICENSE_FILE_SHARE = 0.30
FINE_TUNE_SHARE = 0.20
BASE_COUNT = 20
SEED = 20240917

# Timestamps for the repo files (mtime -> the stand-in's lastModified): old files also spare the
# stand-in from re-reading "recently edited" files on every request.
_EPOCH_2024 = 1_704_067_200


@dataclass(frozen=True)
class Profile:
    """One way a real card declares its license. `text` names a reference text in rules/texts/."""

    name: str
    weight: float
    license: str | None
    license_name: str | None = None
    license_link: str | None = None
    text: str | None = None
    gated: bool = False
    family: str = "llm"  # llm | diffusion | encoder


# Weights are percentages of the corpus (before the fine-tunes' own choices).
PROFILES: tuple[Profile, ...] = (
    Profile("apache-2.0", 30, "apache-2.0", text="apache-2.0"),
    Profile("mit", 14, "mit", text="mit"),
    Profile("no-license", 5, None),
    Profile("cc-by-nc-4.0", 5, "cc-by-nc-4.0", text="cc-by-nc-4.0"),
    Profile("cc-by-4.0", 3, "cc-by-4.0", text="cc-by-4.0", family="encoder"),
    Profile("cc-by-sa-4.0", 1, "cc-by-sa-4.0", text="cc-by-sa-4.0", family="encoder"),
    Profile("cc-by-nc-sa-4.0", 1, "cc-by-nc-sa-4.0", text="cc-by-nc-sa-4.0"),
    Profile("bsd-3-clause", 1, "bsd-3-clause", text="bsd-3-clause", family="encoder"),
    Profile("gpl-3.0", 1, "gpl-3.0", text="gpl-3.0"),
    Profile("agpl-3.0", 0.5, "agpl-3.0", text="agpl-3.0"),
    Profile("cc0-1.0", 0.5, "cc0-1.0", text="cc0-1.0", family="encoder"),
    Profile("afl-3.0", 1, "afl-3.0"),
    Profile(
        "llama3.1",
        4,
        "llama3.1",
        license_link="https://huggingface.co/meta-llama/Llama-3.1-8B/blob/main/LICENSE",
        gated=True,
    ),
    Profile("llama3", 2, "llama3", gated=True),
    Profile("llama2", 2, "llama2", gated=True),
    Profile("llama3.2", 1, "llama3.2", gated=True),
    Profile("gemma", 2, "gemma", license_link="https://ai.google.dev/gemma/terms", gated=True),
    Profile(
        "other:qwen",
        3,
        "other",
        license_name="qwen",
        license_link="https://huggingface.co/Qwen/Qwen2.5-72B-Instruct/blob/main/LICENSE",
    ),
    Profile(
        "other:deepseek",
        2,
        "other",
        license_name="deepseek",
        license_link="https://github.com/deepseek-ai/DeepSeek-LLM/blob/HEAD/LICENSE-MODEL",
    ),
    Profile("other:tongyi-qianwen", 1, "other", license_name="tongyi-qianwen"),
    Profile("other:unrecognised", 1.5, "other", license_name="acme-model-license-v2", license_link="LICENSE.md"),
    Profile("other", 1, "other"),
    Profile("openrail", 3, "openrail", family="diffusion"),
    Profile("creativeml-openrail-m", 3, "creativeml-openrail-m", family="diffusion"),
    Profile("openrail++", 1, "openrail++", family="diffusion"),
    Profile("bigscience-openrail-m", 1, "bigscience-openrail-m"),
    Profile("bigcode-openrail-m", 1, "bigcode-openrail-m"),
    Profile("unknown", 1, "unknown"),
)
_BY_NAME = {p.name: p for p in PROFILES}

# The licenses base models typically carry; bases cycle through these.
BASE_PROFILES = (
    "llama3.1", "apache-2.0", "other:qwen", "gemma", "mit", "llama3", "apache-2.0", "other:deepseek",
    "cc-by-nc-4.0", "creativeml-openrail-m",
)  # fmt: skip

_ORGS = (
    "bench-ai", "bench-labs", "bench-research", "bench-nlp", "bench-vision", "bench-speech", "bench-bio",
    "bench-fin", "bench-legal", "bench-edu", "bench-community", "bench-uni", "bench-startup", "bench-hobbyist",
    "bench-quant", "bench-merge", "bench-robotics", "bench-med", "bench-code", "bench-retail",
)  # fmt: skip
_SIZES = ("0.5B", "1B", "1.5B", "3B", "7B", "8B", "13B", "14B", "32B", "70B")
_SUFFIXES = ("", "-Instruct", "-Chat", "-base", "-v0.1", "-v2", "-it", "-GGUF", "-AWQ", "-sft", "-dpo")
_LLM_TASKS = ("text-generation", "text-generation", "text-generation", "text2text-generation", "summarization")
_ENCODER_TASKS = ("feature-extraction", "sentence-similarity", "text-classification", "token-classification")
_LANGUAGES = (["en"], ["en"], ["en", "fr", "de", "es"], ["zh", "en"], ["multilingual"], ["ja"], ["ko", "en"])
_DATASETS = ("bench-data/web-corpus", "bench-data/instructions", "bench-data/preferences", "bench-data/code")


@dataclass(frozen=True)
class Corpus:
    """What was generated: the repo ids in benchmark order, and the counts the targets rely on."""

    root: Path
    ids: tuple[str, ...]
    bases: tuple[str, ...]
    fine_tunes: int
    with_license_file: int
    gated: int
    profiles: Mapping[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        n = max(1, len(self.ids))
        return {
            "models": len(self.ids),
            "bases": len(self.bases),
            "fine_tunes": self.fine_tunes,
            "fine_tune_share": round(self.fine_tunes / n, 3),
            "with_license_file": self.with_license_file,
            "license_file_share": round(self.with_license_file / n, 3),
            "gated": self.gated,
            "profiles": dict(sorted(self.profiles.items(), key=lambda kv: (-kv[1], kv[0]))),
        }


@dataclass
class _Plan:
    repo_id: str
    profile: Profile
    family: str
    base: str | None = None
    relation: str | None = None  # finetune | adapter
    license_file: bool = False
    readme: bool = True


def generate(
    root: Path, count: int, texts_dir: Path, *, seed: int = SEED, prefix: str = "", org: str | None = None
) -> Corpus:
    """Write `count` repos under `root` (as `<org>/<name>/`, the stand-in's layout) and describe them.

    `prefix` is prepended to org names, so several corpora can share one root; `org` puts every repo
    (bases included) in that one organisation, as an org-wide audit (`--author`) meets it.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    rng = random.Random(seed)
    texts = _load_texts(texts_dir)
    plans = _plan(rng, count, prefix, texts, org)
    for i, plan in enumerate(plans):
        _write(root, plan, rng, texts, mtime=_EPOCH_2024 + i * 977)
    used_bases = {p.base for p in plans if p.base is not None}
    return Corpus(
        root=root,
        ids=tuple(p.repo_id for p in plans),
        bases=tuple(p.repo_id for p in plans if p.repo_id in used_bases),
        fine_tunes=sum(1 for p in plans if p.base is not None),
        with_license_file=sum(1 for p in plans if p.license_file),
        gated=sum(1 for p in plans if p.profile.gated),
        profiles=Counter(p.profile.name for p in plans),
    )


def _load_texts(texts_dir: Path) -> dict[str, str]:
    wanted = {p.text for p in PROFILES if p.text}
    found = {name: (texts_dir / f"{name}.txt").read_text(encoding="utf-8") for name in sorted(wanted)}
    return found


def _plan(rng: random.Random, count: int, prefix: str, texts: Mapping[str, str], org: str | None) -> list[_Plan]:
    names = _unique_names(rng, count, prefix, org)
    weights = [p.weight for p in PROFILES]
    plans: list[_Plan] = []
    for name in names:
        profile = rng.choices(PROFILES, weights)[0]
        plans.append(_Plan(repo_id=name, profile=profile, family=profile.family))
    # Bases: the first BASE_COUNT positions of a random permutation, with base-model licenses.
    order = list(range(count))
    rng.shuffle(order)
    n_bases = min(BASE_COUNT, max(1, count // 10))
    base_idx = order[:n_bases]
    for k, i in enumerate(base_idx):
        profile = _BY_NAME[BASE_PROFILES[k % len(BASE_PROFILES)]]
        plans[i].profile = profile
        plans[i].family = profile.family
    bases = [plans[i] for i in base_idx]
    n_fine = min(round(FINE_TUNE_SHARE * count), count - n_bases)
    for k, i in enumerate(order[n_bases : n_bases + n_fine]):
        plan = plans[i]
        base = bases[k] if k < len(bases) else rng.choice(bases)  # every base has at least one fine-tune
        plan.base = base.repo_id
        plan.family = base.family
        plan.relation = "adapter" if rng.random() < 0.2 else "finetune"
        roll = rng.random()
        if roll < 0.6:  # keeps the base's license, as most fine-tunes do
            plan.profile = base.profile
        elif roll < 0.85:  # declares its own (sometimes contradicting the base: a conflict to review)
            plan.profile = _BY_NAME["apache-2.0" if rng.random() < 0.7 else "mit"]
        else:  # declares nothing and relies on the base
            plan.profile = _BY_NAME["no-license"]
    # LICENSE files: exactly 30% of repos, drawn among those whose license has a reference text.
    eligible = [p for p in plans if p.profile.text in texts]
    wanted = min(len(eligible), round(LICENSE_FILE_SHARE * count))
    for plan in rng.sample(eligible, wanted):
        plan.license_file = True
    # A few repos have no model card at all, as on the Hub.
    for plan in plans:
        if plan.base is None and not plan.license_file and plan.profile.name == "no-license" and rng.random() < 0.3:
            plan.readme = False
    return plans


def _unique_names(rng: random.Random, count: int, prefix: str, single_org: str | None = None) -> list[str]:
    out: list[str] = []
    for i in range(count):
        org = prefix + _ORGS[rng.randrange(len(_ORGS))]
        if single_org is not None:
            org = single_org
        stem = rng.choice(("Nova", "Atlas", "Orca", "Falcon", "Lynx", "Sage", "Pico", "Vega", "Zephyr", "Koala"))
        name = f"{stem}-{i:05d}-{rng.choice(_SIZES)}{rng.choice(_SUFFIXES)}"
        out.append(f"{org}/{name}")
    return out


def _write(root: Path, plan: _Plan, rng: random.Random, texts: Mapping[str, str], *, mtime: int) -> None:
    org, name = plan.repo_id.split("/")
    repo = root / org / name
    repo.mkdir(parents=True, exist_ok=True)
    files: dict[str, bytes] = {}
    if plan.readme:
        files["README.md"] = _card(plan, rng).encode("utf-8")
    if plan.license_file:
        assert plan.profile.text is not None
        files["LICENSE"] = texts[plan.profile.text].encode("utf-8")
    if plan.relation == "adapter":
        files["adapter_config.json"] = _json({"base_model_name_or_path": plan.base, "peft_type": "LORA", "r": 16})
        files["adapter_model.safetensors"] = b"\x00" * 64
    elif plan.family == "diffusion":
        files["model_index.json"] = _json({"_class_name": "StableDiffusionPipeline", "_diffusers_version": "0.30.0"})
        files["unet/diffusion_pytorch_model.safetensors"] = b"\x00" * 64
    else:
        model_type = "bert" if plan.family == "encoder" else rng.choice(("llama", "qwen2", "mistral", "gemma2"))
        files["config.json"] = _json({"architectures": ["AutoModel"], "model_type": model_type})
        files["model.safetensors"] = b"\x00" * 64
        files["tokenizer.json"] = _json({"version": "1.0", "model": {"type": "BPE"}})
    if plan.profile.gated:
        files["_hub.json"] = _json({"gated": "manual"})
    for rel, data in files.items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.utime(path, (mtime, mtime))


def _json(obj: Mapping[str, Any]) -> bytes:
    return json.dumps(obj, indent=2).encode("utf-8")


def _card(plan: _Plan, rng: random.Random) -> str:
    """A model card whose front matter has the fields and shapes real ones have."""
    p = plan.profile
    meta: dict[str, Any] = {}
    if p.license is not None:
        meta["license"] = p.license
    if p.license_name is not None:
        meta["license_name"] = p.license_name
    if p.license_link is not None:
        meta["license_link"] = p.license_link
    meta["language"] = list(rng.choice(_LANGUAGES))
    if plan.base is not None:
        meta["base_model"] = plan.base
        if plan.relation == "adapter":
            meta["library_name"] = "peft"
    if plan.family == "diffusion":
        meta["library_name"] = "diffusers"
        meta["pipeline_tag"] = "text-to-image"
        meta["tags"] = ["text-to-image", "stable-diffusion", "diffusers"]
        if plan.base is not None:
            meta["tags"].append("lora")
            meta["instance_prompt"] = "pixel art"
    elif plan.family == "encoder":
        meta["library_name"] = "sentence-transformers"
        meta["pipeline_tag"] = rng.choice(_ENCODER_TASKS)
        meta["tags"] = ["sentence-transformers", "feature-extraction", "mteb"]
    else:
        meta.setdefault("library_name", "transformers")
        meta["pipeline_tag"] = rng.choice(_LLM_TASKS)
        meta["tags"] = ["conversational", "text-generation-inference"] + (["trl", "sft"] if plan.base else [])
    if rng.random() < 0.4:
        meta["datasets"] = rng.sample(_DATASETS, rng.randint(1, 2))
    if p.gated:
        meta["extra_gated_prompt"] = (
            f"### {p.license.upper() if p.license else 'LICENSE'} COMMUNITY LICENSE AGREEMENT\n\n"
            "By clicking Submit below you accept the terms of the license and acceptable use policy."
        )
        meta["extra_gated_fields"] = {"First Name": "text", "Last Name": "text", "Country": "country"}
    if rng.random() < 0.2:
        meta["model-index"] = [
            {
                "name": plan.repo_id.split("/")[1],
                "results": [
                    {
                        "task": {"type": "text-generation", "name": "Text Generation"},
                        "dataset": {"name": "Bench Eval (25-shot)", "type": "bench-data/eval", "split": "test"},
                        "metrics": [{"type": "acc_norm", "value": round(rng.uniform(30, 80), 2), "name": "accuracy"}],
                    }
                ],
            }
        ]
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=100)
    title = plan.repo_id.split("/")[1]
    body = f"# {title}\n\nA synthetic model card generated for the auditor scan benchmark.\n"
    if plan.base is not None:
        body += f"\nThis model is a {plan.relation} of [{plan.base}](https://huggingface.co/{plan.base}).\n"
    return f"---\n{front}---\n\n{body}"


def write_list(path: Path, ids: Sequence[str]) -> Path:
    """A model list file for `auditor scan -r`."""
    path.write_text("".join(f"{i}\n" for i in ids), encoding="utf-8")
    return path
