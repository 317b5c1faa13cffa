"""Measure license identification on long-tail repos the detection was not developed on.

    python -m benchmarks.longtail_heldout [--json FILE] [--verbose]

The held-out set (benchmarks/longtail_heldout/repos.yaml) holds real repo shapes: card front matter and
license files under the names real repos use, with texts taken from the vendors' own files. The stand-in Hub
serves them; `auditor scan --use commercial-product` audits them through the real huggingface_hub client.
Figures (issue 11 targets): license identified >= 95%, commercial status right >= 90%, false approvals = 0.

  identified       the expected entry is among the resolution's license ids
  commercial right the resolution's commercial status equals the expected one
  false approval   a commercial product approved (with or without obligations) although the expected
                   commercial status is 'no' or 'unknown', or approved without obligations although it is
                   'conditional' (its conditions are duties at least: registration, caps to stay under)
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
HELDOUT = Path(__file__).resolve().parent / "longtail_heldout"
APPROVALS = ("approved", "approved-with-obligations")
PDF_BYTES = b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
CC_PLACEHOLDER = "@@cc-by-nc-4.0@@"

sys.path.insert(0, str(ROOT))  # run from anywhere: the project and its stand-in Hub (tests/hubstandin)

from auditor.cli import main as auditor_main  # noqa: E402
from tests.hubstandin import HubStandIn, write_repo  # noqa: E402


def _content(spec: str) -> str | bytes:
    if spec == "pdf":
        return PDF_BYTES
    if spec.startswith("rules:"):
        return (ROOT / "rules" / "texts" / spec.removeprefix("rules:")).read_text(encoding="utf-8")
    if spec.startswith("texts/"):
        return (HELDOUT / spec).read_text(encoding="utf-8")
    cc = (ROOT / "rules" / "texts" / "cc-by-nc-4.0.txt").read_text(encoding="utf-8")
    return spec.replace(CC_PLACEHOLDER, cc)


def _card(front: dict[str, Any]) -> str:
    return "---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False) + "---\n# model card\n"


def build(root: Path, repos: list[dict[str, Any]]) -> None:
    for repo in repos:
        files: dict[str, str | bytes] = {"README.md": _card(repo["card"])}
        files.update({name: _content(spec) for name, spec in (repo.get("files") or {}).items()})
        write_repo(root, repo["id"], files)


def scan(hub: HubStandIn, ids: list[str], workdir: Path) -> dict[str, dict[str, Any]]:
    out = workdir / "report.json"
    args = ["scan", *ids, "--use", "commercial-product", "--format", "json", "-o", str(out)]
    args += ["--endpoint", hub.url, "--no-cache", "--retries", "0"]
    quiet = contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO())
    with quiet[0], quiet[1], contextlib.suppress(SystemExit):
        auditor_main(args)
    return {m["id"]: m for m in json.loads(out.read_text(encoding="utf-8"))["models"]}


def _false_approval(verdict: str, expected: str) -> bool:
    if expected in ("no", "unknown"):
        return verdict in APPROVALS
    return expected == "conditional" and verdict == "approved"


def measure(repos: list[dict[str, Any]], models: dict[str, dict[str, Any]]) -> dict[str, Any]:
    rows = []
    for repo in repos:
        model = models[repo["id"]]
        expect = repo["expect"]
        ids = model["license"]["ids"]
        commercial = model["license"]["commercial"]
        rows.append(
            {
                "id": repo["id"],
                "expected": expect["key"],
                "ids": ids,
                "identified": expect["key"] in ids,
                "commercial": commercial,
                "expected_commercial": expect["commercial"],
                "commercial_right": commercial == expect["commercial"],
                "verdict": model["verdict"],
                "false_approval": _false_approval(model["verdict"], expect["commercial"]),
            }
        )
    n = len(rows)
    return {
        "repos": n,
        "identified_pct": round(100 * sum(r["identified"] for r in rows) / n, 1),
        "commercial_right_pct": round(100 * sum(r["commercial_right"] for r in rows) / n, 1),
        "false_approvals": sum(r["false_approval"] for r in rows),
        "rows": rows,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write every row and figure to this file")
    parser.add_argument("--verbose", action="store_true", help="print every repo, not only the misses")
    args = parser.parse_args(argv)
    repos = yaml.safe_load((HELDOUT / "repos.yaml").read_text(encoding="utf-8"))["repos"]
    with tempfile.TemporaryDirectory(prefix="longtail-heldout-") as tmp:
        workdir = Path(tmp)
        build(workdir / "hub", repos)
        with HubStandIn(workdir / "hub") as hub:
            models = scan(hub, [r["id"] for r in repos], workdir)
    figures = measure(repos, models)
    for row in figures["rows"]:
        miss = not (row["identified"] and row["commercial_right"]) or row["false_approval"]
        if miss or args.verbose:
            mark = "MISS" if miss else "ok  "
            print(
                f"{mark} {row['id']}: ids={','.join(row['ids']) or '-'} (expected {row['expected']}); "
                f"commercial={row['commercial']} (expected {row['expected_commercial']}); verdict={row['verdict']}"
            )
    print(f"held-out long-tail repos: {figures['repos']}")
    print(f"license identified:       {figures['identified_pct']}%   (target >= 95%)")
    print(f"commercial status right:  {figures['commercial_right_pct']}%   (target >= 90%)")
    print(f"false approvals:          {figures['false_approvals']}   (target 0)")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
