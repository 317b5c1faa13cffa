"""Base models a card declares: card fields and Hub tags, relations, and junk that is not followed."""

from __future__ import annotations

from typing import Any

from auditor.licenses import BaseRef, cycle_error, declared_bases, depth_cap_error
from auditor.licenses.lineage import CYCLE_ERROR, DEPTH_CAP_ERROR, MAX_BASES, scan_bases
from auditor.models import HubModel


def hub(card: dict[str, Any], tags: tuple[str, ...] = (), siblings: tuple[str, ...] = ()) -> HubModel:
    return HubModel("acme/model", "main", "a" * 40, card_data=card, tags=tags, siblings=siblings)


def test_string_and_list_with_relation() -> None:
    assert declared_bases(hub({"base_model": "meta-llama/Llama-2-7b-hf"})) == (BaseRef("meta-llama/Llama-2-7b-hf"),)
    two = hub({"base_model": ["org/a", "org/b"], "base_model_relation": "merge"})
    assert declared_bases(two) == (BaseRef("org/a", "merge"), BaseRef("org/b", "merge"))


def test_relation_from_hub_tags_wins_and_tags_add_bases() -> None:
    model = hub(
        {"base_model": "org/a", "base_model_relation": "finetune"},
        tags=("base_model:org/a", "base_model:adapter:org/a", "base_model:quantized:org/c", "license:mit"),
    )
    assert declared_bases(model) == (BaseRef("org/a", "adapter"), BaseRef("org/c", "quantized"))


def test_inferred_relation_without_a_card_relation() -> None:
    assert declared_bases(hub({"base_model": "org/a"}, siblings=("adapter_config.json",)))[0].relation == "adapter"
    assert declared_bases(hub({"base_model": "org/a", "library_name": "peft"}))[0].relation == "adapter"
    assert {b.relation for b in declared_bases(hub({"base_model": ["org/a", "org/b"]}))} == {"merge"}
    assert declared_bases(hub({"base_model": "org/a"}))[0].relation == "unknown"  # never guessed


def test_junk_is_reported_not_followed() -> None:
    card = {
        "base_model": [
            "./output/checkpoint-500",
            "/home/me/llama",
            "C:\\models\\base",
            "https://huggingface.co/org/a",
            "acme/model",
            "not a/valid id",
            "",
            12,
            None,
            False,
            "org/ok",
            "ORG/ok",
        ],
        "base_model_relation": "distilled",
    }
    bases, findings = scan_bases(hub(card))
    assert bases == (BaseRef("org/ok"),)
    assert all(f.rule == "base-model-invalid" for f in findings)
    text = " | ".join(f.message for f in findings)
    for words in ("local path", "URL", "itself", "not a valid Hub model id", "empty", "number", "boolean", "null"):
        assert words in text
    assert "base_model_relation" in text


def test_duplicates_and_too_many_bases() -> None:
    many = [f"org/m{i}" for i in range(MAX_BASES + 5)]
    bases, findings = scan_bases(hub({"base_model": many}))
    assert len(bases) == MAX_BASES and findings and "only the first" in findings[-1].message


def test_non_mapping_card_data_has_no_bases() -> None:
    assert declared_bases(HubModel("acme/model", "main", "a" * 40, card_data={})) == ()


def test_error_strings_for_the_caller() -> None:
    assert cycle_error(("a/b", "c/d", "a/b")) == f"{CYCLE_ERROR}: a/b -> c/d -> a/b"
    assert depth_cap_error(5).startswith(DEPTH_CAP_ERROR)
