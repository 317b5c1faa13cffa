"""Find the Hub models a code base uses, with file and line, without running the code.

Teams rarely keep a list of their models: the code is the list. Discovery reads Python (through `ast`, so
comments, docstrings and unrelated strings never match), notebooks, YAML/JSON/TOML configs and shell
scripts, Dockerfiles and Makefiles. A reference whose model id is computed at run time (an argument, an
environment variable, an f-string over unknown parts) is kept as *unresolved* with its location and
expression, never dropped: a model CI cannot see is a model CI cannot gate.

A line containing `auditor: ignore` (in a comment) is skipped, for the rare true false positive.

One module per concern: `walk` (which files, as what), `sink` (which values are Hub ids), one scanner per
kind of file (`python`, `notebook`, `configs`, `shell`), `model` (the results) and `render` (list,
inventory, JSON); `vocabulary` holds what is recognised and the limits.
"""

from auditor.sources.discover.model import Discovery, Reference, to_model_refs
from auditor.sources.discover.render import RENDERERS, render_inventory, render_json, render_list
from auditor.sources.discover.vocabulary import IGNORE_MARKER
from auditor.sources.discover.walk import discover

__all__ = [
    "IGNORE_MARKER",
    "RENDERERS",
    "Discovery",
    "Reference",
    "discover",
    "render_inventory",
    "render_json",
    "render_list",
    "to_model_refs",
]
