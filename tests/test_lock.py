"""The lock file and drift detection, as pure functions over constructed stage values (no Hub, no clock)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from auditor.drift import (
    RULE_DRIFT,
    RULE_MOVED,
    RULE_NOT_IN_LOCK,
    RULE_REVISION_GONE,
    RULE_STALE,
    RULE_UNREADABLE,
    RULE_VERDICT_CHANGED,
    apply_lock_check,
    build_lock,
    check_lock,
    diff_reports,
    evidence_digest,
    read_base_report,
    render_diff,
)
from auditor.errors import InputFileError
from auditor.models import (
    AuditReport,
    Commercial,
    FetchError,
    FetchErrorKind,
    FileProblem,
    HubModel,
    LicenseFile,
    LicenseResolution,
    ModelRef,
    ModelResult,
    PolicyInfo,
    Severity,
    Status,
    Verdict,
)
from auditor.sources.lockfile import LockFile, lock_refs, read_lock, render_lock, write_lock

SHA_A = "a" * 40
SHA_B = "b" * 40
APACHE_TEXT = "Licensed under the Apache License, Version 2.0."


def hub(
    repo_id: str = "acme/model",
    *,
    sha: str = SHA_A,
    card: dict[str, object] | None = None,
    license_text: str | None = APACHE_TEXT,
    tags: tuple[str, ...] = ("license:apache-2.0",),
    **kwargs: object,
) -> HubModel:
    files = (LicenseFile("LICENSE", license_text),) if license_text is not None else ()
    return HubModel(
        repo_id=repo_id,
        requested_revision="main",
        sha=sha,
        card_data=card if card is not None else {"license": "apache-2.0"},
        tags=tags,
        license_files=files,
        fetched_at="2025-01-01T00:00:00Z",
        **kwargs,  # type: ignore[arg-type]
    )


def resolution(
    expression: str | None = "Apache-2.0", keys: tuple[str, ...] = ("apache-2.0",), **kw: object
) -> LicenseResolution:
    return LicenseResolution(expression=expression, keys=keys, commercial=Commercial.YES, confidence=1.0, **kw)  # type: ignore[arg-type]


def result(
    repo_id: str = "acme/model",
    *,
    revision: str | None = None,
    model: HubModel | None = None,
    res: LicenseResolution | None = None,
    status: Status = Status.APPROVED,
    use: str = "commercial-product",
    error: FetchError | None = None,
) -> ModelResult:
    if error is not None:
        return ModelResult(ModelRef(repo_id, revision), Verdict(Status.ERROR, use, error.message), fetch_error=error)
    return ModelResult(
        ref=ModelRef(repo_id, revision),
        verdict=Verdict(status, use, f"{status.value} for {use}"),
        hub=model or hub(repo_id),
        resolution=res or resolution(),
    )


def report(*results: ModelResult) -> AuditReport:
    return AuditReport(
        tool_version="test",
        generated_at="2025-01-01T00:00:00Z",
        policy=PolicyInfo("rules/policy.yaml", "f" * 64),
        use="commercial-product",
        results=tuple(results),
    )


def locked(*results: ModelResult) -> LockFile:
    build = build_lock(report(*results))
    assert not build.skipped
    return build.lock


# ---------------------------------------------------------------- evidence


def test_evidence_digest_ignores_what_is_not_license_evidence() -> None:
    base = hub()
    same = replace(
        base,
        sha=SHA_B,
        fetched_at="2030-01-01T00:00:00Z",
        tags=(*base.tags, "text-generation", "region:us"),
        siblings=("model.safetensors",),
        card_data={**base.card_data, "pipeline_tag": "text-generation", "language": ["en"]},
    )
    assert evidence_digest(same) == evidence_digest(base)


@pytest.mark.parametrize(
    "change",
    [
        {"license_files": (LicenseFile("LICENSE", APACHE_TEXT + "\nNo commercial use."),)},
        {"license_files": (LicenseFile("LICENSE.md", APACHE_TEXT),)},
        {"license_files": ()},
        {"card_data": {"license": "other", "license_name": "acme-license"}},
        {"card_data": {"license": "apache-2.0", "license_link": "LICENSE.acme"}},
        {"card_data": {"license": "apache-2.0", "base_model": "meta-llama/Llama-2-7b-hf"}},
        {"tags": ("license:mit",)},
        {"file_problems": (FileProblem("LICENSE", "gated", "needs a token"),)},
        {"card_error": "front matter is not valid YAML"},
    ],
)
def test_evidence_digest_changes_with_any_license_evidence(change: dict[str, object]) -> None:
    assert evidence_digest(replace(hub(), **change)) != evidence_digest(hub())  # type: ignore[arg-type]


def test_evidence_digest_handles_untrusted_card_values() -> None:
    import datetime

    odd = hub(card={"license": ["mit", {"nested": datetime.date(2024, 1, 1)}], "license_name": None})
    assert len(evidence_digest(odd)) == 64


# ---------------------------------------------------------------- the lock file


def test_lock_roundtrip_and_stable_bytes(tmp_path: Path) -> None:
    lock = locked(
        result("zeta/last", status=Status.BLOCKED),
        result("acme/model"),
        result("acme/pinned", revision="v1.0"),
    )
    text = render_lock(lock)
    shuffled = replace(lock, entries=tuple(reversed(lock.entries)))
    assert render_lock(shuffled) == text, "entry order must not change the file"
    assert text.startswith("# models.lock")
    assert text.index('"acme/model"') < text.index('"acme/pinned@v1.0"') < text.index('"zeta/last"')
    path = tmp_path / "models.lock"
    write_lock(path, lock)
    again = read_lock(path)
    assert [replace(e, line=None) for e in again.entries] == sorted(lock.entries, key=lambda e: e.key)
    assert again.policy_sha256 == "f" * 64
    assert render_lock(again) == text
    pinned = again.get("acme/pinned@v1.0")
    assert pinned is not None
    assert pinned.revision == "v1.0"
    assert [ref.revision for ref in lock_refs(again)] == [None, "v1.0", None]
    assert all(ref.origin is not None and ref.origin.line for ref in lock_refs(again))


def test_lock_keeps_every_use_of_a_model() -> None:
    lock = locked(result(use="saas", status=Status.BLOCKED), result(use="internal-research"))
    (entry,) = lock.entries
    assert entry.verdicts == (("internal-research", "approved"), ("saas", "blocked"))


def test_lock_skips_models_that_could_not_be_fetched() -> None:
    error = FetchError("acme/missing", "main", FetchErrorKind.NOT_FOUND, "not found")
    build = build_lock(report(result(), result("acme/missing", error=error)))
    assert [e.key for e in build.lock.entries] == ["acme/model"]
    assert [r.ref.repo_id for r in build.skipped] == ["acme/missing"]


def test_hostile_license_text_cannot_break_the_lock(tmp_path: Path) -> None:
    hostile = 'MIT"\nmodels:\n  "evil/x": {}\n# \u202e \x1b[31m'
    lock = locked(result(res=resolution(expression=hostile, keys=("k: v", "a,b"))))
    path = tmp_path / "models.lock"
    write_lock(path, lock)
    (entry,) = read_lock(path).entries
    assert entry.license == hostile
    assert entry.license_keys == ("k: v", "a,b")


def _entry_text(**overrides: str) -> str:
    fields = {
        "evidence_sha256": json.dumps("0" * 64),
        "inherited_keys": "[]",
        "license": json.dumps("MIT"),
        "license_keys": '["mit"]',
        "sha": json.dumps(SHA_A),
        "verdicts": '{"saas": "approved"}',
    }
    fields.update(overrides)
    body = "\n".join(f"    {k}: {v}" for k, v in fields.items() if v != "<drop>")
    return f'version: 1\nmodels:\n  "acme/model":\n{body}\n'


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("version: 2\nmodels: {}\n", 1, "unsupported lock version"),
        ("version: 1\nmodels: {}\nextra: 1\n", 3, "unknown key 'extra'"),
        ("- a\n- b\n", None, "not a lock file"),
        ("version: 1\nmodels: [a]\n", 2, "'models' must be a mapping"),
        (_entry_text().replace('"acme/model"', '"not a model id"'), 3, "not a Hub model id"),
        (_entry_text(evidence_sha256='"abc"'), 4, "64 hex digits"),
        (_entry_text(verdicts='{"saas": "fine"}'), 9, "'verdicts' must map uses"),
        (_entry_text(license_keys='"mit"'), 7, "list of strings"),
        (_entry_text(sha="<drop>"), 3, "has no 'sha'"),
        (_entry_text(colour='"red"'), 10, "unknown key 'colour'"),
        (_entry_text(license_files='{"LICENSE": "xyz"}'), 10, "'license_files' must map"),
        ("version: 1\nmodels: {\n", 3, "invalid YAML"),
    ],
)
def test_bad_lock_files_name_their_line(tmp_path: Path, text: str, line: int | None, message: str) -> None:
    path = tmp_path / "models.lock"
    path.write_text(text)
    with pytest.raises(InputFileError) as exc:
        read_lock(path)
    assert exc.value.line == line
    assert message in exc.value.message


def test_empty_lock_reads_and_writes(tmp_path: Path) -> None:
    path = tmp_path / "models.lock"
    write_lock(path, LockFile(entries=()))
    assert "models: {}" in path.read_text()
    assert read_lock(path).entries == ()


# ---------------------------------------------------------------- checking against the lock


def test_unchanged_lock_has_no_findings_at_all() -> None:
    results = (result(), result("acme/pinned", revision="v1"), result("acme/other", status=Status.NEEDS_REVIEW))
    check = check_lock(locked(*results), report(*results))
    assert check.by_model == {}
    assert check.stale == ()
    assert not check.failing


def test_moved_commit_with_same_evidence_is_info_only() -> None:
    lock = locked(result())
    moved = result(model=hub(sha=SHA_B))
    check = check_lock(lock, report(moved))
    (finding,) = check.by_model["acme/model"]
    assert (finding.rule, finding.severity) == (RULE_MOVED, Severity.INFO)
    assert not check.failing
    after = apply_lock_check(report(moved), check)
    assert after.results[0].verdict.status is Status.APPROVED


def test_license_change_is_drift_naming_old_and_new() -> None:
    lock = locked(result())
    changed = result(
        model=hub(sha=SHA_B, card={"license": "cc-by-nc-4.0"}, tags=("license:cc-by-nc-4.0",)),
        res=resolution("CC-BY-NC-4.0", ("cc-by-nc-4.0",)),
    )
    check = check_lock(lock, report(changed))
    (finding,) = check.by_model["acme/model"]
    assert finding.rule == RULE_DRIFT
    assert finding.severity is Severity.ERROR
    assert "Apache-2.0 -> CC-BY-NC-4.0" in finding.message
    assert "aaaaaaaaaaaa -> bbbbbbbbbbbb" in finding.message
    assert check.failing


def test_license_file_edit_under_the_same_expression_is_drift() -> None:
    lock = locked(result())
    edited = result(model=hub(sha=SHA_B, license_text=APACHE_TEXT + "\nAdditional terms: no commercial use."))
    (finding,) = check_lock(lock, report(edited)).by_model["acme/model"]
    assert finding.rule == RULE_DRIFT
    assert "evidence changed" in finding.message
    assert "Apache-2.0" in finding.message


def test_drift_names_the_license_files_that_changed() -> None:
    lock = locked(result())
    edited = hub(sha=SHA_B, license_text="Other terms.")
    edited = replace(edited, license_files=(*edited.license_files, LicenseFile("NOTICE", "notice")))
    changed = result(model=edited, res=resolution("LicenseRef-acme", ("acme",)))
    (finding,) = check_lock(lock, report(changed)).by_model["acme/model"]
    assert finding.message.endswith("(commit aaaaaaaaaaaa -> bbbbbbbbbbbb; LICENSE changed, NOTICE added)")
    removed = result(model=hub(sha=SHA_B, license_text=None))
    (finding,) = check_lock(lock, report(removed)).by_model["acme/model"]
    assert "LICENSE removed" in finding.message
    card_only = result(model=hub(card={"license": "apache-2.0", "license_link": "https://example.com/terms"}))
    (finding,) = check_lock(lock, report(card_only)).by_model["acme/model"]
    assert "card license fields or license tags changed" in finding.message


def test_unreadable_locked_file_is_not_called_drift() -> None:
    lock = locked(result())
    gated = hub(license_text=None, file_problems=(FileProblem("LICENSE", "gated", "needs a token with access"),))
    now = result(model=gated, res=resolution(None, ()), status=Status.NEEDS_REVIEW)
    check = check_lock(lock, report(now))
    (finding,) = check.by_model["acme/model"]
    assert finding.rule == RULE_UNREADABLE
    assert finding.severity is Severity.ERROR
    assert "LICENSE (gated: needs a token with access)" in finding.message
    assert check.failing, "what cannot be confirmed is not approved"


def test_changed_inherited_license_is_drift() -> None:
    lock = locked(result(res=resolution(inherited_keys=("llama2",))))
    changed = result(res=resolution(inherited_keys=("llama3",)))
    (finding,) = check_lock(lock, report(changed)).by_model["acme/model"]
    assert finding.rule == RULE_DRIFT
    assert "llama2 -> llama3" in finding.message


def test_unresolved_license_that_stays_unresolved_is_not_drift() -> None:
    unknown = result(res=resolution(None, ()), status=Status.NEEDS_REVIEW)
    assert check_lock(locked(unknown), report(unknown)).by_model == {}


def test_model_not_in_lock() -> None:
    check = check_lock(locked(result()), report(result(), result("acme/new")))
    (finding,) = check.by_model["acme/new"]
    assert finding.rule == RULE_NOT_IN_LOCK
    assert finding.severity is Severity.ERROR
    assert "acme/model" not in check.by_model


def test_pinned_revision_is_matched_by_key() -> None:
    lock = locked(result("acme/model", revision="v1"))
    check = check_lock(lock, report(result("acme/model")))
    assert [f.rule for f in check.by_model["acme/model"]] == [RULE_NOT_IN_LOCK]
    assert [f.rule for f in check.stale] == [RULE_STALE]


def test_gone_locked_commit() -> None:
    lock = locked(result())
    moved = result(model=hub(sha=SHA_B))
    check = check_lock(lock, report(moved), gone={"acme/model"})
    assert [f.rule for f in check.by_model["acme/model"]] == [RULE_REVISION_GONE, RULE_MOVED]
    assert check.failing


def test_pinned_revision_not_found_is_locked_revision_gone() -> None:
    lock = locked(result(revision=SHA_A))
    error = FetchError("acme/model", SHA_A, FetchErrorKind.REVISION_NOT_FOUND, "Invalid rev id")
    check = check_lock(lock, report(result(revision=SHA_A, error=error)))
    assert [f.rule for f in check.by_model[f"acme/model@{SHA_A}"]] == [RULE_REVISION_GONE]


def test_unused_lock_entries_are_info() -> None:
    check = check_lock(locked(result(), result("acme/old")), report(result()))
    assert [(f.rule, f.severity, f.subject) for f in check.stale] == [(RULE_STALE, Severity.INFO, "acme/old")]
    assert not check.failing


def test_policy_verdict_change_is_noted() -> None:
    lock = locked(result())
    now_blocked = result(status=Status.BLOCKED)
    (finding,) = check_lock(lock, report(now_blocked)).by_model["acme/model"]
    assert finding.rule == RULE_VERDICT_CHANGED
    assert finding.severity is Severity.INFO


def test_drift_raises_an_approved_verdict_to_needs_review() -> None:
    lock = locked(result(), result("acme/bad", status=Status.BLOCKED))
    drifted = report(
        result(model=hub(sha=SHA_B), res=resolution("MIT", ("mit",))),
        result("acme/bad", status=Status.BLOCKED, model=hub("acme/bad", sha=SHA_B), res=resolution("MIT", ("mit",))),
    )
    after = apply_lock_check(drifted, check_lock(lock, drifted))
    first, second = after.results
    assert first.verdict.status is Status.NEEDS_REVIEW
    assert first.verdict.reason.startswith("license changed since locked: Apache-2.0 -> MIT")
    assert first.verdict.findings[-1].rule == RULE_DRIFT
    assert second.verdict.status is Status.BLOCKED, "the lock never lowers a verdict"
    assert second.verdict.reason == "blocked for commercial-product", "the policy's reason stands"
    assert second.verdict.findings[-1].rule == RULE_DRIFT


# ---------------------------------------------------------------- --diff


def _base_file(tmp_path: Path, models: list[dict[str, object]]) -> Path:
    path = tmp_path / "base.json"
    path.write_text(json.dumps({"schema_version": 1, "models": models}))
    return path


def test_diff_reports_new_removed_and_changed(tmp_path: Path) -> None:
    base = read_base_report(
        _base_file(
            tmp_path,
            [
                {
                    "id": "acme/model",
                    "requested_revision": "main",
                    "verdict": "approved",
                    "license": {"expression": "Apache-2.0"},
                },
                {
                    "id": "acme/gone",
                    "requested_revision": "main",
                    "verdict": "approved",
                    "license": {"expression": "MIT"},
                },
                {
                    "id": "acme/same",
                    "requested_revision": "v1",
                    "verdict": "approved",
                    "license": {"expression": "Apache-2.0"},
                },
            ],
        )
    )
    now = report(
        result("acme/model", status=Status.BLOCKED, res=resolution("CC-BY-NC-4.0", ("cc-by-nc-4.0",))),
        result("acme/same", revision="v1"),
        result("acme/new", status=Status.NEEDS_REVIEW),
    )
    diff = diff_reports(base, now)
    assert [(c.key, c.after) for c in diff.added] == [("acme/new", "needs-review")]
    assert [(c.key, c.before) for c in diff.removed] == [("acme/gone", "approved")]
    assert [(c.key, c.before, c.after) for c in diff.verdicts] == [("acme/model", "approved", "blocked")]
    assert [(c.key, c.before, c.after) for c in diff.licenses] == [("acme/model", "Apache-2.0", "CC-BY-NC-4.0")]
    text = render_diff(diff, "base.json")
    assert "+ acme/new: new, needs-review" in text
    assert "- acme/gone: removed (was approved)" in text
    assert "~ acme/model: verdict approved -> blocked" in text
    assert "~ acme/model: license Apache-2.0 -> CC-BY-NC-4.0" in text
    assert "acme/same" not in text


def test_diff_of_identical_runs_is_empty(tmp_path: Path) -> None:
    base = read_base_report(
        _base_file(
            tmp_path,
            [
                {
                    "id": "acme/model",
                    "requested_revision": "main",
                    "verdict": "approved",
                    "license": {"expression": "Apache-2.0"},
                }
            ],
        )
    )
    diff = diff_reports(base, report(result()))
    assert diff.empty
    assert render_diff(diff, "b.json") == "Changes since b.json: none\n"


@pytest.mark.parametrize("content", ["not json", "[]", '{"models": "x"}', '{"models": [{"verdict": "approved"}]}'])
def test_bad_diff_base_is_an_input_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "base.json"
    path.write_text(content)
    with pytest.raises(InputFileError):
        read_base_report(path)
    with pytest.raises(InputFileError):
        read_base_report(tmp_path / "missing.json")
