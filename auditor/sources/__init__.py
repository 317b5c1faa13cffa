"""Where model references come from: command-line ids, list files and inventory files.

Each reference remembers its origin (file and line) so CI annotations and errors point at it.
"""

from __future__ import annotations

from auditor.sources.inventory import read_inventory
from auditor.sources.refs import (
    is_hosted_id,
    parse_hosted_id,
    parse_model_id,
    parse_ref,
    read_list_file,
    read_refs_file,
    refs_from_args,
)

__all__ = [
    "is_hosted_id",
    "parse_hosted_id",
    "parse_model_id",
    "parse_ref",
    "read_inventory",
    "read_list_file",
    "read_refs_file",
    "refs_from_args",
]
