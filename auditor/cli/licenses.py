"""`auditor licenses`: the knowledge base as a table or JSON."""

from __future__ import annotations

import click

from auditor.app import license_rows
from auditor.cli.common import handle_errors


@click.command("licenses")
@click.option("--category", help="Only licenses of this category (e.g. permissive, non-commercial).")
@click.option("--commercial", type=click.Choice(["yes", "no", "conditional", "unknown"]), help="Only this status.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@handle_errors
def licenses_command(category: str | None, commercial: str | None, fmt: str) -> None:
    """List the license knowledge base: every Hub license id and the licenses behind `other`."""
    import json

    rows = license_rows(category, commercial)
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, sort_keys=True))
        return
    columns = ("key", "spdx", "category", "commercial", "name")
    widths = {c: max(len(c), *(len(str(r.get(c) or "-")) for r in rows)) if rows else len(c) for c in columns}
    widths["name"] = min(widths["name"], 60)
    click.echo("  ".join(c.upper().ljust(widths[c]) for c in columns))
    for row in rows:
        click.echo("  ".join(str(row.get(c) or "-")[: widths[c]].ljust(widths[c]) for c in columns).rstrip())
    click.echo(f"\n{len(rows)} licenses")
