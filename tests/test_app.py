"""The application layer: typed frozen settings in, results out; nothing printed, one exit-code rule.

And the single sources of truth under it: the gate predicate, the escaping module, ids as enums.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from pathlib import Path

import pytest

from auditor import app, escape
from auditor.app import HubSettings, Inputs, Settings
from auditor.errors import EXIT_FINDINGS, EXIT_INTERRUPTED, EXIT_OK, HubUnavailableError, UsageError
from auditor.models import EvidenceSource, Relation, Status, fails_gate, needs_attention
from tests.conftest import MakeHub

APACHE = {"README.md": "---\nlicense: apache-2.0\n---\n# a permissive model\n"}
NON_COMMERCIAL = {"README.md": "---\nlicense: cc-by-nc-4.0\n---\n# research only\n"}


def settings_for(hub_url: str, *model_ids: str, **changes: object) -> Settings:
    hub = HubSettings(endpoint=hub_url, no_cache=True, retries=0)
    return dataclasses.replace(Settings(inputs=Inputs(model_ids=model_ids), hub=hub), **changes)  # type: ignore[arg-type]


def test_settings_are_frozen_and_never_show_the_token() -> None:
    hub = HubSettings(token="hf_secret")
    with pytest.raises(dataclasses.FrozenInstanceError):
        hub.jobs = 2  # type: ignore[misc]
    assert "hf_secret" not in repr(Settings(hub=hub))


def test_scan_returns_a_report_and_prints_nothing(
    make_hub: MakeHub, hf_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from huggingface_hub.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # the client's own notice; the CLI silences it the same way
    hub = make_hub({"org/ok": APACHE, "org/nc": NON_COMMERCIAL})
    warnings: list[str] = []
    seen: list[tuple[str, int]] = []
    result = app.scan(
        settings_for(hub.url, "org/ok", "org/nc", use="commercial-product"),
        warn=warnings.append,
        progress=lambda r, total: seen.append((r.ref.repo_id, total)),
    )
    assert capsys.readouterr() == ("", "")
    assert [r.verdict.status for r in result.report.results] == [Status.APPROVED, Status.BLOCKED]
    assert sorted(seen) == [("org/nc", 2), ("org/ok", 2)]
    assert warnings == []
    assert app.exit_code(result.report, Status.BLOCKED, exit_zero=False) == EXIT_FINDINGS
    assert app.exit_code(result.report, Status.BLOCKED, exit_zero=True) == EXIT_OK
    assert app.exit_code(dataclasses.replace(result.report, complete=False), Status.BLOCKED, False) == EXIT_INTERRUPTED


def test_what_the_run_starts_with_is_frozen_out_of_its_collections_and_thawed_after(
    make_hub: MakeHub, hf_env: Path
) -> None:
    import gc

    hub = make_hub({"org/ok": APACHE})
    during: list[int] = []
    app.scan(settings_for(hub.url, "org/ok"), progress=lambda r, total: during.append(gc.get_freeze_count()))
    assert during and during[0] > 10_000  # the modules, the knowledge base and the policy at least
    assert gc.get_freeze_count() == 0


def test_an_error_on_the_main_thread_starts_no_further_model() -> None:
    """The workers are ordinary threads the interpreter waits for at exit: an error while results are
    handed over (a progress display that fails) must stop them taking new models, or the run would go
    through the whole list before the error could end it."""
    from datetime import datetime, timezone

    from auditor.app.engine import AuditSettings, run_audit
    from auditor.licenses import load_knowledge_base
    from auditor.models import FetchError, FetchErrorKind, FetchResult, ModelRef
    from auditor.policy import load_policy

    class Slow:
        """A Hub source that answers every model after a while, counting what it was asked."""

        def __init__(self) -> None:
            self.asked = 0

        def fetch(self, repo_id: str, revision: str | None) -> FetchResult:
            self.asked += 1
            time.sleep(0.05)
            return FetchError(repo_id, revision or "main", FetchErrorKind.NOT_FOUND, "not here")

        def describe(self) -> str:
            return "slow"

        def stats(self) -> dict[str, int]:
            return {}

    def failing(_result: object) -> None:
        raise RuntimeError("progress display failed")

    kb = load_knowledge_base()
    source = Slow()
    refs = [ModelRef(f"org/m{i}") for i in range(40)]
    now = datetime.now(timezone.utc)
    with pytest.raises(RuntimeError, match="progress display failed"):
        run_audit(
            refs,
            source=source,
            kb=kb,
            policy=load_policy(None, kb),
            now=now,
            settings=AuditSettings(jobs=2),
            progress=failing,
        )
    for thread in threading.enumerate():
        if thread.name.startswith("auditor_"):
            thread.join(timeout=30)
    assert source.asked < len(refs) // 2  # 40 models on 2 threads take 1 s; the first result ends it at 0.1 s


def test_workers_fetch_models_and_their_bases_and_the_main_thread_never_waits_on_the_network() -> None:
    """Worker threads fetch each model and the bases its lineage names; the main thread resolves and
    decides from what they fetched. A bug in one fetch is that model's error verdict, not a lost run."""
    from datetime import datetime, timezone

    from auditor.app.engine import AuditSettings, run_audit
    from auditor.licenses import load_knowledge_base
    from auditor.models import FetchResult, HubModel, ModelRef
    from auditor.policy import load_policy

    sha = "a" * 40
    cards = {
        "org/base": {"license": "apache-2.0"},
        "org/tune": {"license": "apache-2.0", "base_model": "org/base"},
        "org/quant": {"license": "apache-2.0", "base_model": "org/tune"},
    }

    class Recording:
        def __init__(self) -> None:
            self.threads: list[tuple[str, str]] = []

        def fetch(self, repo_id: str, revision: str | None) -> FetchResult:
            self.threads.append((repo_id, threading.current_thread().name))
            if repo_id == "org/broken":
                raise RuntimeError("a bug in a source")
            return HubModel(repo_id=repo_id, requested_revision=revision or "main", sha=sha, card_data=cards[repo_id])

        def describe(self) -> str:
            return "recording"

        def stats(self) -> dict[str, int]:
            return {}

    kb = load_knowledge_base()
    source = Recording()
    refs = [ModelRef("org/quant"), ModelRef("org/broken"), ModelRef("org/tune")]
    report = run_audit(
        refs,
        source=source,
        kb=kb,
        policy=load_policy(None, kb),
        now=datetime.now(timezone.utc),
        settings=AuditSettings(jobs=2),
    )
    assert {name for _repo, name in source.threads} <= {"auditor_0", "auditor_1"}
    assert sorted({repo for repo, _name in source.threads}) == ["org/base", "org/broken", "org/quant", "org/tune"]
    assert [repo for repo, _name in source.threads].count("org/base") == 1  # one fetch per base per run
    quant, broken, tune = report.results
    assert quant.resolution is not None and [link.repo_id for link in quant.resolution.lineage][:2] == [
        "org/tune",
        "org/base",
    ]
    assert broken.verdict.status is Status.ERROR and "a bug in a source" in broken.verdict.reason
    assert tune.verdict.status is not Status.ERROR


