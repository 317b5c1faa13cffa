"""Reports a legal reader signs off at a glance (issue 14, "Reports for legal").

Worst verdict first with the input number kept; the use on every row when uses vary and a non-commercial
clearance never passing for a commercial one; licenses by name with their ids in the details; every reason
in plain words with its policy path beside it; links only to the endpoint that was audited; `explain`
sections that agree, and a confidence that says what it rests on.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from auditor.app import Settings, explain
from auditor.app.settings import HubSettings
from auditor.licenses import load_knowledge_base, resolve
from auditor.licenses.explain import CONFIDENCE_HIGH, confidence_label, confidence_text
from auditor.models import AuditReport, Finding, HubModel, LicenseFile, ModelRef, Severity, Status, Verdict
from auditor.report import render
from auditor.report.text import endpoint_of, repo_url
from auditor.report.view import model_view
from tests.fixtures.report.sample import SHA_BERT, approved, sample_report

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "fixtures" / "licenses" / "mini" / "licenses.yaml"
WORST_FIRST = ["6", "4", "3", "2", "5", "1", "7"]  # error, blocked, needs-review, with obligations x2, approved x2


def text(name: str, report: AuditReport, **options: object) -> str:
    out = render(name, report, **options)
    assert isinstance(out, str)
    return out


def html_rows(html: str) -> list[list[str]]:
    """The cells of the 'All models' table, tags stripped."""
    table = html.split('<table class="models">', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    rows = re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)
    return [
        [re.sub(r"<[^>]+>", " ", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)] for r in rows
    ]


def md_rows(md: str) -> list[list[str]]:
    table = md.split("## All models", 1)[1].split("\n\n")[1]
    return [[c.strip() for c in line.strip("|").split(" | ")] for line in table.splitlines()[2:]]


# ---------------------------------------------------------------- worst first, input number kept


def test_every_human_format_lists_the_worst_verdict_first_and_keeps_the_input_number() -> None:
    report = sample_report()
    assert [row[0] for row in html_rows(text("html", report))] == WORST_FIRST
    assert [row[0] for row in md_rows(text("markdown", report))] == WORST_FIRST
    assert [line.split()[0] for line in text("table", report).splitlines()[1:8]] == WORST_FIRST
    # The detail sections follow the same order, each headed by its input number.
    headings = re.findall(r'<section class="model" id="model-(\d+)"', text("html", report))
    assert headings == WORST_FIRST
    # Machines keep the input order (they sort for themselves).
    ids = [m["id"] for m in json.loads(text("json", report))["models"]]
    assert ids == [r.ref.repo_id for r in report.results]
    assert [row["id"] for row in csv.DictReader(io.StringIO(text("csv", report)))] == ids


def test_an_error_leads_because_nothing_was_audited() -> None:
    report = sample_report()
    first = html_rows(text("html", report))[0]
    assert first[0] == "6" and "acme/does-not-exist" in first[1] and "Error" in " ".join(first)


# ---------------------------------------------------------------- the use on every row


def test_a_use_column_appears_when_uses_vary_and_a_non_commercial_clearance_says_so() -> None:
    report = sample_report()
    html = text("html", report)
    assert "<th>Use</th>" in html
    rows = {row[0]: row for row in html_rows(html)}
    assert rows["5"][2] == "internal-research (not commercial)"  # kakaobrain/kogpt, cleared for research only
    assert rows["1"][2] == "commercial-product"
    assert "each only for the use in its row" in html
    assert "not a commercial clearance" in html
    assert "per model (default commercial-product)" in html
    md = text("markdown", report)
    assert "| Use |" in md and "internal-research (not commercial)" in md and "Not a commercial clearance" in md
    assert "1 model is cleared only for internal-research, which is not commercial use" in text("table", report)


def test_one_use_for_every_model_needs_no_use_column() -> None:
    report = sample_report()
    same = replace(
        report,
        results=tuple(replace(r, verdict=replace(r.verdict, use="commercial-product")) for r in report.results),
    )
    html, md, table = text("html", same), text("markdown", same), text("table", same)
    assert "<th>Use</th>" not in html and "| Use |" not in md and " USE " not in table.splitlines()[0]
    assert "cleared for <strong>commercial-product</strong>" in html
    assert "not a commercial clearance" not in html


# ---------------------------------------------------------------- reasons


def test_every_reason_is_listed_in_plain_words_with_its_policy_path_as_a_detail() -> None:
    first = Finding("base-unresolved", Severity.ERROR, "base model x/y could not be resolved")
    second = Finding(
        "license-review",
        Severity.WARNING,
        "MIT License (MIT) needs legal review for commercial-product (as a permissive license)",
        policy="uses.commercial-product.categories.permissive",
    )
    verdict = Verdict(
        Status.NEEDS_REVIEW,
        "commercial-product",
        f"{first.message} (+1 more)",
        (first, second),
        (),
        None,
        (),
        (first, second),
    )
    report = replace(sample_report(), results=(replace(approved(), verdict=verdict),))
    html, md, table = text("html", report), text("markdown", report), text("table", report, width=400)
    for out in (html, md, table):
        assert first.message in out and second.message in out
        assert "more)" not in out
    assert '<span class="note">policy: <code>uses.commercial-product.categories.permissive</code></span>' in html
    assert "(policy: uses\\.commercial-product\\.categories\\.permissive)" in md
    model = json.loads(text("json", report))["models"][0]
    assert model["reasons"] == [
        {"text": first.message, "policy": None},
        {"text": second.message, "policy": "uses.commercial-product.categories.permissive"},
    ]


def test_the_shipped_samples_show_full_reasons_and_no_policy_path_in_a_sentence() -> None:
    md = (ROOT / "reports" / "auditor-report.md").read_text(encoding="utf-8")
    table = md.split("## All models", 1)[1].split("\n\n")[1]
    assert "more)" not in table
    assert "could not be resolved" in table  # FinGPT: its base is not in the mirror
    for row in md_rows(md):
        sentence = re.sub(r"\(policy\\?: [^)]*\)", "", row[-1])
        assert "uses\\." not in sentence and "categories\\." not in sentence, row


# ---------------------------------------------------------------- links to the audited endpoint


@pytest.mark.parametrize(
    ("source", "endpoint"),
    [
        ("https://huggingface.co", "https://huggingface.co"),
        ("http://127.0.0.1:8123/", "http://127.0.0.1:8123"),
        ("cache:https://hub.internal.example/mirror", "https://hub.internal.example/mirror"),
        ("hub-dir:examples/hub", None),
        ("snapshot:evidence.json", None),
        ("javascript:alert(1)", None),
        ('https://evil.example/"><script>', None),
        ("", None),
    ],
)
def test_links_point_to_the_endpoint_that_was_audited(source: str, endpoint: str | None) -> None:
    assert endpoint_of(source) == endpoint
    result = approved()
    assert result.hub is not None
    view = model_view(replace(result, hub=replace(result.hub, source=source)), 1)
    if endpoint is None:
        assert view["repo_url"] is None
    else:
        assert view["repo_url"] == f"{endpoint}/google-bert/bert-base-uncased/tree/{SHA_BERT}"
    assert repo_url("a/b", SHA_BERT, None) is None


def test_an_offline_mirror_gets_no_link_and_says_why() -> None:
    html = (ROOT / "reports" / "auditor-report.html").read_text(encoding="utf-8")
    assert "huggingface.co/google-bert" not in html  # the samples come from examples/hub, not the Hub
    assert "no link: audited from hub-dir:examples/hub" in html
    assert "<dt>Audited against</dt><dd><code>hub-dir:examples/hub</code></dd>" in html


def test_a_custom_endpoint_is_linked_in_html_and_markdown() -> None:
    result = approved()
    assert result.hub is not None
    report = replace(
        sample_report(), results=(replace(result, hub=replace(result.hub, source="http://hub.test:9000")),)
    )
    link = f"http://hub.test:9000/google-bert/bert-base-uncased/tree/{SHA_BERT}"
    assert f'href="{link}"' in text("html", report)
    assert f"<{link}>" in text("markdown", report)
    assert "huggingface.co/google-bert" not in text("html", report)


# ---------------------------------------------------------------- confidence and explain


def _hub(card: dict[str, object], files: dict[str, str] | None = None) -> HubModel:
    return HubModel(
        "acme/model",
        "main",
        "a" * 40,
        card_data=card,
        tags=tuple(f"license:{card['license']}" for _ in [0] if card.get("license") not in (None, "other")),
        license_files=tuple(LicenseFile(p, t) for p, t in (files or {}).items()),
    )


MIT_TEXT = "MIT License\n\nPermission is hereby granted, free of charge, to any person obtaining a copy"


def test_confidence_is_high_only_when_the_license_text_confirms_a_declaration() -> None:
    kb = load_knowledge_base(MINI)
    card_only = resolve(_hub({"license": "mit"}), kb)
    with_text = resolve(_hub({"license": "mit"}, {"LICENSE": MIT_TEXT}), kb)
    name_and_text = resolve(_hub({"license": "other", "license_name": "MIT License"}, {"LICENSE": MIT_TEXT}), kb)
    assert confidence_label(card_only.confidence) == "medium"
    assert confidence_text(card_only).startswith("medium: only the card says so (the Hub's tags are read from the card")
    assert "no license text confirms it" in confidence_text(card_only)
    assert with_text.confidence >= CONFIDENCE_HIGH and name_and_text.confidence >= CONFIDENCE_HIGH
    assert confidence_text(with_text).startswith("high: card, tags and LICENSE file agree")
    assert confidence_text(name_and_text).startswith("high: the card's license_name and LICENSE file agree")
    # Fields of one card repeating each other, with no text, stay below high.
    link = "https://opensource.org/license/mit"
    metadata = resolve(_hub({"license": "mit", "license_name": "MIT License", "license_link": link}), kb)
    assert metadata.confidence < CONFIDENCE_HIGH, metadata.evidence


def test_explain_sections_agree_and_confidence_says_what_it_rests_on() -> None:
    settings = Settings(hub=HubSettings(hub_dir=ROOT / "examples" / "hub", no_cache=True), use="saas")
    out = "\n\n".join(explain("google-bert/bert-base-uncased", settings))
    # One list of findings: the verdict's steps (which carry the evidence findings), never "(none)" then WARN.
    assert "(none)" not in out and "Findings" not in out
    assert "WARN revision-not-pinned" in out
    assert "Confidence:     medium: only the card says so" in out
    assert "License:        Apache License 2.0 (Apache-2.0)" in out
    assert "Verdict for use 'saas' (a commercial use): approved" in out
    assert "policy: uses.saas.categories.permissive" in out
    llama = "\n\n".join(explain("meta-llama/Meta-Llama-3-8B-Instruct", settings))
    assert "Confidence:     high: card, tags and LICENSE file agree" in llama
    assert "License:        Meta Llama 3 Community License Agreement" in llama


def test_json_names_each_license_and_says_whether_the_use_is_commercial() -> None:
    doc = json.loads((ROOT / "reports" / "auditor-report.json").read_text(encoding="utf-8"))
    by_id = {m["id"]: m for m in doc["models"]}
    nllb = by_id["facebook/nllb-200-distilled-600M"]
    assert nllb["use_commercial"] is False and nllb["verdict"] == "approved"
    assert nllb["license"]["expression"] == "CC-BY-NC-4.0"
    assert nllb["license"]["name"] == "Creative Commons Attribution-NonCommercial 4.0 International (CC-BY-NC-4.0)"
    llama = by_id["meta-llama/Meta-Llama-3-8B-Instruct"]["license"]
    assert llama["licenses"][0]["licenseref"] == llama["expression"] and llama["licenses"][0]["spdx"] is None
    assert by_id["google-bert/bert-base-uncased"]["use_commercial"] is True


@pytest.mark.parametrize("name", ["spdx", "cyclonedx", "notice"])
def test_sboms_and_the_notice_link_to_the_audited_endpoint_too(name: str) -> None:
    result = approved()
    assert result.hub is not None
    mirrored = replace(sample_report(), results=(replace(result, hub=replace(result.hub, source="hub-dir:mirror")),))
    assert "huggingface.co/google-bert" not in text(name, mirrored)
    hosted = replace(
        sample_report(), results=(replace(result, hub=replace(result.hub, source="https://hub.example.org")),)
    )
    assert f"https://hub.example.org/google-bert/bert-base-uncased/tree/{SHA_BERT}" in text(name, hosted)


def test_a_hosted_model_reads_by_its_offering_name_and_a_denied_right_names_the_use_needs() -> None:
    doc = json.loads((ROOT / "reports" / "auditor-report.json").read_text(encoding="utf-8"))
    md = (ROOT / "reports" / "auditor-report.md").read_text(encoding="utf-8")
    assert "provider terms\\: OpenAI API (platform)" in md  # Markdown escapes the colon
    assert any(m["offering"] is None and m["kind"] == "hosted" for m in doc["models"])  # machine ids unchanged
    from auditor.licenses import load_knowledge_base
    from auditor.policy import evaluate, load_policy

    kb = load_knowledge_base()
    policy = load_policy(None, kb)
    hub = HubModel("acme/nc", "main", "b" * 40, card_data={"license": "cc-by-nc-4.0"})
    verdict = evaluate(
        ref=ModelRef("acme/nc"),
        fetched=hub,
        resolution=resolve(hub, kb),
        policy=policy,
        kb=kb,
        use="commercial-product",
        today=datetime.date(2026, 12, 1),
    )
    assert verdict.status is Status.BLOCKED
    assert "uses.commercial-product.needs" in {f.policy for f in verdict.deciding}
