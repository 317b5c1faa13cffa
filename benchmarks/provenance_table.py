"""The table of every knowledge-base entry in rules/PROVENANCE.md: its file, status, source, and whether
its terms were confirmed from a primary text. Generated from the YAML so that it cannot drift from it.

    python -m benchmarks.provenance_table           # print the table
    python -m benchmarks.provenance_table --write   # rewrite the generated part of rules/PROVENANCE.md
    python -m benchmarks.provenance_table --check   # exit 1 when rules/PROVENANCE.md is out of step
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

RULES = Path(__file__).resolve().parent.parent / "rules"
PROVENANCE = RULES / "PROVENANCE.md"
BEGIN = "<!-- BEGIN GENERATED ENTRY TABLE (python -m benchmarks.provenance_table --write) -->"
END = "<!-- END GENERATED ENTRY TABLE -->"
MAX_SOURCE_CHARS = 140


def _cell(text: str) -> str:
    """One Markdown table cell: no pipes or newlines, bounded."""
    flat = " ".join(str(text).split()).replace("|", "\\|")
    return flat if len(flat) <= MAX_SOURCE_CHARS else flat[: MAX_SOURCE_CHARS - 1].rstrip() + "…"


def _confirmed(entry: dict[str, object]) -> str:
    """What the entry rests on: the text read, quotes from it, or nothing confirmed (unknown)."""
    if entry.get("commercial") == "unknown" and not entry.get("text_verified"):
        return "no (unconfirmed: unknown)"
    if entry.get("text_verified"):
        return "yes (text read)"
    return "partly (quoted clauses)"


def rows() -> list[tuple[str, str, str, str, str]]:
    """(key, file, commercial, confirmed, first source) for every entry, licenses.yaml first."""
    files = [RULES / "licenses.yaml", *sorted(RULES.glob("licenses-*.yaml"))]
    out = []
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for entry in data["licenses"]:
            sources = entry.get("sources") or ["(none)"]
            more = f" (+{len(sources) - 1})" if len(sources) > 1 else ""
            out.append((entry["key"], path.name, str(entry["commercial"]), _confirmed(entry), _cell(sources[0]) + more))
    return out


def table() -> str:
    lines = [
        BEGIN,
        "",
        "| key | file | commercial | confirmed from a primary text | source (first of `sources`) |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [f"| `{k}` | {f} | {c} | {v} | {s} |" for k, f, c, v, s in rows()]
    lines += ["", f"{len(lines) - 4} entries.", "", END]
    return "\n".join(lines)


def with_table(document: str) -> str:
    """The document with its generated part replaced (or appended when it has none yet)."""
    if BEGIN in document and END in document:
        head, _, rest = document.partition(BEGIN)
        _, _, tail = rest.partition(END)
        return head + table() + tail
    return document.rstrip("\n") + "\n\n# Every entry\n\n" + table() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", action="store_true", help="rewrite the generated part of rules/PROVENANCE.md")
    group.add_argument("--check", action="store_true", help="fail when rules/PROVENANCE.md is out of step")
    args = parser.parse_args(argv)
    current = PROVENANCE.read_text(encoding="utf-8")
    wanted = with_table(current)
    if args.write:
        PROVENANCE.write_text(wanted, encoding="utf-8")
        return 0
    if args.check:
        if wanted != current:
            print("rules/PROVENANCE.md is out of step: run python -m benchmarks.provenance_table --write")
            return 1
        return 0
    print(table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
