"""Where model references come from: command-line ids, list files and inventory files.

Each reference remembers its origin (file and line) so CI annotations and errors point at it.
"""

from __future__ import annotations

from auditor.sources.inventory import read_inventory
from auditor.sources.refs import parse_model_id, read_list_file, read_refs_file, refs_from_args

__all__ = ["parse_model_id", "read_inventory", "read_list_file", "read_refs_file", "refs_from_args"]
