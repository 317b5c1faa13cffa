"""A model card written by an attacker renders inert and readable in every format.

The hostile report (tests/fixtures/report/sample.py) carries script tags, attribute breakouts,
Markdown links and images, control characters, bidi overrides, spreadsheet formulas and 100 000-
character strings in every field a card or an inventory can reach.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from typing import Any

import pytest

from auditor.report import available, render
from auditor.report.document import report_document
from tests.fixtures.report.sample import HUGE, MD_LINK, SCRIPT, hostile_report

BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def text(name: str, **options: Any) -> str:
    out = render(name, hostile_report(), **options)
    assert isinstance(out, str)
    return out


def raw_controls(out: str, allowed: str = "\n") -> set[str]:
    return {ch for ch in out if (unicodedata.category(ch) in ("Cc", "Cs") and ch not in allowed) or ch in BIDI}


@pytest.mark.parametrize("name", available())
def test_no_raw_control_or_bidi_character_reaches_any_format(name: str) -> None:
    out = text(name)
    assert raw_controls(out, allowed="\n\r" if name == "csv" else "\n") == set()


@pytest.mark.parametrize("name", ["table", "markdown", "html", "csv", "sarif", "junit", "notice"])
def test_huge_fields_are_capped(name: str) -> None:
    out = text(name)
    assert HUGE not in out
    assert len(out) < 250_000, len(out)


def test_table_output_is_one_clean_line_per_model() -> None:
    out = text("table")
    assert "\x1b" not in out
    lines = out.splitlines()
    assert len(lines) == 1 + 5 + 2  # header, five models, blank line, summary
    assert "evil-org/innocent-model" in lines[2]


def test_json_round_trips_the_hostile_values_exactly() -> None:
    out = text("json")
    assert out.isascii()
    assert json.loads(out) == json.loads(json.dumps(report_document(hostile_report())))
    hostile = json.loads(out)["models"][1]
    assert hostile["notes"].endswith(HUGE)
    assert hostile["license"]["evidence"][3]["value"] == HUGE
    assert hostile["license"]["declared"] == f"other{SCRIPT}"


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_has_no_script_no_event_handler_and_shows_the_attack_as_text() -> None:
    page = text("html")
    parsed = _Collector()
    parsed.feed(page)
    parsed.close()
    assert "script" not in parsed.tags
    assert "img" not in parsed.tags
    assert [name for name, _ in parsed.attrs if name.lower().startswith("on")] == []
    for name, value in parsed.attrs:
        if name in ("href", "src", "xlink:href", "action"):
            assert value is not None
            assert value.startswith(("#model-", "https://huggingface.co/")), value
            assert "javascript" not in value.lower()
    assert "<script" not in page.lower()
    assert "onerror=" not in page.replace("onerror=&#34;", "")  # only ever inside escaped text
    body = "".join(parsed.text)
    assert SCRIPT in body  # shown to the reader, as text
    assert MD_LINK in body


def test_markdown_has_no_live_link_image_or_html_from_card_text() -> None:
    out = text("markdown")
    # Inside a fenced code block everything is literal: check those separately, then drop them.
    fences = re.findall(r"^(`{3,})text\n(.*?)\n\1$", out, flags=re.S | re.M)
    assert fences
    for fence, body in fences:
        assert fence not in body
    prose = re.sub(r"^(`{3,})text\n.*?\n\1$", "", out, flags=re.S | re.M)
    # Our own links: the repo at the audited sha, built from the validated id (never from the card).
    without_our_links = re.sub(r"\]\(<https://huggingface\.co/[^>\s]+>\)", "]", prose)
    pinned = r"<https://huggingface\.co/[A-Za-z0-9._/-]+/(tree|blob)/[0-9a-f]{40}[^>\s]*>"
    without_our_links = re.sub(pinned, "", without_our_links)
    assert "<" not in without_our_links.replace("&lt;", "")
    assert re.search(r"(?<!\\)\[[^\]]*(?<!\\)\]\(", without_our_links) is None  # no [text](target)
    assert "](javascript" not in prose.replace("\\](javascript", "")
    assert "http://" not in prose and "www.evil" not in prose  # no bare URL for an autolinker
    assert "\\[click me\\](javascript\\:alert(1))" in out


def test_markdown_table_rows_keep_their_columns() -> None:
    for line in text("markdown").splitlines():
        if line.startswith("| "):
            cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
            assert len(cells) in (2, 3, 4, 6, 8), line[:200]


def test_csv_neutralises_formulas_and_keeps_one_row_per_model() -> None:
    rows = list(csv.reader(io.StringIO(text("csv"))))
    assert len(rows) == 6
    for row in rows:
        for cell in row:
            assert not cell.lstrip().startswith(("=", "+", "-", "@")), cell[:80]
    hostile = rows[2]
    assert hostile[11].startswith("'=HYPERLINK(")  # the owner column


def test_sarif_and_junit_stay_valid_and_parseable() -> None:
    sarif = json.loads(text("sarif"))
    assert {r["properties"]["model"] for r in sarif["runs"][0]["results"]} >= {"evil-org/innocent-model"}
    root = ET.fromstring(text("junit"))
    names = [case.get("name") for case in root.iter("testcase")]
    assert "evil-org/innocent-model" in names


def test_spdx_and_cyclonedx_do_not_assert_a_license_from_junk() -> None:
    spdx = json.loads(text("spdx"))
    evil = next(p for p in spdx["packages"] if p["name"] == "evil-org/innocent-model")
    assert (evil["licenseConcluded"], evil["licenseDeclared"]) == ("NOASSERTION", "NOASSERTION")
    bom = json.loads(text("cyclonedx"))
    evil_component = next(c for c in bom["components"] if c["name"] == "innocent-model")
    # Declared text is recorded as a name (JSON-escaped), never as an SPDX id or expression.
    assert evil_component["licenses"] == [
        {"license": {"name": "NOASSERTION", "acknowledgement": "concluded"}},
        {"license": {"name": f"other{SCRIPT}", "acknowledgement": "declared"}},
    ]


def test_notice_is_plain_text() -> None:
    out = text("notice", include_all=True)
    assert "\x1b" not in out
    assert "evil-org/innocent-model" in out
