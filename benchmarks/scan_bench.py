"""Scan benchmark: how fast, how frugal with the Hub and how lean `auditor scan` is (issue 7, item 7).

Generates N synthetic repos (see benchmarks/corpus.py), serves them with the Hub stand-in in its own
process with an added latency per request, and measures in one run:

  naive     the loop a user would write with huggingface_hub, sequential (benchmarks/naive_loop.py)
  cold      `auditor scan` with an empty --cache-dir, on the naive loop's repos and on all N
  warm      all N again with that cache; then all N pinned to the shas of the cold report
  offline   all N with --offline
  startup   1 pinned model from the cache: the fixed cost inside every figure above
  big       10,000 models, latency 0, empty cache (add --big-warm for a warm run too), for peak RSS

Each auditor run is a subprocess (its own start-up counts, as for a user) whose peak RSS is read with
os.wait4. Requests are counted by the stand-in (GET /_standin/stats), not by auditor. Prints a table
and one PASS/FAIL line per target; `--json FILE` saves every figure.

    python benchmarks/scan_bench.py [--models 1000] [--latency-ms 50] [--jobs 8] [--naive 200]
                                    [--big 10000 [--big-warm] | --skip-big] [--phases LIST]
                                    [--json FILE] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

REPO_ROOT = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):  # run as a script: make `benchmarks` and `tests` importable
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks.corpus import Corpus, generate, write_list  # noqa: E402

TEXTS_DIR = REPO_ROOT / "rules" / "texts"
RUN_TIMEOUT = 900.0
# A token the stand-in accepts for gated repos: the benchmark audits like a company with access.
ACCESS_TOKEN = "hf_access_token"  # the stand-in's public test token, not a secret

# Targets (issue 7): cold >= 20x faster than the naive loop; cold wall <= 1.5x the latency floor
# (requests x latency / jobs); <= 1.6 requests per model cold (see below); a warm pinned run makes no request
# and 1000 models take < 2 s; peak RSS < 300 MB for 10,000 models.
TARGET_SPEEDUP = 20.0
TARGET_FLOOR_RATIO = 1.5
# Issue 7 set 1.3 (one model_info + 0.3 LICENSE files of one /raw/ GET). Issue 15 moved files to
# /resolve/ (the Resolvers bucket, 30x the quota of /raw/'s Pages bucket), which answers with a 307 to
# the file: two requests per file, so the same evidence now costs 1 + 2 x 0.3 = 1.6.
TARGET_REQUESTS_PER_MODEL = 1.6
TARGET_WARM_SECONDS_PER_1000 = 2.0
TARGET_RSS_MB = 300.0
# Targets (issue 15): under anonymous quotas a cold 1,000 (+20 bases) run takes <= 1.5 windows with 0
# errors and the verdicts of an unthrottled run; --author on a 1,000-model org costs <= 0.05 API-bucket
# requests per model and fits in 1 window; <= 2 ms of CPU per model in the cold run, start-up included.
TARGET_QUOTA_WINDOWS = 1.5
TARGET_AUTHOR_API_PER_MODEL = 0.05
TARGET_AUTHOR_WINDOWS = 1.0
TARGET_CPU_MS_PER_MODEL = 2.0
AUTHOR_ORG = "bench-org1000"

PHASES = (
    "naive", "cold-naive-set", "cold", "warm", "warm-pinned", "offline", "startup",
    "quota-anon", "quota-free", "evidence", "author", "author-warm", "big",
)  # fmt: skip
# They read the cache (and the shas) the cold run leaves.
_NEED_COLD = ("warm", "warm-pinned", "offline", "startup")


@dataclass
class Run:
    """One measured phase."""

    name: str
    models: int
    wall_s: float
    requests: int
    peak_rss_mb: float | None
    exit_code: int
    latency_ms: float = 0.0  # added by the stand-in to each request during this run
    by_route: dict[str, int] = field(default_factory=dict)
    verdicts: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    auditor_stats: dict[str, int] = field(default_factory=dict)
    note: str = ""
    load_before: float = 0.0  # 1-minute load average when the run started: the machine may be shared
    cpu_s: float = 0.0  # CPU time (user + system) of the measured process
    hub_cpu_s: float = 0.0  # CPU time the stand-in spent serving it (another process, same cores)
    by_bucket: dict[str, int] = field(default_factory=dict)  # requests per Hub rate-limit bucket
    refused_429: int = 0  # answers 429 (quota or fault)
    window_s: float = 0.0  # the stand-in's time-scaled quota window during this run; 0: no quotas

    @property
    def windows(self) -> float:
        return self.wall_s / self.window_s if self.window_s else 0.0

    @property
    def requests_per_model(self) -> float:
        return self.requests / self.models if self.models else 0.0


# ---------------------------------------------------------------- the stand-in process


class StandIn:
    """`python -m tests.hubstandin` in its own process, so its CPU and memory are not auditor's."""

    def __init__(self, root: Path, latency_ms: float, log: IO[str]) -> None:
        env = dict(os.environ, PYTHONPATH=_pythonpath())
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "tests.hubstandin", "--root", str(root), "--latency-ms", str(latency_ms),
             "--no-anonymous-warning"],
            cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=log, text=True,
        )  # fmt: skip
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline().strip()
        if not line.startswith("http"):
            self.stop()
            raise RuntimeError(f"the Hub stand-in did not start (got {line!r}); see its log")
        self.url = line

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.url}/_standin/stats", timeout=30) as resp:
            data: dict[str, Any] = json.loads(resp.read())
        return data

    def configure(self, **values: Any) -> None:
        body = json.dumps(values).encode()
        req = urllib.request.Request(
            f"{self.url}/_standin/config", data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            resp.read()

    def cpu_seconds(self) -> float:
        """CPU time the stand-in process has used so far (Linux /proc), 0.0 where unknown."""
        try:
            fields = Path(f"/proc/{self._proc.pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime

    def stop(self) -> None:
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()


def _pythonpath() -> str:
    """The repo first, so the working tree's auditor and tests.hubstandin are the ones measured."""
    rest = os.environ.get("PYTHONPATH")
    return str(REPO_ROOT) + (os.pathsep + rest if rest else "")


# ---------------------------------------------------------------- measuring one subprocess


@dataclass(frozen=True)
class Measured:
    wall_s: float
    exit_code: int
    peak_rss_mb: float
    cpu_s: float  # user + system time of the process: near wall x cores means CPU-bound


# Run by a small separate interpreter that forks and execs the measured command and reports that child's
# rusage. Why not wait4 on our own child: Linux folds the old address space's peak into ru_maxrss at
# exec, and a child spawned from this process (vfork or fork) starts in ours, which holds every earlier
# report: the peak RSS of a small run read as this benchmark's size (90 MB for a 44 MB start-up).
_LAUNCHER = """
import json, os, sys, time
out, argv = sys.argv[1], sys.argv[2:]
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)
_pid, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - started
with open(out, "w") as f:
    json.dump([wall, os.waitstatus_to_exitcode(status), usage.ru_maxrss, usage.ru_utime + usage.ru_stime], f)
"""


def measure(cmd: Sequence[str], env: Mapping[str, str], stdout: Path, stderr: Path) -> Measured:
    """Run `cmd`; measure its wall time, and the peak RSS and CPU time of that process alone.

    A launcher (`_LAUNCHER`) forks it and reads its rusage with os.wait4: the rusage of that one
    child, unlike RUSAGE_CHILDREN (the maximum over every child ever waited for), and of a process
    whose address space before exec was the launcher's few MB, not this benchmark's.
    """
    result = stdout.with_suffix(".rusage.json")
    result.unlink(missing_ok=True)
    with stdout.open("wb") as out, stderr.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-S", "-c", _LAUNCHER, str(result), *cmd],
            env=dict(env), stdout=out, stderr=err, cwd=stdout.parent, start_new_session=True,
        )  # fmt: skip
        try:
            proc.wait(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the launcher and the measured process
            proc.wait()
    try:
        wall, code, maxrss_kib, cpu = json.loads(result.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # killed, or the launcher failed: no figures, a failed run
        return Measured(0.0, proc.returncode or -1, 0.0, 0.0)
    # Linux: ru_maxrss is in KiB
    return Measured(float(wall), int(code), float(maxrss_kib) / 1024.0, float(cpu))


def _delta(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[int, dict[str, int]]:
    total = int(after["total"]) - int(before["total"])
    routes = Counter(after.get("by_route", {}))
    routes.subtract(before.get("by_route", {}))
    return total, {k: v for k, v in sorted(routes.items()) if v}


class Bench:
    def __init__(self, args: argparse.Namespace, work: Path, hub: StandIn) -> None:
        self.args = args
        self.work = work
        self.hub = hub
        self.runs: list[Run] = []
        self.latency_ms: float = args.latency_ms
        self.window_s: float = 0.0
        self.reports: dict[str, dict[str, Any]] = {}
        self.base_env = _clean_env(work / "hf-home-auditor")
        self.base_env["HF_TOKEN"] = ACCESS_TOKEN
        self.auditor = shlex.split(args.auditor) if args.auditor else [sys.executable, "-m", "auditor"]

    def naive(self, name: str, model_list: Path, count: int) -> Run:
        env = _clean_env(self.work / f"hf-home-{name}")  # a fresh HF_HOME: nothing cached
        env["HF_ENDPOINT"] = self.hub.url
        env["HF_TOKEN"] = ACCESS_TOKEN
        cmd = [sys.executable, str(REPO_ROOT / "benchmarks" / "naive_loop.py"), str(model_list)]
        run = self._run(name, count, cmd, env)
        try:
            seen = json.loads((self.work / f"{name}.out").read_text(encoding="utf-8").strip().splitlines()[-1])
            run.errors = int(seen["errors"])
            run.note = f"{seen['license_files']} LICENSE files read"
        except (OSError, ValueError, KeyError, IndexError):
            run.note = "no summary printed"
        return run

    def scan(
        self,
        name: str,
        model_list: Path | None,
        count: int,
        cache: Path,
        *extra: str,
        note: str = "",
        anonymous: bool = False,
    ) -> Run:
        report = self.work / f"{name}.json"
        cmd = [
            *self.auditor, "scan", *(["-r", str(model_list)] if model_list is not None else []),
            "--endpoint", self.hub.url, "--cache-dir", str(cache), "--jobs", str(self.args.jobs),
            "--format", "json", "-o", str(report), "--exit-zero", "--no-progress", "--stats", *extra,
        ]  # fmt: skip
        env = self.base_env
        if anonymous:
            env = {k: v for k, v in env.items() if k != "HF_TOKEN"}
        run = self._run(name, count, cmd, env)
        run.note = note
        run.auditor_stats = _parse_stats((self.work / f"{name}.err").read_text(encoding="utf-8", errors="replace"))
        try:
            data = json.loads(report.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            run.note = (run.note + "; " if run.note else "") + "no JSON report"
            return run
        self.reports[name] = data
        models = data.get("models", [])
        run.verdicts = dict(Counter(m.get("verdict", "?") for m in models))
        run.errors = run.verdicts.get("error", 0)
        if len(models) != count:
            run.note = (run.note + "; " if run.note else "") + f"report has {len(models)} models"
        return run

    def _run(self, name: str, count: int, cmd: Sequence[str], env: Mapping[str, str]) -> Run:
        before = self.hub.stats()
        hub_cpu = self.hub.cpu_seconds()
        load = os.getloadavg()[0]
        m = measure(cmd, env, self.work / f"{name}.out", self.work / f"{name}.err")
        after = self.hub.stats()
        total, routes = _delta(before, after)
        buckets = Counter(after.get("by_bucket", {}))
        buckets.subtract(before.get("by_bucket", {}))
        refused = int(after.get("by_status", {}).get("429", 0)) - int(before.get("by_status", {}).get("429", 0))
        run = Run(name=name, models=count, wall_s=m.wall_s, requests=total, peak_rss_mb=m.peak_rss_mb,
                  exit_code=m.exit_code, latency_ms=self.latency_ms, by_route=routes, load_before=load,
                  cpu_s=m.cpu_s, hub_cpu_s=self.hub.cpu_seconds() - hub_cpu,
                  by_bucket={k: v for k, v in sorted(buckets.items()) if v}, refused_429=refused,
                  window_s=self.window_s)  # fmt: skip
        self.runs.append(run)
        _say(f"  {name:<16} {count:>6} models  {m.wall_s:8.2f} s  {total:>6} requests  {m.peak_rss_mb:7.1f} MB"
             f"  cpu {m.cpu_s:6.2f} s  exit {m.exit_code}  (load {load:.2f})"
             f"  {run.by_bucket}, {refused} 429s")  # fmt: skip
        return run

    def quotas(self, window_s: float) -> None:
        """Enforce the Hub's buckets over time-scaled windows (0: off); each call starts fresh windows."""
        self.hub.configure(quota_window_s=window_s)
        self.window_s = window_s


def _clean_env(hf_home: Path) -> dict[str, str]:
    """No user token, cache or offline switch leaks in; telemetry and progress bars off."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE_"))}
    # An installed auditor runs from the bytecode pip compiled at install time; with bytecode writing
    # switched off (as in some sandboxes) every run would recompile auditor's own modules instead.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        HF_HOME=str(hf_home),
        HF_HUB_DISABLE_TELEMETRY="1",
        HF_HUB_DISABLE_PROGRESS_BARS="1",
        PYTHONPATH=_pythonpath(),
        NO_COLOR="1",
    )
    return env


def _parse_stats(stderr: str) -> dict[str, int]:
    """auditor's own counters (`--stats`), to cross-check the stand-in's count."""
    for line in stderr.splitlines():
        if line.startswith("stats: "):
            out: dict[str, int] = {}
            for part in line[len("stats: ") :].split(", "):
                key, _, value = part.partition("=")
                if value.strip().isdigit():
                    out[key.strip()] = int(value)
            return out
    return {}


def pinned_ids(report: Mapping[str, Any]) -> list[str]:
    """`org/name@sha` for every model the cold report resolved to a commit."""
    return [f"{m['id']}@{m['sha']}" for m in report.get("models", []) if m.get("sha")]


def verdict_changes(a: Mapping[str, Any], b: Mapping[str, Any]) -> int:
    """Models whose verdict differs between two reports: the same evidence must give the same answer."""
    first = {m["id"]: m.get("verdict") for m in a.get("models", [])}
    return sum(1 for m in b.get("models", []) if m["id"] in first and first[m["id"]] != m.get("verdict"))


# ---------------------------------------------------------------- figures and verdicts


@dataclass
class Target:
    name: str
    measured: str
    goal: str
    status: str  # PASS | FAIL | SKIP | INFO

    def line(self) -> str:
        return f"{self.status:<4}  {self.name}: {self.measured} (target {self.goal})"


def quota_targets(runs: Mapping[str, Run], reports: Mapping[str, Mapping[str, Any]]) -> list[Target]:
    out: list[Target] = []
    quota, free = runs.get("quota-anon"), runs.get("quota-free")
    if quota is not None:
        differ = verdict_changes(reports.get("cold-anon", {}), reports.get("quota-anon", {}))
        ok = quota.windows <= TARGET_QUOTA_WINDOWS and quota.errors == 0 and differ == 0 and "cold-anon" in reports
        out.append(
            Target(
                f"cold {quota.models} under anonymous quotas",
                f"{quota.windows:.2f} windows ({quota.wall_s:.1f} s / {quota.window_s:g} s), {quota.errors} errors, "
                f"{differ} verdicts differ from unthrottled, {quota.refused_429} 429s, buckets {quota.by_bucket}",
                f"<= {TARGET_QUOTA_WINDOWS:g} windows, 0 errors, 0 differ",
                _status(ok),
            )
        )
    lean = runs.get("quota-card-first")
    if lean is not None:
        lost = verdict_changes(reports.get("cold-anon", {}), reports.get("card-first", {}))
        out.append(
            Target(
                f"cold {lean.models} under anonymous quotas with --card-first",
                f"{lean.windows:.2f} windows, {lean.errors} errors, {lean.refused_429} 429s, buckets {lean.by_bucket}; "
                f"{lost} verdicts differ from full evidence (the evidence it skips)",
                f"<= {TARGET_QUOTA_WINDOWS:g} windows (opt-in)",
                "INFO",
            )
        )
    if free is not None:
        out.append(
            Target(
                f"cold {free.models} under free-account quotas (token)",
                f"{free.windows:.2f} windows, {free.errors} errors, {free.refused_429} 429s, buckets {free.by_bucket}",
                "reported (no target)",
                "INFO",
            )
        )
    author = runs.get("author")
    if author is not None:
        api = author.by_bucket.get("api", 0)
        per = api / author.models if author.models else 0.0
        differ = verdict_changes(reports.get("author-list", {}), reports.get("author", {}))
        ok = per <= TARGET_AUTHOR_API_PER_MODEL and author.windows <= TARGET_AUTHOR_WINDOWS and differ == 0
        out.append(
            Target(
                f"--author on an org of {author.models}",
                f"{per:.4f} API requests/model ({api}), {author.windows:.2f} windows, {differ} verdicts differ "
                "from the same list",
                f"<= {TARGET_AUTHOR_API_PER_MODEL:g}/model, <= {TARGET_AUTHOR_WINDOWS:g} window, 0 differ",
                _status(ok and "author-list" in reports and author.errors == 0),
            )
        )
    warm, offline = runs.get("author-warm"), runs.get("author-offline")
    if warm is not None and offline is not None:
        cold_org = reports.get("author", {})
        differ = sum(verdict_changes(cold_org, reports.get(r, {})) for r in ("author-warm", "author-offline"))
        ok = bool(cold_org) and sum((warm.requests, offline.requests, warm.errors, offline.errors, differ)) == 0
        out.append(
            Target(
                f"--author rerun from the cache, org of {warm.models}",
                f"warm {warm.requests} requests {warm.wall_s:.2f} s, offline {offline.requests} requests "
                f"{offline.wall_s:.2f} s, {differ} verdicts differ from the cold --author run",
                "0 requests, 0 differ",
                _status(ok),
            )
        )
    cold = runs.get("cold")
    if cold is not None and cold.models >= 100:
        ms = cold.cpu_s * 1000.0 / cold.models
        out.append(
            Target(
                f"CPU per model, cold {cold.models} (start-up included)",
                f"{ms:.2f} ms ({cold.cpu_s:.2f} s)",
                f"<= {TARGET_CPU_MS_PER_MODEL:g} ms",
                _status(ms <= TARGET_CPU_MS_PER_MODEL),
            )
        )
    return out


def evaluate_targets(
    runs: Mapping[str, Run], args: argparse.Namespace, reports: Mapping[str, Mapping[str, Any]] | None = None
) -> list[Target]:
    out: list[Target] = []
    naive, cold_small = runs.get("naive"), runs.get("cold-naive-set")
    if naive and cold_small and cold_small.wall_s > 0:
        speedup = naive.wall_s / cold_small.wall_s
        out.append(
            Target(
                f"cold vs naive loop on the same {naive.models}",
                f"{speedup:.1f}x ({naive.wall_s:.1f} s vs {cold_small.wall_s:.2f} s)",
                f">= {TARGET_SPEEDUP:g}x",
                _status(speedup >= TARGET_SPEEDUP),
            )
        )
    cold = runs.get("cold")
    if cold:
        floor = cold.requests * cold.latency_ms / 1000.0 / args.jobs
        if floor > 0:
            ratio = cold.wall_s / floor
            measured = f"{ratio:.2f}x ({cold.wall_s:.2f} s vs floor {floor:.2f} s)"
            out.append(
                Target(
                    f"cold {cold.models} within the latency floor",
                    measured,
                    f"<= {TARGET_FLOOR_RATIO:g}x",
                    _status(ratio <= TARGET_FLOOR_RATIO),
                )
            )
        else:
            out.append(Target("cold within the latency floor", "no floor (latency 0)", "n/a", "SKIP"))
        rpm = cold.requests_per_model
        out.append(
            Target(
                f"requests per model, cold {cold.models}",
                f"{rpm:.3f} ({cold.requests} requests)",
                f"<= {TARGET_REQUESTS_PER_MODEL:g}",
                _status(rpm <= TARGET_REQUESTS_PER_MODEL + 1e-9 and cold.errors == 0),
            )
        )
    pinned = runs.get("warm-pinned")
    if pinned:
        limit = TARGET_WARM_SECONDS_PER_1000 * max(1.0, pinned.models / 1000.0)
        ok = pinned.requests == 0 and pinned.wall_s < limit and pinned.errors == 0
        out.append(
            Target(
                f"warm pinned {pinned.models}: no request, fast",
                f"{pinned.requests} requests, {pinned.wall_s:.2f} s",
                f"0 requests, < {limit:g} s",
                _status(ok),
            )
        )
    out.extend(quota_targets(runs, reports or {}))
    big = [r for r in runs.values() if r.name.startswith("big-") and r.peak_rss_mb is not None]
    if big:
        worst = max(big, key=lambda r: r.peak_rss_mb or 0.0)
        out.append(
            Target(
                f"peak RSS for {worst.models} models",
                f"{worst.peak_rss_mb:.0f} MB (worst: {worst.name})",
                f"< {TARGET_RSS_MB:g} MB",
                _status((worst.peak_rss_mb or 0.0) < TARGET_RSS_MB and worst.errors == 0),
            )
        )
    else:
        out.append(Target("peak RSS for 10,000 models", "not measured (--skip-big)", f"< {TARGET_RSS_MB:g} MB", "SKIP"))
    return out


def _status(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def table(runs: Sequence[Run], jobs: int) -> str:
    head = ("phase", "models", "wall s", "requests", "req/model", "floor s", "peak RSS MB", "CPU s", "hub CPU s",
            "models/s", "errors")  # fmt: skip
    rows = [head]
    for r in runs:
        floor = r.requests * r.latency_ms / 1000.0 / (1 if r.name == "naive" else jobs)
        rows.append(
            (
                r.name,
                str(r.models),
                f"{r.wall_s:.2f}",
                str(r.requests),
                f"{r.requests_per_model:.3f}",
                f"{floor:.2f}",
                f"{r.peak_rss_mb:.0f}" if r.peak_rss_mb is not None else "-",
                f"{r.cpu_s:.2f}",
                f"{r.hub_cpu_s:.2f}",
                f"{r.models / r.wall_s:.0f}" if r.wall_s > 0 else "-",
                str(r.errors),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = []
    for n, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join(cells))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def cpu_probe() -> float:
    """CPU seconds for a fixed pure-Python loop: virtual machines change speed from minute to minute,
    and this puts a number on it (about 0.6-1.0 s on the machine in README.md)."""
    started = time.process_time()
    sum(i * i for i in range(10_000_000))
    return round(time.process_time() - started, 3)


def machine() -> dict[str, Any]:
    import huggingface_hub

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu_probe_s": cpu_probe(),
        "nproc": usable,
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "huggingface_hub": huggingface_hub.__version__,
    }


# ---------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="scan_bench.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--models", type=int, default=1000, help="N synthetic repos (default 1000)")
    p.add_argument("--latency-ms", type=float, default=50.0, help="latency added to every request (default 50)")
    p.add_argument("--jobs", type=int, default=8, help="auditor --jobs (default 8)")
    p.add_argument("--naive", type=int, default=200, help="repos for the naive loop and the cold comparison")
    big = p.add_mutually_exclusive_group()
    big.add_argument("--big", type=int, default=10_000, help="models in the peak-RSS run (default 10000)")
    big.add_argument("--skip-big", action="store_true", help="skip the peak-RSS run")
    p.add_argument("--big-warm", action="store_true", help="also run the 10,000 models again from the cache")
    p.add_argument(
        "--phases",
        default=",".join(PHASES),
        help=f"comma-separated subset of {','.join(PHASES)} (default: all; the warm ones and startup need cold)",
    )
    p.add_argument(
        "--auditor",
        metavar="CMD",
        help="command that runs auditor (default: this Python -m auditor); to compare a candidate fix (A/B)",
    )
    p.add_argument(
        "--quota-window",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="the stand-in's quota window in the quota and author phases: the Hub's 300 s, time-scaled (default 30)",
    )
    p.add_argument("--json", type=Path, help="also save every figure to FILE")
    p.add_argument("--workdir", type=Path, help="keep repos, lists, reports and logs in DIR (default: a temp dir)")
    args = p.parse_args(argv)
    if args.models < 1 or args.naive < 1 or args.jobs < 1 or args.latency_ms < 0 or args.big < 1:
        p.error("--models, --naive, --jobs and --big must be positive, --latency-ms zero or more")
    args.naive = min(args.naive, args.models)
    phases = [x.strip() for x in args.phases.split(",") if x.strip()]
    unknown = [x for x in phases if x not in PHASES]
    if unknown or not phases:
        p.error(f"--phases: unknown {', '.join(unknown) or 'empty list'}; choose from {', '.join(PHASES)}")
    if any(x in _NEED_COLD for x in phases) and "cold" not in phases:
        p.error(f"--phases: {', '.join(_NEED_COLD)} need the cold phase")
    args.phases = tuple(x for x in PHASES if x in phases and not (x == "big" and args.skip_big))
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
        return run_all(args, args.workdir.resolve())
    with tempfile.TemporaryDirectory(prefix="scan-bench-") as tmp:
        return run_all(args, Path(tmp))


def run_all(args: argparse.Namespace, work: Path) -> int:
    started = time.perf_counter()
    load_start = os.getloadavg()[0]
    root = work / "hub"
    if root.exists():
        shutil.rmtree(root)
    say = _say
    say(f"generating {args.models} repos in {root}")
    corpus = generate(root, args.models, TEXTS_DIR)
    big: Corpus | None = None
    if "big" in args.phases:
        say(f"generating {args.big} repos for the peak-RSS run")
        big = generate(root, args.big, TEXTS_DIR, seed=7, prefix="big-")
    org: Corpus | None = None
    if "author" in args.phases or "author-warm" in args.phases:
        say(f"generating an organisation of {args.models} repos ({AUTHOR_ORG})")
        org = generate(root, args.models, TEXTS_DIR, seed=11, org=AUTHOR_ORG)
    naive_ids = list(corpus.ids[: args.naive])
    lists = {
        "naive": write_list(work / "models-naive.txt", naive_ids),
        "all": write_list(work / "models-all.txt", corpus.ids),
    }
    with (work / "standin.log").open("w", encoding="utf-8") as log:
        hub = StandIn(root, args.latency_ms, log)
        try:
            say(f"stand-in at {hub.url}, latency {args.latency_ms:g} ms; jobs {args.jobs}")
            bench = Bench(args, work, hub)
            run_phases(bench, corpus, big, lists, org)
        finally:
            hub.stop()
    runs = {r.name: r for r in bench.runs}
    targets = evaluate_targets(runs, args, bench.reports)
    checks = consistency(bench)
    info = machine()
    elapsed = time.perf_counter() - started

    print(f"auditor scan benchmark: {args.models} models, latency {args.latency_ms:g} ms/request, "
          f"--jobs {args.jobs}, naive set {args.naive}")  # fmt: skip
    if args.auditor:
        print(f"auditor command: {args.auditor}")
    print(f"machine: nproc {info['nproc']}, {info['cpu'] or 'unknown cpu'}, Python {info['python']}, "
          f"huggingface_hub {info['huggingface_hub']}; CPU probe {info['cpu_probe_s']:.2f} s; "
          f"load average {load_start:.2f} at start, "
          f"{os.getloadavg()[0]:.2f} at end")  # fmt: skip
    summary = corpus.summary()
    print(
        f"corpus: {summary['with_license_file']} with a LICENSE file ({summary['license_file_share']:.0%}), "
        f"{summary['fine_tunes']} fine-tunes/adapters of {summary['bases']} bases, {summary['gated']} gated"
    )
    print()
    print(table(bench.runs, args.jobs))
    print()
    print("floor s = requests x latency / jobs (naive: requests x latency, it is sequential); CPU s = user+system "
          "time of the measured process; hub CPU s = the stand-in's, on the same cores")  # fmt: skip
    for line in checks:
        print(line)
    print()
    for target in targets:
        print(target.line())
    print(f"\n(benchmark took {elapsed:.0f} s)")

    if args.json is not None:
        payload = {
            "command": "python benchmarks/scan_bench.py " + " ".join(sys.argv[1:]),
            "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "machine": info,
            "corpus": summary,
            "big_corpus": big.summary() if big is not None else None,
            "runs": [asdict(r) | {"requests_per_model": round(r.requests_per_model, 4)} for r in bench.runs],
            "consistency": checks,
            "targets": [asdict(t) for t in targets],
            "elapsed_s": round(elapsed, 1),
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    failed_runs = [r.name for r in bench.runs if r.exit_code != 0]
    if failed_runs:
        print(f"runs that exited non-zero: {', '.join(failed_runs)} (see their .err logs)", file=sys.stderr)
        return 1
    return 0


def run_phases(
    bench: Bench, corpus: Corpus, big: Corpus | None, lists: Mapping[str, Path], org: Corpus | None = None
) -> None:
    args, work = bench.args, bench.work
    n, n_naive = len(corpus.ids), min(args.naive, len(corpus.ids))
    phases = args.phases
    _say(f"measuring: {', '.join(phases)}")
    if "naive" in phases:
        bench.naive("naive", lists["naive"], n_naive)
    if "cold-naive-set" in phases:
        bench.scan("cold-naive-set", lists["naive"], n_naive, work / "cache-naive-set", note="empty cache")
    cache = work / "cache"
    if "cold" in phases:
        bench.scan("cold", lists["all"], n, cache, note="empty cache")
    if "warm" in phases:
        bench.scan("warm", lists["all"], n, cache, note="branch -> sha still fresh (--max-age)")
    if "warm-pinned" in phases:
        pinned = pinned_ids(bench.reports.get("cold", {}))
        pinned_list = write_list(work / "models-pinned.txt", pinned)
        bench.scan("warm-pinned", pinned_list, len(pinned), cache, note="org/name@sha from the cold report")
    if "offline" in phases:
        bench.scan("offline", lists["all"], n, cache, "--offline", note="--offline")
    pinned_one = pinned_ids(bench.reports.get("cold", {}))[:1]
    if "startup" in phases and pinned_one:
        # The fixed cost of one run (interpreter, imports, knowledge base, policy): part of every figure above.
        one = write_list(work / "models-one.txt", pinned_one)
        bench.scan("startup", one, 1, cache, note="1 pinned model from the cache: the fixed cost of a run")
    quota_phases(bench, corpus, lists, org)
    if big is None:
        return
    bench.hub.configure(latency_ms=0)  # keeps the 10,000-model run short; RSS does not depend on latency
    bench.latency_ms = 0.0
    big_list = write_list(work / "models-big.txt", big.ids)
    big_cache = work / "cache-big"
    bench.scan("big-cold", big_list, len(big.ids), big_cache, note="latency 0, empty cache")
    if args.big_warm:
        bench.scan("big-warm", big_list, len(big.ids), big_cache, note="latency 0, warm cache")
    bench.hub.configure(latency_ms=args.latency_ms)
    bench.latency_ms = args.latency_ms


def quota_phases(bench: Bench, corpus: Corpus, lists: Mapping[str, Path], org: Corpus | None) -> None:
    """Issue 15: the Hub's quotas over time-scaled windows, anonymous and with a (free-account) token,
    what card-first reading leaves out, and a whole organisation through the listing."""
    args, work, phases = bench.args, bench.work, bench.args.phases
    n, window = len(corpus.ids), args.quota_window
    if "quota-anon" in phases or "evidence" in phases:
        bench.scan("cold-anon", lists["all"], n, work / "cache-anon", anonymous=True, note="anonymous, no quotas")
    if "quota-anon" in phases:
        bench.quotas(window)
        bench.scan("quota-anon", lists["all"], n, work / "cache-quota-anon", anonymous=True,
                   note=f"anonymous quotas, {window:g} s windows")  # fmt: skip
        bench.quotas(0)
    if "quota-free" in phases:
        if "cold" not in bench.reports:
            bench.scan("cold", lists["all"], n, work / "cache", note="empty cache")
        bench.quotas(window)
        bench.scan("quota-free", lists["all"], n, work / "cache-quota-free",
                   note=f"free-account (token) quotas, {window:g} s windows")  # fmt: skip
        bench.quotas(0)
    if "evidence" in phases:  # what --card-first saves under anonymous quotas, and what it loses
        bench.scan("card-first", lists["all"], n, work / "cache-card-first", "--card-first", anonymous=True,
                   note="anonymous --card-first, no quotas")  # fmt: skip
        bench.quotas(window)
        bench.scan("quota-card-first", lists["all"], n, work / "cache-quota-card-first", "--card-first",
                   anonymous=True, note=f"anonymous --card-first, {window:g} s windows")  # fmt: skip
        bench.quotas(0)
    if org is None:
        return
    org_cache = work / "cache-author"
    if "author" in phases or "author-warm" in phases:  # author-warm reruns from the cache this one fills
        bench.quotas(window)
        bench.scan("author", None, len(org.ids), org_cache, "--author", AUTHOR_ORG, anonymous=True,
                   note=f"--author {AUTHOR_ORG}, anonymous quotas, {window:g} s windows")  # fmt: skip
        bench.quotas(0)
    if "author" in phases:
        org_list = write_list(work / "models-org.txt", org.ids)
        bench.scan("author-list", org_list, len(org.ids), work / "cache-author-list", anonymous=True,
                   note="the same models from a list, no quotas")  # fmt: skip
    if "author-warm" in phases:  # the listing and each listed model from the cache: no request at all
        bench.quotas(window)
        bench.scan("author-warm", None, len(org.ids), org_cache, "--author", AUTHOR_ORG, anonymous=True,
                   note="the same --author again within --max-age")  # fmt: skip
        bench.scan("author-offline", None, len(org.ids), org_cache, "--author", AUTHOR_ORG, "--offline",
                   anonymous=True, note="--author --offline: the cached listing")  # fmt: skip
        bench.quotas(0)


def consistency(bench: Bench) -> list[str]:
    """Same evidence, same verdicts: the warm, pinned and offline runs must agree with the cold one."""
    out: list[str] = []
    cold = bench.reports.get("cold")
    if cold is None and "cold" in bench.args.phases:
        out.append("consistency: no cold report to compare with")
    for name in ("warm", "warm-pinned", "offline") if cold is not None else ():
        other = bench.reports.get(name)
        if other is None:
            if name in bench.args.phases:
                out.append(f"consistency: {name}: no report")
            continue
        changed = verdict_changes(cold, other)
        out.append(f"consistency: {name} vs cold: {changed} verdicts differ")
    for name, reference in (
        ("quota-anon", "cold-anon"), ("quota-free", "cold"), ("card-first", "cold-anon"),
        ("quota-card-first", "card-first"), ("author", "author-list"), ("author-warm", "author"),
        ("author-offline", "author"),
    ):  # fmt: skip
        if name in bench.reports and reference in bench.reports:
            changed = verdict_changes(bench.reports[reference], bench.reports[name])
            out.append(f"consistency: {name} vs {reference}: {changed} verdicts differ")
    run = next((r for r in bench.runs if r.name == "cold"), None)
    if run is not None:
        mix = ", ".join(f"{k} {v}" for k, v in sorted(run.verdicts.items(), key=lambda kv: -kv[1]))
        out.append(f"verdicts (cold): {mix}")
    return out


def _say(message: str) -> None:
    print(f"[scan_bench] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
