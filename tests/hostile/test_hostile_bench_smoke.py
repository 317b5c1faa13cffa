"""The hostile-file benchmark still runs (two cheap cases) and judges its own figures correctly."""

from __future__ import annotations

from benchmarks.hostile_bench import CASES, Result, main, report


def test_bench_runs_and_passes_cheap_cases() -> None:
    assert main(["--cases", "-r /dev/zero,--diff /dev/zero", "--repeat", "1"]) == 0


def test_bench_fails_on_time_memory_exit_and_extra_lines() -> None:
    good = Result("x", 2, 0.5, 0.1, 40.0, 1, "auditor: error: x", True, 2)
    assert good.ok
    assert not Result("x", 2, 2.5, 0.1, 40.0, 1, "", True, 2).ok
    assert not Result("x", 2, 0.5, 0.1, 250.0, 1, "", True, 2).ok
    assert not Result("x", 70, 0.5, 0.1, 40.0, 1, "", True, 2).ok
    assert not Result("x", 2, 0.5, 0.1, 40.0, 3, "", True, 2).ok
    assert "FAIL  x" in report([Result("x", 2, 2.5, 0.1, 40.0, 1, "", True, 2)])
    assert len({case.name for case in CASES}) == len(CASES)
