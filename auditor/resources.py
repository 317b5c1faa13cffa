"""Where the bundled knowledge (rules/) and templates live, installed or in a source checkout.

In a wheel, the top-level `rules/` folder ships as the package `auditor.rules`; in a source checkout
(tests run from the repo root, where ./auditor shadows any installed copy) it is `../rules`.
"""

from __future__ import annotations

import importlib.resources
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    from importlib.resources.abc import Traversable
else:
    from importlib.abc import Traversable

_SOURCE_RULES = Path(__file__).resolve().parent.parent / "rules"


def rules_file(name: str) -> Traversable:
    """A file under rules/, e.g. `licenses.yaml` or `texts/MIT.txt`."""
    if (_SOURCE_RULES / "licenses.yaml").is_file():
        return _SOURCE_RULES.joinpath(name)
    return importlib.resources.files("auditor.rules").joinpath(name)


def rules_dir() -> Traversable:
    """The rules/ folder itself, to list the knowledge-base files beside licenses.yaml."""
    if (_SOURCE_RULES / "licenses.yaml").is_file():
        return _SOURCE_RULES
    return importlib.resources.files("auditor.rules")
