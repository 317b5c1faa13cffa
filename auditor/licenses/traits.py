"""Model properties that license terms depend on, derived from what the Hub shows about the model.

Llama 3.2's Acceptable Use Policy withholds the rights to its multimodal models from companies
established in the EU, so whether a model is multimodal decides a verdict. It is read from the card's
`pipeline_tag`, the Hub's tags (which carry the pipeline tag, the architecture's `model_type` and
the author's tags) and, for derivatives, the base models: a quantization or fine-tune of a multimodal
model is still that model. Nothing settling it leaves the property unknown, never false.

Pure: reads a HubModel and the bases' resolutions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from auditor.licenses.rights import ModelClass
from auditor.licenses.text import quote
from auditor.models import HubModel, LicenseResolution, ModelTrait

# The Hub's task taxonomy files these pipeline tags under "Multimodal" (huggingface.js tasks, the
# `modality: "multimodal"` pipelines): inputs or outputs in more than one modality.
MULTIMODAL_PIPELINES = frozenset(
    {
        "image-text-to-text",
        "visual-question-answering",
        "document-question-answering",
        "video-text-to-text",
        "audio-text-to-text",
        "any-to-any",
        "visual-document-retrieval",
        "image-to-text",
        "text-to-image",
        "image-text-to-image",
        "image-text-to-video",
        "text-to-video",
        "text-to-speech",
        "text-to-audio",
        "automatic-speech-recognition",
        "zero-shot-image-classification",
        "zero-shot-object-detection",
    }
)
# Pipelines with one modality in and out: a model tagged only with these is not multimodal.
SINGLE_MODALITY_PIPELINES = frozenset(
    {
        "text-generation",
        "text2text-generation",
        "fill-mask",
        "text-classification",
        "token-classification",
        "question-answering",
        "table-question-answering",
        "zero-shot-classification",
        "translation",
        "summarization",
        "feature-extraction",
        "sentence-similarity",
        "text-ranking",
        "image-classification",
        "object-detection",
        "image-segmentation",
        "image-to-image",
        "depth-estimation",
        "audio-classification",
        "audio-to-audio",
        "voice-activity-detection",
        "time-series-forecasting",
        "tabular-classification",
        "tabular-regression",
        "reinforcement-learning",
    }
)
# `model_type` values (transformers config, shown by the Hub as tags) of vision- or audio-language
# architectures, and tags authors use for them. A text-only model_type says nothing: the same
# family ships text and vision variants (gemma3 vs gemma3_text), so it never settles "not multimodal".
MULTIMODAL_TAGS = frozenset(
    {
        "multimodal",
        "vision-language",
        "vlm",
        "mllama",
        "llava",
        "llava_next",
        "llava_onevision",
        "qwen2_vl",
        "qwen2_5_vl",
        "qwen2_5_omni",
        "idefics",
        "idefics2",
        "idefics3",
        "paligemma",
        "gemma3",
        "blip-2",
        "instructblip",
        "kosmos-2",
        "florence2",
        "pixtral",
        "mistral3",
        "llama4",
        "phi3_v",
        "phi4mm",
        "internvl_chat",
        "minicpmv",
        "smolvlm",
        "molmo",
        "chameleon",
        "janus",
        "aria",
        "deepseek_vl_v2",
    }
)


def _pipeline_tags(hub: HubModel) -> list[str]:
    card: Mapping[str, Any] = hub.card_data if isinstance(hub.card_data, dict) else {}
    declared = card.get("pipeline_tag")
    tags = [declared] if isinstance(declared, str) else []
    tags += [t for t in hub.tags if t in MULTIMODAL_PIPELINES or t in SINGLE_MODALITY_PIPELINES]
    return [t.strip().lower() for t in tags]


def _card_tags(hub: HubModel) -> list[str]:
    card: Mapping[str, Any] = hub.card_data if isinstance(hub.card_data, dict) else {}
    raw = card.get("tags")
    listed = raw if isinstance(raw, list) else [raw]
    return [t.strip().lower() for t in (*hub.tags, *listed) if isinstance(t, str)]


def multimodal(hub: HubModel) -> ModelTrait:
    """Is this model multimodal, from its own card and tags only (no lineage)."""
    name = ModelClass.MULTIMODAL.value
    pipelines = _pipeline_tags(hub)
    for tag in pipelines:
        if tag in MULTIMODAL_PIPELINES:
            return ModelTrait(name, True, f"pipeline_tag {quote(tag, 40)}")
    for tag in _card_tags(hub):
        if tag in MULTIMODAL_TAGS:
            return ModelTrait(name, True, f"tag {quote(tag, 40)}")
    for tag in pipelines:
        if tag in SINGLE_MODALITY_PIPELINES:
            return ModelTrait(name, False, f"pipeline_tag {quote(tag, 40)}")
    return ModelTrait(name, None, "no pipeline_tag, tag or architecture says")


def model_traits(hub: HubModel, bases: Iterable[tuple[str, LicenseResolution]]) -> tuple[ModelTrait, ...]:
    """The model's traits, with its bases': a derivative of a multimodal model is multimodal; a model
    that says nothing takes what its bases say."""
    own = multimodal(hub)
    if own.value is True:
        return (own,)
    inherited: ModelTrait | None = None
    for repo_id, resolution in bases:
        for trait in resolution.traits:
            if trait.name != own.name or trait.value is None:
                continue
            if trait.value is True or inherited is None:
                inherited = ModelTrait(trait.name, trait.value, f"base {quote(repo_id, 100)}: {trait.evidence}")
            if trait.value is True:
                return (inherited,)
    if own.value is None and inherited is not None:
        return (inherited,)
    return (own,)
