"""Property tests: whatever strangers write in a card's front matter, resolution never raises and
never claims commercial use without a license it recognised."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.licenses import KnowledgeBase, ResolvedBase, load_knowledge_base, resolve
from auditor.models import Commercial, HubModel, LicenseFile, Severity

KB = load_knowledge_base()

# Values YAML gives for a scalar: strings (real ids, near misses, unicode, huge), numbers, the
# booleans YAML 1.1 makes of `no`/`yes`/`off`, null.
real_ids = st.sampled_from([h for e in KB for h in e.hub_ids] + ["Apache-2.0", "MIT OR llama2", "(mit", "???"])
near_misses = real_ids.map(lambda s: s.upper()) | real_ids.map(lambda s: f" {s}-v2 ")
scalars = st.one_of(
    real_ids,
    near_misses,
    st.text(max_size=40),
    st.text(alphabet="漢字ñé🙂-_. ", max_size=20),
    st.just("x" * 100_000),
    st.integers(),
    st.floats(allow_nan=True),
    st.booleans(),
    st.none(),
)
values = st.one_of(scalars, st.lists(scalars, max_size=6), st.dictionaries(st.text(max_size=5), scalars, max_size=3))
texts = st.one_of(
    st.text(max_size=300),
    st.sampled_from(
        [
            "MIT License\n\nPermission is hereby granted, free of charge, to any person obtaining a copy",
            "LLAMA 2 COMMUNITY LICENSE AGREEMENT\nLlama 2 Version Release Date: July 18, 2023",
            "Apache License\nVersion 2.0, January 2004",
            "",
        ]
    ),
)


@st.composite
def hub_models(draw: st.DrawFn) -> HubModel:
    card: dict[str, Any] = {}
    for key in ("license", "license_name", "license_link", "base_model", "base_model_relation", "library_name"):
        if draw(st.booleans()):
            card[key] = draw(values)
    tags = tuple(draw(st.lists(st.one_of(real_ids.map(lambda s: f"license:{s}"), st.text(max_size=30)), max_size=4)))
    files = tuple(
        LicenseFile(draw(st.sampled_from(["LICENSE", "LICENSE.md", "LICENSE-CODE", "License.txt"])), draw(texts))
        for _ in range(draw(st.integers(0, 2)))
    )
    return HubModel("acme/model", "main", "c" * 40, card_data=card, tags=tags, license_files=files)


def _recognised_yes(kb: KnowledgeBase, keys: tuple[str, ...]) -> bool:
    return bool(keys) and any(kb[k].commercial is Commercial.YES for k in keys)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hub_models())
def test_resolve_never_raises_and_never_clears_without_evidence(hub: HubModel) -> None:
    res = resolve(hub, KB)
    assert 0.0 <= res.confidence <= 1.0
    assert all(k in KB for k in (*res.keys, *res.inherited_keys))
    if res.commercial is Commercial.YES:
        assert res.expression is not None
        assert _recognised_yes(KB, res.keys)
        assert any(set(e.keys) & set(res.keys) for e in res.evidence)
        # the one error compatible with "yes": several licenses, each recognised and each allowing it
        assert not [f for f in res.findings if f.severity is Severity.ERROR and f.rule != "multiple-licenses-declared"]
    if res.expression is None:  # an unknown license always says why, at error level
        assert any(f.severity is Severity.ERROR for f in res.findings)
    for ev in res.evidence:
        assert len(ev.value) <= 200
    assert res.declared is None or len(res.declared) <= 200


@settings(max_examples=100, deadline=None)
@given(hub_models(), hub_models(), st.sampled_from(["", "not-found: gone", "cycle: a -> b -> a"]))
def test_bases_never_make_a_model_more_permissive(hub: HubModel, base_hub: HubModel, error: str) -> None:
    card = dict(hub.card_data)
    card["base_model"] = "org/base"
    derived = HubModel(hub.repo_id, "main", hub.sha, card_data=card, tags=hub.tags, license_files=hub.license_files)
    alone = resolve(derived, KB)
    base = (
        ResolvedBase("org/base", "finetune", None, None, error)
        if error
        else ResolvedBase("org/base", "finetune", "d" * 40, resolve(base_hub, KB))
    )
    res = resolve(derived, KB, {"org/base": base})
    own = resolve(
        HubModel(
            hub.repo_id,
            "main",
            hub.sha,
            card_data={k: v for k, v in card.items() if k != "base_model"},
            tags=hub.tags,
            license_files=hub.license_files,
        ),
        KB,
    )
    assert res.commercial.restrictiveness >= own.commercial.restrictiveness
    if base.resolution is not None:
        assert res.commercial.restrictiveness >= base.resolution.commercial.restrictiveness
        assert set(base.resolution.all_keys) <= set(res.inherited_keys)
    else:
        assert res.commercial.restrictiveness >= Commercial.UNKNOWN.restrictiveness
        assert alone.commercial.restrictiveness >= Commercial.UNKNOWN.restrictiveness


@pytest.mark.parametrize("value", [False, True, 0, 2.0, None, "no", [], [None], [False, "mit"], {"name": "mit"}])
def test_yaml_surprises_in_the_license_field(value: object) -> None:
    res = resolve(HubModel("acme/model", "main", "c" * 40, card_data={"license": value}), KB)
    if value == [False, "mit"]:
        assert res.keys == ("mit",) and res.expression is None  # the false part is unknown
    elif value == "no":
        assert res.commercial is Commercial.UNKNOWN
    else:
        assert res.keys == () and res.commercial is Commercial.UNKNOWN
