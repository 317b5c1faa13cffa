"""License knowledge and resolution: which license governs a model, on what evidence, how surely.

Pure: no network and no clock. The knowledge lives in rules/licenses.yaml; this package reads it,
detects licenses in text, follows base-model lineage (bases fetched by the caller) and explains.
"""

from __future__ import annotations

from auditor.licenses.detect import TextMatch, detect_text
from auditor.licenses.entry import CATEGORIES, Conditions, LicenseEntry, Obligation
from auditor.licenses.explain import explain_license, explain_resolution, licenses_table
from auditor.licenses.expression import expression_for_keys, identifier
from auditor.licenses.knowledge import KnowledgeBase, load_knowledge_base
from auditor.licenses.lineage import (
    CYCLE_ERROR,
    DEPTH_CAP_ERROR,
    MAX_LINEAGE_DEPTH,
    BaseRef,
    cycle_error,
    declared_bases,
    depth_cap_error,
)
from auditor.licenses.resolve import ResolvedBase, resolve

__all__ = [
    "CATEGORIES",
    "CYCLE_ERROR",
    "DEPTH_CAP_ERROR",
    "MAX_LINEAGE_DEPTH",
    "BaseRef",
    "Conditions",
    "KnowledgeBase",
    "LicenseEntry",
    "Obligation",
    "ResolvedBase",
    "TextMatch",
    "cycle_error",
    "declared_bases",
    "depth_cap_error",
    "detect_text",
    "explain_license",
    "explain_resolution",
    "expression_for_keys",
    "identifier",
    "licenses_table",
    "load_knowledge_base",
    "resolve",
]
