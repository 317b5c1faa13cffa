"""`auditor policy …`: work with company policy files."""

from __future__ import annotations

from pathlib import Path

import click

from auditor.app import check_policy
from auditor.cli.common import handle_errors


@click.group("policy")
def policy_group() -> None:
    """Work with company policy files."""


@policy_group.command("check")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@handle_errors
def policy_check(path: Path) -> None:
    """Validate a policy file; errors are printed as FILE:LINE: message (exit 2)."""
    policy = check_policy(path)
    click.echo(f"{path}: ok (uses: {', '.join(policy.use_names)}; default: {policy.default_use})")