def test_a_run_holds_what_repeats_from_model_to_model_once(make_hub: MakeHub, hf_env: Path) -> None:
    """10,000 results stay in memory until the report is written: equal parts are one object, and
    sharing them changes nothing a report shows."""
    card = "---\nlicense: apache-2.0\ntags: [text-generation, en]\nlanguage: [en]\n---\n"
    text = "Apache License 2.0 text\n"
    repos = {f"org/m{i}": {"README.md": f"{card}# model {i}\n", "LICENSE": text} for i in range(3)}
    hub = make_hub(repos)
    report = app.scan(settings_for(hub.url, "org/m0", "org/m1", "org/m2", use="commercial-product")).report
    first, second, third = report.results
    assert first.verdict.status is third.verdict.status is Status.APPROVED
    assert first.verdict.rights and first.verdict.rights is second.verdict.rights
    assert first.verdict.findings[0] is second.verdict.findings[0]
    assert first.resolution is not None and second.resolution is not None
    assert first.resolution.evidence is second.resolution.evidence
    assert first.hub is not None and second.hub is not None and first.hub.sha != second.hub.sha
    assert first.hub.card_data == {"license": "apache-2.0", "tags": ["text-generation", "en"], "language": ["en"]}
    assert first.hub.card_data["tags"][0] is second.hub.card_data["tags"][0]
    assert first.hub.license_files == second.hub.license_files and first.hub.license_files[0].text.startswith("Apache")


def test_shared_values_are_equal_and_one_object() -> None:
    from auditor.models import EvidenceSource, Finding, Severity
    from auditor.share import shared, shared_data, shared_each

    finding = Finding("rule", Severity.INFO, "".join(["a message ", "that repeats"]))
    assert shared(finding) is finding and shared(dataclasses.replace(finding)) is finding
    again = (dataclasses.replace(finding), Finding("other", Severity.INFO, "m"))
    kept = shared_each(again)
    assert kept == again and kept[0] is finding and shared_each(tuple(again)) is kept
    assert shared("".join(["lic", "ense"])) is shared("license")
    # An enum member equal to a string stays itself; unhashable values come back as they are.
    assert type(shared(EvidenceSource.TAG)) is EvidenceSource and type(shared("tag")) is str
    card = {"tags": ["a", {"b": 1.5}]}
    assert shared({"x": 1}) == {"x": 1} and shared_data(card) == card and shared_data(card) is not card


def test_scan_without_models_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="no models given"):
        app.scan(Settings())


def test_an_unreachable_hub_is_exit_3_from_the_application_layer(hf_env: Path) -> None:
    settings = settings_for("http://127.0.0.1:9", "org/a", "org/b")
    report = app.scan(settings).report
    with pytest.raises(HubUnavailableError, match="could not be reached"):
        app.exit_code(report, Status.BLOCKED, exit_zero=True)


