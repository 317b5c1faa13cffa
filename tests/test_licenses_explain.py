"""Explanations for people: a license, a model's resolution, the license table."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.errors import UsageError
from auditor.licenses import (
    ResolvedBase,
    explain_license,
    explain_resolution,
    licenses_table,
    load_knowledge_base,
    resolve,
)
from auditor.models import HubModel, LicenseFile

MINI = Path(__file__).resolve().parent / "fixtures" / "licenses" / "mini" / "licenses.yaml"


def test_explain_license_shows_the_facts_and_their_sources() -> None:
    kb = load_knowledge_base()
    text = explain_license(kb["llama2"])
    for words in (
        "Llama 2 Community License Agreement",
        "[llama2]",
        "community-conditional",
        "conditional",
        "700,000,000 monthly active users",
        "Obligations:",
        "Sources:",
        "Not legal advice",
    ):
        assert words in text, words
    assert "(no SPDX id)" in text
    assert "Apache-2.0" in explain_license(kb["apache-2.0"])


def test_explain_resolution_tells_the_whole_story() -> None:
    kb = load_knowledge_base(MINI)
    base_hub = HubModel("meta/llama", "main", "b" * 40, card_data={"license": "llama2"})
    base = ResolvedBase("meta/llama", "adapter", base_hub.sha, resolve(base_hub, kb))
    hub = HubModel(
        "acme/lora",
        "main",
        "a" * 40,
        card_data={"license": "mit", "base_model": "meta/llama", "license_name": "evil\nname"},
        license_files=(
            LicenseFile(
                "LICENSE", "MIT License\n\nPermission is hereby granted, free of charge, to any person obtaining a copy"
            ),
        ),
    )
    res = resolve(hub, kb, {"meta/llama": base})
    text = explain_resolution(hub, res, kb)
    for words in (
        "acme/lora @ aaaaaaaaaaaa",
        "License:        MIT",
        "mit (MIT License)",
        "Why:            from the card's `license`, confirmed by the license file",
        "Confidence:",
        "card.license: 'mit' -> mit",
        "license_file LICENSE:",
        "[error] license-conflict-with-base",
        "fix:",
        "Lineage:",
        "└─ adapter of meta/llama @ bbbbbbbbbbbb: LicenseRef-llama2 (conditional)",
        "Inherited:      llama2 (Llama 2 Community License Agreement)",
    ):
        assert words in text, words
    assert "evil\nname" not in text  # card text arrives one-line and bounded


def test_explain_resolution_of_nothing() -> None:
    kb = load_knowledge_base(MINI)
    hub = HubModel("acme/empty", "main", "c" * 40)
    text = explain_resolution(hub, resolve(hub, kb))
    assert "License:        unknown" in text and "no-license" in text and "(none: the card" in text
    assert "no evidence identifies a license" in text


def test_licenses_table_rows_and_filters() -> None:
    kb = load_knowledge_base(MINI)
    rows = licenses_table(kb)
    assert len(rows) == len(kb)
    assert rows[0] == {
        "key": "apache-2.0",
        "hub_ids": ["apache-2.0"],
        "spdx": "Apache-2.0",
        "licenseref": None,
        "category": "permissive",
        "commercial": "yes",
        "name": "Apache License 2.0",
    }
    assert [r["key"] for r in licenses_table(kb, commercial="no")] == ["research-nc", "cc-by-nc-4.0"]
    assert [r["key"] for r in licenses_table(kb, category="research-only")] == ["research-nc"]
    with pytest.raises(UsageError, match="category"):
        licenses_table(kb, category="free")
    with pytest.raises(UsageError, match="commercial"):
        licenses_table(kb, commercial="maybe")


def test_explain_a_partly_known_license() -> None:
    kb = load_knowledge_base(MINI)
    hub = HubModel("acme/two", "main", "d" * 40, card_data={"license": ["llama2", "other"]})
    text = explain_resolution(hub, resolve(hub, kb))
    assert "only partly established: llama2 from the card's `license`" in text
