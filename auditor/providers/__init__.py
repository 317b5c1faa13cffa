"""Hosted (closed) models: what each provider offering does with the data it receives.

The knowledge lives in rules/providers.yaml (validated on load, a source and a verification date per
fact); hosted models never go to the Hub. Pure: no network, no clock.
"""

from __future__ import annotations

from auditor.providers.knowledge import (
    Fact,
    Match,
    MatchProblem,
    Offering,
    Provider,
    ProviderKnowledge,
    load_provider_knowledge,
    offering_rows,
)

__all__ = [
    "Fact",
    "Match",
    "MatchProblem",
    "Offering",
    "Provider",
    "ProviderKnowledge",
    "load_provider_knowledge",
    "offering_rows",
]
