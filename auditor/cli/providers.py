"""`auditor providers`: the hosted-model provider knowledge (rules/providers.yaml) as a table or JSON."""

from __future__ import annotations

import click

from auditor.app import provider_rows
from auditor.cli.common import handle_errors


@click.command("providers")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@handle_errors
def providers_command(fmt: str) -> None:
    """List the providers of hosted models, their offerings and which facts are confirmed.

    \b
    Hosted models are written api:PROVIDER/MODEL; `auditor explain api:PROVIDER/MODEL` shows the facts
    with their sources and the policy's data rule for each data class.
    """
    import json

    rows = provider_rows()
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, sort_keys=True))
        return
    columns = ("id", "kind", "confirmed", "offering")
    table = [{**r, "id": r["id"] + (" *" if r["default"] else "")} for r in rows]
    widths = {c: max(len(c), *(len(str(r[c])) for r in table)) for c in columns}
    click.echo("  ".join(c.upper().ljust(widths[c]) for c in columns).rstrip())
    for row in table:
        click.echo("  ".join(str(row[c]).ljust(widths[c]) for c in columns).rstrip())
    click.echo(f"\n{len(rows)} offerings (* = used when the entry names none); confirmed = facts with a primary source")
