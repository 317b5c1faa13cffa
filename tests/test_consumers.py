"""The reports pass what their consumers check, beyond each format's schema.

- SPDX: `ntia-checker` (PyPI ntia-conformance-checker), the NTIA minimum elements and CISA's FSCT
  minimum expectation, run as the consumer runs it, on the command line.
- SARIF: GitHub code scanning's ingestion rules (the Sarif.Multitool GH rules and the rule metadata
  GitHub shows), encoded below because the .NET Multitool is not available here, plus the 2.1.0 schema.
- CycloneDX: strict 1.6 validation and the ML-BOM model card's content.
- JUnit: junitparser, as CI test dashboards read it.
- Dependencies: deptry finds no import that is not declared.

Every report comes from the real CLI over the bundled example (real model cards, examples/hub).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

ROOT = Path(__file__).resolve().parent.parent
HUB = ROOT / "examples" / "hub"
_GATE = ("--fail-on", "needs-review")  # the CI gate's default: failing models have SARIF results


def _scan(tmp: Path, listing: str, formats: str, *extra: str) -> dict[str, Path]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env["SOURCE_DATE_EPOCH"] = "1795910400"
    proc = subprocess.run(
        [sys.executable, "-m", "auditor", "scan", "--hub-dir", str(HUB), "-r", listing, "--no-cache",
         "--exit-zero", "--format", formats, "-o", str(tmp), *extra],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return {p.name.split(".", 1)[1]: p for p in tmp.iterdir()}


@pytest.fixture(scope="module")
def every_model(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """All 34 bundled models: unresolved bases, conflicts, models with no license."""
    return _scan(tmp_path_factory.mktemp("all"), "examples/models.txt", "spdx,cyclonedx,sarif,junit,json", *_GATE)


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return _scan(tmp_path_factory.mktemp("inv"), "examples/inventory.yaml", "spdx,cyclonedx,sarif,junit", *_GATE)


# ---------------------------------------------------------------- SPDX: ntia-conformance-checker


def _ntia(path: Path, standard: str) -> dict[str, Any]:
    checker = shutil.which("ntia-checker") or str(Path(sys.executable).parent / "ntia-checker")
    proc = subprocess.run(
        [checker, "-c", standard, "-r", "json", str(path)], capture_output=True, text=True, timeout=120
    )
    assert proc.stdout.strip(), proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


@pytest.mark.parametrize("which", ["every_model", "inventory"])
def test_spdx_meets_the_ntia_minimum_elements(which: str, request: pytest.FixtureRequest) -> None:
    path = request.getfixturevalue(which)["spdx.json"]
    result = _ntia(path, "ntia")
    assert result["isConformant"] is True, json.dumps(result, indent=1)[:3000]
    assert result["graphValidation"]["floatingComponents"]["floatingComponentCount"] == 0
    assert result["totalNumberComponents"] == len(json.loads(path.read_text())["packages"])


def test_spdx_meets_fsct3_minimum_except_what_spdx2_or_the_hub_cannot_say(every_model: dict[str, Path]) -> None:
    """FSCT3-min passes element by element, but for two things this document cannot honestly give:

    the SBOM type (the checker reads it from SPDX 3 only; we state it in the creator comment) and a
    copyright notice or concluded license the Hub does not give. Those stay NOASSERTION, and are
    exactly the packages whose license files hold no copyright line / whose license is unknown.
    """
    path = every_model["spdx.json"]
    result = _ntia(path, "fsct3-min")
    for element in ("componentNames", "componentVersions", "componentIdentifiers", "componentSuppliers"):
        assert result[element]["allProvided"] is True, element
    assert result["authorNameProvided"] and result["timestampProvided"]
    assert result["dependencyRelationshipsProvided"]
    document = json.loads(path.read_text())
    assert "SBOM type: Analyzed" in document["creationInfo"]["comment"]
    by_name = {p["name"]: p for p in document["packages"]}
    unknown = set(result["componentConcludedLicenses"]["nonconformantComponents"])
    assert unknown == {name for name, p in by_name.items() if p["licenseConcluded"] == "NOASSERTION"}
    assert unknown < set(by_name)  # most are concluded
    no_copyright = set(result["componentCopyrightTexts"]["nonconformantComponents"])
    with_notice = {name for name, p in by_name.items() if p["copyrightText"] != "NOASSERTION"}
    assert with_notice and no_copyright == set(by_name) - with_notice
    assert by_name["deepseek-ai/DeepSeek-OCR"]["copyrightText"] == "Copyright (c) 2025 DeepSeek"


def test_spdx_declares_the_cards_license_and_concludes_the_resolution(every_model: dict[str, Path]) -> None:
    document = json.loads(every_model["spdx.json"].read_text())
    by_name = {p["name"]: p for p in document["packages"]}
    # The card's Hub id stands for a license we know: declared, not only a comment.
    assert by_name["meta-llama/Meta-Llama-3-8B-Instruct"]["licenseDeclared"] == "LicenseRef-llama-3"
    assert by_name["google/gemma-2-9b"]["licenseDeclared"] == "LicenseRef-gemma-terms-of-use"
    # No card license: nothing declared, though a license file lets us conclude one.
    minimax = by_name["MiniMaxAI/MiniMax-M2"]
    assert (minimax["licenseDeclared"], minimax["licenseConcluded"]) == ("NOASSERTION", "MIT")
    # Nothing grants a license at all: concluded NONE (SPDX's "no license"), not "not asserted".
    assert by_name["iflytek/Spark-Chemistry-X1-13B"]["licenseConcluded"] == "NONE"
    declared = [p for p in document["packages"] if p["licenseDeclared"] != "NOASSERTION"]
    assert len(declared) >= 25
    for package in document["packages"]:
        org = package["name"].split("/")[0]
        assert package["supplier"] == f"Organization: {org}"
        assert package["versionInfo"]


# ---------------------------------------------------------------- SARIF: GitHub code scanning

# GitHub's limits on an uploaded SARIF file (docs: "SARIF support for code scanning", upload limits).
_MAX_RUNS = 20
_MAX_RESULTS = 25_000
_MAX_RULES = 25_000
_MAX_TAGS = 20
_MAX_LOCATIONS = 1_000


def github_problems(document: dict[str, Any], models: set[str], shas: set[str]) -> list[str]:
    """What code scanning would reject or show badly, as the Multitool's GH rules and GitHub's docs say.

    GH1001 every result has a location with physicalLocation.artifactLocation.uri; GH1003 a region has
    startLine >= 1; GH1004 arrays within GitHub's limits; GH1005/GH1006 URIs relative (or file: with a
    checkout path; we require relative); GH1007 messages fully formatted; SARIF2012 and GitHub's rule
    metadata: id, name, shortDescription, fullDescription, help and helpUri on every rule, and rule
    text about the rule, never about one model (it shows on every alert of the rule).
    """
    problems: list[str] = []
    runs = document.get("runs", [])
    if document.get("version") != "2.1.0":
        problems.append("version: code scanning reads SARIF 2.1.0 only")
    if len(runs) > _MAX_RUNS:
        problems.append("GH1004: too many runs")
    for r, run in enumerate(runs):
        driver = run.get("tool", {}).get("driver", {})
        if not driver.get("name"):
            problems.append(f"runs[{r}]: tool.driver.name is required")
        if not run.get("automationDetails", {}).get("id"):
            problems.append(f"runs[{r}]: no automationDetails.id: two uploads in one workflow overwrite each other")
        rules, results = driver.get("rules", []), run.get("results", [])
        if len(rules) > _MAX_RULES or len(results) > _MAX_RESULTS:
            problems.append("GH1004: too many rules or results")
        for i, rule in enumerate(rules):
            problems += _rule_problems(f"rules[{i}] {rule.get('id')}", rule, models | shas)
        for i, result in enumerate(results):
            problems += _result_problems(f"results[{i}] {result.get('ruleId')}", result, run)
    return problems


def _rule_problems(where: str, rule: dict[str, Any], identities: set[str]) -> list[str]:
    problems = [f"SARIF2012 {where}: no {field}" for field in ("id", "name", "helpUri") if not rule.get(field)]
    problems += [
        f"GH {where}: no {field}.text"
        for field in ("shortDescription", "fullDescription", "help")
        if not (rule.get(field) or {}).get("text")
    ]
    if rule.get("name") and not re.fullmatch(r"(?:[A-Z][a-z0-9]+)+", rule["name"]):
        problems.append(f"SARIF2012 {where}: name {rule['name']!r} is not a Pascal-case friendly name")
    if len((rule.get("shortDescription") or {}).get("text", "")) > 1024:
        problems.append(f"{where}: shortDescription over 1024 characters")
    if len(rule.get("properties", {}).get("tags", [])) > _MAX_TAGS:
        problems.append(f"GH1004 {where}: too many tags")
    text = json.dumps({k: rule.get(k) for k in ("name", "shortDescription", "fullDescription", "help")})
    named = sorted(m for m in identities if m and m in text)
    if named:
        problems.append(f"{where}: rule text names {named[0]} (it shows on every alert of the rule)")
    return problems


def _result_problems(where: str, result: dict[str, Any], run: dict[str, Any]) -> list[str]:
    problems = []
    text = result.get("message", {}).get("text")
    if not text or re.search(r"\{\d+\}", text):
        problems.append(f"GH1007 {where}: message not fully formatted")
    if result.get("level") not in ("error", "warning", "note"):
        problems.append(f"{where}: level {result.get('level')!r}")
    locations = result.get("locations")
    if not locations:
        return [*problems, f"GH1001 {where}: no locations"]
    if len(locations) > _MAX_LOCATIONS:
        problems.append(f"GH1004 {where}: too many locations")
    for location in locations:
        artifact = location.get("physicalLocation", {}).get("artifactLocation", {})
        uri = artifact.get("uri")
        if not uri:
            problems.append(f"GH1001 {where}: no physicalLocation.artifactLocation.uri")
        elif re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", uri):
            problems.append(f"GH1005/GH1006 {where}: absolute URI {uri}")
        elif artifact.get("uriBaseId") not in run.get("originalUriBaseIds", {}):
            problems.append(f"{where}: uriBaseId {artifact.get('uriBaseId')!r} is not declared")
        region = location.get("physicalLocation", {}).get("region")
        if region is not None and not (isinstance(region.get("startLine"), int) and region["startLine"] >= 1):
            problems.append(f"GH1003 {where}: region without startLine")
    return problems


def _identity(document: dict[str, Any]) -> tuple[set[str], set[str]]:
    results = document["runs"][0]["results"]
    models = {r["properties"]["model"] for r in results}
    return models, {r["properties"]["sha"] for r in results if r["properties"]["sha"]}


def _sarif_schema() -> dict[str, Any]:
    from tests.test_report import sarif_schema

    return sarif_schema()


@pytest.mark.parametrize("which", ["every_model", "inventory"])
def test_sarif_passes_githubs_ingestion_rules_and_the_schema(which: str, request: pytest.FixtureRequest) -> None:
    document = json.loads(request.getfixturevalue(which)["sarif"].read_text())
    models, shas = _identity(document)
    assert models, "the example has failing models"
    assert github_problems(document, models, shas) == []
    validator = jsonschema.validators.validator_for(_sarif_schema())(_sarif_schema())
    assert list(validator.iter_errors(document)) == []


def test_the_github_checker_catches_what_main_used_to_write() -> None:
    """The checker is not vacuous: the shapes of the old output fail it."""
    old = {
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "auditor", "rules": [{"id": "revision-not-pinned", "name": "x",
                         "shortDescription": {"text": "Revision not pinned"},
                         "help": {"text": "pin it as acme/m@0123456789abcdef0123456789abcdef01234567"}}]}},
                "results": [{"ruleId": "revision-not-pinned", "level": "error", "message": {"text": "m"},
                             "locations": [{"physicalLocation": {"artifactLocation": {"uri": "file:///tmp/m.txt"}}}],
                             "properties": {"model": "acme/m", "sha": "0123456789abcdef0123456789abcdef01234567"}}],
            }
        ],
    }  # fmt: skip
    problems = github_problems(old, {"acme/m"}, {"0123456789abcdef0123456789abcdef01234567"})
    assert any("fullDescription" in p for p in problems)
    assert any("helpUri" in p for p in problems)
    assert any("names acme/m" in p or "names 0123" in p for p in problems)
    assert any("absolute URI" in p for p in problems)
    assert any("automationDetails" in p for p in problems)


def test_sarif_levels_follow_each_findings_severity(every_model: dict[str, Path]) -> None:
    sarif = json.loads(every_model["sarif"].read_text())["runs"][0]
    report = json.loads(every_model["json"].read_text())
    severity = {
        (r["id"], f["rule"]): f["severity"] for r in report["models"] for f in r["findings"]
    }
    levels = {"error": "error", "warning": "warning", "info": "note"}
    checked = 0
    for result in sarif["results"]:
        key = (result["properties"]["model"], result["ruleId"])
        if key in severity:
            assert result["level"] == levels[severity[key]], key
            checked += 1
        else:  # the verdict itself, at its level
            assert result["ruleId"].startswith("verdict-")
    assert checked
    assert {r["level"] for r in sarif["results"]} >= {"error", "warning"}


def test_sarif_category_is_configurable(tmp_path: Path) -> None:
    out = tmp_path / "a.sarif"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    proc = subprocess.run(
        [sys.executable, "-m", "auditor", "check", "--hub-dir", str(HUB), "-r", "examples/inventory.yaml",
         "--no-cache", "--sarif", str(out), "--sarif-category", "models/api", "--exit-zero"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text())["runs"][0]["automationDetails"] == {"id": "models/api/"}


def test_sarif_uris_stay_relative_when_the_list_is_outside_the_working_directory(tmp_path: Path) -> None:
    listing = tmp_path / "lists" / "models.txt"
    listing.parent.mkdir()
    listing.write_text("meta-llama/Meta-Llama-3-8B-Instruct\n")
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run(
        [sys.executable, "-m", "auditor", "check", "--hub-dir", str(HUB), "-r", str(listing), "--no-cache",
         "--sarif", "out.sarif", "--exit-zero"],
        cwd=work, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    document = json.loads((work / "out.sarif").read_text())
    models, shas = _identity(document)
    assert github_problems(document, models, shas) == []
    artifact = document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": "models.txt", "uriBaseId": "ORIGIN1"}


# ---------------------------------------------------------------- CycloneDX ML-BOM


@pytest.mark.parametrize("which", ["every_model", "inventory"])
def test_cyclonedx_ml_bom_is_strict_1_6(which: str, request: pytest.FixtureRequest) -> None:
    text = request.getfixturevalue(which)["cdx.json"].read_text()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None


def test_cyclonedx_model_cards_say_what_the_cards_say(every_model: dict[str, Path]) -> None:
    bom = json.loads(every_model["cdx.json"].read_text())
    components = {f"{c['group']}/{c['name']}": c for c in bom["components"]}
    refs = [c["bom-ref"] for c in bom["components"]]
    assert len(refs) == len(set(refs))
    for name, component in components.items():
        assert component["bom-ref"] == component["purl"] == f"pkg:huggingface/{name}@{component['version']}"
        assert component["supplier"]["name"] == component["manufacturer"]["name"] == name.split("/")[0]
        acknowledged = {entry.get("license", entry).get("acknowledgement") for entry in component["licenses"]}
        assert "concluded" in acknowledged, name
        assert component["modelCard"]["considerations"]["useCases"], name
    whisper = components["openai/whisper-large-v3"]
    assert whisper["modelCard"]["modelParameters"]["task"] == "automatic-speech-recognition"
    assert {
        "license": {"acknowledgement": "declared", "id": "Apache-2.0"}
    } in whisper["licenses"]
    deci = components["Deci/DeciLM-6b"]["modelCard"]
    assert deci["modelParameters"]["datasets"] == [
        {"type": "dataset", "name": "cerebras/SlimPajama-627B",
         "contents": {"url": "https://huggingface.co/datasets/cerebras/SlimPajama-627B"}}
    ]  # fmt: skip
    lora = components["FinGPT/fingpt-forecaster_dow30_llama2-7b_lora"]["modelCard"]
    assert {"name": "huggingface:library", "value": "peft"} in lora["properties"]
    llama = components["meta-llama/Meta-Llama-3-8B-Instruct"]["modelCard"]["considerations"]
    assert any("Acceptable Use Policy" in line for line in llama["technicalLimitations"])
    assert any("improve any other large language model" in line for line in llama["technicalLimitations"])
    for component in bom["components"]:  # every model and every base says what is concluded, unknown included
        for part in [component, *component.get("pedigree", {}).get("ancestors", [])]:
            assert part["licenses"], part["bom-ref"]
    # Lineage stays pedigree: the adapter's base, scoped to it.
    adapter = components["FinGPT/fingpt-forecaster_dow30_llama2-7b_lora"]
    (ancestor,) = adapter["pedigree"]["ancestors"]
    assert ancestor["name"] == "Llama-2-7b-chat-hf"
    assert ancestor["bom-ref"].endswith("#ancestor-of:" + adapter["bom-ref"])
    assert ancestor["licenses"] == [{"license": {"acknowledgement": "concluded", "name": "NOASSERTION"}}]
    # No license at all, or not established: said, never left out.
    assert components["iflytek/Spark-Chemistry-X1-13B"]["licenses"] == [
        {"license": {"acknowledgement": "concluded", "name": "NONE"}}
    ]


# ---------------------------------------------------------------- JUnit: junitparser


@pytest.mark.parametrize("which", ["every_model", "inventory"])
def test_junit_reads_in_junitparser(which: str, request: pytest.FixtureRequest) -> None:
    from junitparser import Error, Failure, JUnitXml

    path = request.getfixturevalue(which)["junit.xml"]
    xml = JUnitXml.fromfile(str(path))
    suites = list(xml)
    assert len(suites) == 1
    (suite,) = suites
    cases = list(suite)
    assert suite.tests == len(cases) > 0
    failures = sum(1 for case in cases for r in case.result if isinstance(r, Failure))
    errors = sum(1 for case in cases for r in case.result if isinstance(r, Error))
    assert (suite.failures, suite.errors) == (failures, errors)
    assert (xml.tests, xml.failures, xml.errors) == (suite.tests, suite.failures, suite.errors)
    for case in cases:
        assert case.name and case.classname.startswith("auditor.")
        for result in case.result:
            assert result.message and result.type


# ---------------------------------------------------------------- dependencies


def test_every_import_is_a_declared_dependency() -> None:
    deptry = shutil.which("deptry") or str(Path(sys.executable).parent / "deptry")
    proc = subprocess.run([deptry, "auditor"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
