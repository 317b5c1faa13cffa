"""`auditor discover`: list the Hub models code and configuration use."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from auditor.app import Inputs, discover, discover_exit_code
from auditor.cli.common import handle_errors, note, output_options, warn
from auditor.fileio import write_output


@click.command("discover")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["list", "inventory", "json"]),
    default="list",
    show_default=True,
    help="list: a list file for `scan -r`, with `# file:line` comments; inventory: YAML to add uses and owners to.",
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE; `-o -` is standard output."
)
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip paths matching GLOB. Repeatable.")
@click.option("--fail-on-unresolved", is_flag=True, help="Exit 1 when a model id is computed at run time.")
@output_options
@handle_errors
def discover_command(
    paths: tuple[Path, ...], fmt: str, output: Path | None, exclude: tuple[str, ...], fail_on_unresolved: bool
) -> None:
    """Find the Hub models code and configuration use, with file and line.

    Reads Python (from_pretrained, pipeline, hf_hub_download, snapshot_download, SentenceTransformer,
    CrossEncoder; string constants resolved), notebooks, YAML/JSON/TOML configs (model, model_name_or_path,
    base_model… keys), shell scripts, Dockerfiles and Makefiles (`hf download`, `huggingface-cli download`).
    Skips .git, hidden directories, node_modules and virtualenvs. Ids computed at run time are reported
    on stderr as unresolved, with file and line. A line containing `auditor: ignore` is skipped.

    \b
    Examples:
      auditor discover src/ configs/ > models.txt
      auditor discover . --format inventory -o inventory.yaml
    """
    from auditor.sources.discover import RENDERERS

    found = discover(Inputs(discover_paths=paths, discover_exclude=exclude), warn=warn)
    text = RENDERERS[fmt](found)
    if output is None or str(output) == "-":
        click.echo(text, nl=False)
    else:
        write_output(output, text)
        note(f"wrote {output}")
    models = len(found.models())
    note(
        f"found {models} model{'s' if models != 1 else ''} at {len(found.references)} places in "
        f"{found.files_scanned} files; {len(found.unresolved)} unresolved"
    )
    sys.exit(discover_exit_code(found, fail_on_unresolved))
