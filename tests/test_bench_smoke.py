"""The scan benchmark still runs end to end (tiny: 20 models, no latency), and its corpus keeps the
proportions its targets rely on. Figures are not checked here, only that they are produced and sane."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.corpus import generate
from benchmarks.scan_bench import PHASES, TEXTS_DIR, Run, evaluate_targets, parse_args, pinned_ids, verdict_changes

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_corpus_has_exact_shares_and_bases_inside(tmp_path: Path) -> None:
    corpus = generate(tmp_path, 200, TEXTS_DIR)
    assert len(set(corpus.ids)) == 200
    assert corpus.with_license_file == 60
    assert corpus.fine_tunes == 40
    assert len(corpus.bases) == 20
    assert set(corpus.bases) <= set(corpus.ids)
    licenses = list(tmp_path.glob("*/*/LICENSE"))
    assert len(licenses) == 60
    # Real texts, not placeholders: every LICENSE is one of the reference texts.
    references = {p.read_text(encoding="utf-8") for p in TEXTS_DIR.glob("*.txt")}
    assert all(p.read_text(encoding="utf-8") in references for p in licenses)
    # Deterministic: the same seed gives the same corpus.
    again = generate(tmp_path / "again", 200, TEXTS_DIR)
    assert again.ids == corpus.ids


def test_targets_pass_and_fail_on_the_numbers() -> None:
    args = parse_args(["--models", "1000", "--latency-ms", "50", "--jobs", "8"])
    runs = {
        "naive": Run("naive", 200, 60.0, 720, 40.0, 0),
        "cold-naive-set": Run("cold-naive-set", 200, 2.0, 270, 90.0, 0),
        "cold": Run("cold", 1000, 9.0, 1600, 120.0, 0, latency_ms=50.0, cpu_s=2.0),
        "warm-pinned": Run("warm-pinned", 1000, 1.5, 0, 110.0, 0),
        "big-warm": Run("big-warm", 10_000, 20.0, 0, 310.0, 0),
    }
    statuses = [t.status for t in evaluate_targets(runs, args)]
    # 30x faster; 9 s vs a floor of 10 s; exactly 1.6 requests per model; pinned: 0 requests in 1.5 s;
    # 2.0 ms CPU per model; 310 MB
    assert statuses == ["PASS", "PASS", "PASS", "PASS", "PASS", "FAIL"]
    runs["cold"] = Run("cold", 1000, 9.0, 1601, 120.0, 0, latency_ms=50.0, cpu_s=2.1)
    failing = [t.name.split(",")[0] for t in evaluate_targets(runs, args) if t.status == "FAIL"]
    assert failing == ["requests per model", "CPU per model", "peak RSS for 10000 models"]


def test_phases_are_checked() -> None:
    assert parse_args(["--phases", "cold,offline", "--skip-big"]).phases == ("cold", "offline")
    assert parse_args(["--skip-big"]).phases == PHASES[:-1]
    for bad in ("warm", "cold,nope", ""):
        with pytest.raises(SystemExit):
            parse_args(["--phases", bad])


def test_pinned_ids_and_verdict_changes() -> None:
    cold = {"models": [{"id": "a/b", "sha": "1" * 40, "verdict": "approved"}, {"id": "c/d", "sha": None}]}
    warm = {"models": [{"id": "a/b", "verdict": "needs-review"}]}
    assert pinned_ids(cold) == ["a/b@" + "1" * 40]
    assert verdict_changes(cold, warm) == 1


def test_benchmark_script_runs_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    proc = subprocess.run(
        [sys.executable, str(REPO_ROOT / "benchmarks" / "scan_bench.py"), "--models", "20", "--latency-ms", "0",
         "--naive", "5", "--phases", "naive,cold,warm-pinned,quota-anon,author,author-warm", "--quota-window", "2",
         "--json", str(out),
         "--workdir", str(tmp_path / "work")],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "requests per model" in proc.stdout
    data = json.loads(out.read_text(encoding="utf-8"))
    runs = {r["name"]: r for r in data["runs"]}
    # The other phases run the same code (Bench.scan) with other lists and flags; each run costs an auditor start.
    assert list(runs) == [
        "naive", "cold", "warm-pinned", "cold-anon", "quota-anon", "author", "author-list", "author-warm",
        "author-offline",
    ]  # fmt: skip
    assert runs["author"]["by_bucket"].get("api", 0) == 1  # one page of the listing, no model_info
    assert runs["author-warm"]["requests"] == runs["author-offline"]["requests"] == 0  # the cached listing
    assert runs["quota-anon"]["window_s"] == 2
    assert all(r["errors"] == 0 and r["peak_rss_mb"] > 0 for r in runs.values())
    assert runs["cold"]["models"] == 20
    assert runs["cold"]["requests"] >= 20  # the stand-in counted them: one model_info per repo at least
    assert runs["warm-pinned"]["requests"] == 0
    assert data["corpus"]["with_license_file"] == 6
    assert all("0 verdicts differ" in line for line in data["consistency"] if line.startswith("consistency"))
    assert {t["status"] for t in data["targets"]} <= {"PASS", "FAIL", "SKIP", "INFO"}
