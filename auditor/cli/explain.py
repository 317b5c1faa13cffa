"""`auditor explain`: a license from the knowledge base, or one model's verdict walked through."""

from __future__ import annotations

from typing import Any

import click

from auditor.app import explain
from auditor.cli.common import handle_errors, hub_options, output_options, policy_options, settings_of


@click.command("explain")
@click.argument("target", metavar="LICENSE|ORG/NAME[@REV]|api:PROVIDER/MODEL")
@policy_options
@hub_options
@output_options
@handle_errors
def explain_command(target: str, **opts: Any) -> None:
    """Explain a license from the knowledge base, or walk through one model's verdict.

    \b
    Examples:
      auditor explain llama3.1          # what the Llama 3.1 license allows and requires
      auditor explain Qwen/Qwen-7B --use saas
      auditor explain api:openai/gpt-4o --use saas   # provider facts and the data rule per data class
    """
    settings = settings_of((), (), opts)
    click.echo("\n\n".join(explain(target, settings)))