def test_check_with_a_lock_counts_drift_and_runs_below_the_cli(make_hub: MakeHub, hf_env: Path, tmp_path: Path) -> None:
    hub = make_hub({"org/ok": APACHE})
    lock_file = tmp_path / "models.lock"
    app.lock(settings_for(hub.url, "org/ok", lock_path=lock_file))
    assert lock_file.exists()
    (hub.root / "org/ok/README.md").write_text("---\nlicense: cc-by-nc-4.0\n---\n# relicensed\n")
    result = app.check(settings_for(hub.url, lock_path=lock_file, fail_on=Status.NEEDS_REVIEW))
    assert result.report is not None
    assert result.notes[0].startswith("lock: 1 license-drift")
    assert app.gate_failed(result.report, Status.NEEDS_REVIEW)


def test_check_with_nothing_found_passes_without_a_report(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("print('no models here')\n")
    result = app.check(Settings(inputs=Inputs(discover_paths=(tmp_path,))))
    assert result.report is None


# ---------------------------------------------------------------- one gate rule


@pytest.mark.parametrize("fail_on", list(Status)[1:])
def test_the_gate_predicate(fail_on: Status) -> None:
    for status in Status:
        assert fails_gate(status, fail_on) == (status.rank >= fail_on.rank)
    assert fails_gate(Status.ERROR, fail_on), "an error verdict always fails"
    assert not fails_gate(Status.APPROVED, fail_on)
    assert needs_attention(Status.NEEDS_REVIEW, Status.BLOCKED)
    assert not needs_attention(Status.APPROVED_WITH_OBLIGATIONS, Status.BLOCKED)


def test_every_failing_renderer_agrees_with_the_gate() -> None:
    """SARIF levels, JUnit failures and the concise FAIL lines all follow fails_gate()."""
    import xml.etree.ElementTree as ET

    from auditor.report import render
    from tests.fixtures.report.sample import sample_report

    report = sample_report()
    for fail_on in list(Status)[1:]:
        failing = {str(r.ref) for r in report.results if fails_gate(r.verdict.status, fail_on)}
        concise = str(render("concise", report, fail_on=fail_on))
        assert {line.split()[2] for line in concise.splitlines() if line.startswith("FAIL")} == failing
        junit = ET.fromstring(render("junit", report, fail_on=fail_on))
        failed_cases = [
            case
            for case in junit.iter("testcase")
            if case.find("failure") is not None or case.find("error") is not None
        ]
        assert len(failed_cases) == len([r for r in report.results if fails_gate(r.verdict.status, fail_on)])


# ---------------------------------------------------------------- one escaping module

HOSTILE = "a\x1b[2Jb\u202ec\u200bd\ne\x00f\u2028g"


def test_every_context_drops_the_same_dangerous_characters() -> None:
    from auditor.hub.content import printable as hub_printable
    from auditor.licenses.text import quote
    from auditor.policy.steps import clip

    dangerous = {ch for ch in HOSTILE if escape.unsafe(ch) or ch == "\n"}
    assert {"\x1b", "\u202e", "\u200b", "\x00", "\u2028", "\n"} <= dangerous
    for cleaned in (
        escape.line(HOSTILE, 100),
        escape.printable(HOSTILE),
        escape.markdown(HOSTILE),
        quote(HOSTILE),
        clip(HOSTILE),
        hub_printable(HOSTILE),
    ):
        assert not dangerous & set(cleaned), repr(cleaned)


def test_line_caps_with_an_ellipsis_and_collapses_space() -> None:
    assert escape.line("a  \t b", 10) == "a b"
    assert escape.line("x" * 50, 10) == "x" * 9 + "…"
    assert escape.line(["not", "a string"], 40) == "['not', 'a string']"


def test_github_escapes() -> None:
    assert escape.github_data("50%\r\n") == "50%25%0D%0A"
    assert escape.github_property("a:b,c") == "a%3Ab%2Cc"


# ---------------------------------------------------------------- ids as enums


def test_kinds_print_and_serialise_as_their_value() -> None:
    assert str(EvidenceSource.CARD_LICENSE_NAME) == "card.license_name"
    assert f"{Relation.FINETUNE}" == "finetune"
    assert json.dumps({"source": EvidenceSource.TAG}) == '{"source": "tag"}'
    assert EvidenceSource.LICENSE_FILE == "license_file"
    assert Relation.UNKNOWN not in Relation.known()


def test_policy_maps_the_resolvers_rule_ids_not_copies() -> None:
    import importlib

    from auditor.licenses.resolve import RULE_NO_LICENSE
    from auditor.policy.evaluate import RESOLUTION_RULES

    resolve_module = importlib.import_module("auditor.licenses.resolve")  # the package exports a function by that name
    constants = {v for k, v in vars(resolve_module).items() if k.startswith("RULE_")}
    assert set(RESOLUTION_RULES) <= constants
    assert RESOLUTION_RULES[RULE_NO_LICENSE] == "missing_license"


def test_lock_summary_rules_are_the_drift_modules() -> None:
    from auditor import drift

    assert set(drift.SUMMARY_RULES) <= drift.LOCK_RULES
