"""License text detection: real openings, full texts with a copyright line, edits, ties, speed."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from auditor.licenses import KnowledgeBase, detect_text, load_knowledge_base
from auditor.licenses.detect import SIMILARITY_MATCH, compare, match_markers, normalise

ROOT = Path(__file__).resolve().parent.parent
TEXTS = ROOT / "rules" / "texts"
HUB = ROOT / "tests" / "fixtures" / "hub"
MINI = ROOT / "tests" / "fixtures" / "licenses" / "mini" / "licenses.yaml"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


def reference(name: str) -> str:
    return (TEXTS / f"{name}.txt").read_text(encoding="utf-8")


# The license files of the corpus are the openings the research found (title, version line, first
# sentences): what a detector sees first in real repos.
@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("MiniMaxAI/MiniMax-M2/LICENSE", "mit"),
        ("deepseek-ai/DeepSeek-OCR/LICENSE", "mit"),
        ("Qwen/Qwen-7B/LICENSE", "tongyi-qianwen"),
        ("deepseek-ai/deepseek-llm-7b-chat/LICENSE", "deepseek"),
        ("meta-llama/Llama-2-7b-hf/LICENSE", "llama2"),
        ("meta-llama/Meta-Llama-3-8B-Instruct/LICENSE", "llama3"),
        ("tencent/HunyuanWorld-Mirror/License.txt", "tencent-hunyuanworld-mirror-community"),
    ],
)
def test_real_license_openings(kb: KnowledgeBase, path: str, key: str) -> None:
    match = detect_text((HUB / path).read_text(encoding="utf-8"), kb)
    assert match.key == key
    assert match.method == "marker" and match.markers
    assert not match.modified


def test_full_texts_with_a_copyright_line_are_identified_with_their_version(kb: KnowledgeBase) -> None:
    for ref in kb.reference_texts:
        text = f"Copyright (c) 2024 Example Corp. All rights reserved.\n\n{ref.text}"
        match = detect_text(text, kb)
        assert match.key == ref.key, ref.name
        assert match.variant == ref.name
        assert match.similarity is not None and match.similarity.jaccard >= 0.95
        assert not match.modified and not match.partial


def test_mit_with_a_real_copyright_header_and_reflowed_lines(kb: KnowledgeBase) -> None:
    body = " ".join(reference("mit").split()[5:])  # no title, one long line
    text = f"Copyright 2025 MiniMax AI.\nCopyright (c) 2024 Someone Else\n\n{body}"
    match = detect_text(text, kb)
    assert match.key == "mit" and not match.modified


def test_apache_text_with_its_appendix_filled_in(kb: KnowledgeBase) -> None:
    text = reference("apache-2.0").replace("[yyyy] [name of copyright owner]", "2024 Example Corp")
    match = detect_text(text, kb)
    assert match.key == "apache-2.0" and not match.modified


def test_apache_without_markers_is_found_by_similarity(kb: KnowledgeBase) -> None:
    text = reference("apache-2.0")
    for marker in kb["apache-2.0"].markers:
        text = text.replace(marker, "")
    text = text.replace("Apache License", "").replace("Version 2.0, January 2004", "")
    assert match_markers(text, kb).get("apache-2.0") is None
    match = detect_text(text, kb)
    assert match.key == "apache-2.0" and match.method == "similarity"
    assert match.similarity is not None and match.similarity.jaccard >= SIMILARITY_MATCH


def test_mit_with_an_added_clause_is_flagged_as_modified(kb: KnowledgeBase) -> None:
    clause = (
        "\n\nCommons Clause License Condition v1.0. The Software is provided to you by the Licensor under the "
        "License, subject to the following condition: without limiting other conditions in the License, the "
        "grant of rights under the License will not include, and the License does not grant to you, the right "
        "to Sell the Software, including providing a hosted service whose value derives from the Software."
    )
    match = detect_text(reference("mit") + clause, kb)
    assert match.key == "mit" and match.modified


def test_bundle_of_two_licenses_is_not_one_license(kb: KnowledgeBase) -> None:
    match = detect_text(reference("mit") + "\n\n" + reference("bsd-3-clause"), kb)
    assert match.key is None and match.ambiguous
    assert set(match.candidates) == {"mit", "bsd-3-clause"}


def test_close_siblings_are_told_apart(kb: KnowledgeBase) -> None:
    assert detect_text(reference("cc-by-nc-sa-4.0"), kb).key == "cc-by-nc-sa-4.0"
    assert detect_text(reference("bsd-2-clause"), kb).key == "bsd-2-clause"
    assert detect_text(reference("agpl-3.0"), kb).key == "agpl-3.0"
    assert detect_text(reference("gpl-3.0"), kb).key == "gpl-3.0"


def test_a_marker_inside_a_longer_marker_does_not_count(kb: KnowledgeBase) -> None:
    """Falcon's license says it is "based on the Apache License Version 2.0": that is not Apache."""
    text = (
        "Falcon 3 TII Falcon License\nDecember 2024\n"
        "This license is, in part, based on the Apache License Version 2.0 (the Apache License)"
    )
    match = detect_text(text, kb)
    assert match.key == "falcon-tii-license-2"


def test_shared_markers_alone_are_ambiguous() -> None:
    mini = load_knowledge_base(MINI)
    match = detect_text("... Shared clause of the example family ...", mini)
    assert match.key is None and match.ambiguous
    assert set(match.candidates) == {"research-nc", "example-community"}
    assert detect_text("EXAMPLE RESEARCH LICENSE AGREEMENT. Shared clause of the example family", mini).key == (
        "research-nc"
    )


def test_markers_match_on_word_boundaries_and_normalised_text() -> None:
    mini = load_knowledge_base(MINI)
    assert match_markers("You may not permit license transfers.", mini) == {}  # "mit license" inside
    assert set(match_markers("**MIT** “License”", mini)) == set()  # quotes are not words of the marker
    assert match_markers("THE   mit\n\tLICENSE", mini) == {"mit": ["MIT License"]}
    assert normalise("A “quoted”\u00a0**bold**  line") == 'a "quoted" bold line'


def test_unrelated_text_is_not_recognised(kb: KnowledgeBase) -> None:
    for text in ("", "   ", "Model weights for research. Contact us for terms.", "x" * 5000):
        match = detect_text(text, kb)
        assert match.key is None and not match.ambiguous


def test_compare_reports_scores(kb: KnowledgeBase) -> None:
    (best, *_rest) = compare(reference("mpl-2.0"), kb)
    assert best.variant == "mpl-2.0" and best.jaccard == pytest.approx(1.0)
    assert best.reference_coverage == pytest.approx(1.0) and best.length_ratio == pytest.approx(1.0)


def _timed(text: str, kb: KnowledgeBase) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        detect_text(text, kb)
        best = min(best, time.perf_counter() - start)
    return best


def test_a_256_kib_text_is_checked_well_under_100_ms(kb: KnowledgeBase) -> None:
    detect_text("warm-up", kb)
    rng = random.Random(7)
    words = reference("gpl-3.0").split()
    noise = " ".join(rng.choice(words) for _ in range(60_000))[: 256 * 1024]
    bundle = (reference("apache-2.0") * 40)[: 256 * 1024]
    assert len(noise) == len(bundle) == 256 * 1024
    assert _timed(noise, kb) < 0.1
    assert _timed(bundle, kb) < 0.1
