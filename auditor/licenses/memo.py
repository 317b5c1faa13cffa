"""Results of resolution phases remembered per knowledge base, keyed by exactly what the phase reads.

Most models on the Hub declare one of a few licenses in the same few ways (`license: apache-2.0` and the
tag the Hub derives from it), so a run reads the same card fields, tags and license files again and
again. A phase whose result depends only on the knowledge base and such values is computed once per
distinct value: two models get the same answer because they show the same evidence, never because of
who they are (no model id is part of a key). The memo lives on the knowledge base object, so another
knowledge base starts empty; it is bounded; and values it cannot key exactly (mappings, numbers and
booleans, where `1 == True`) are never remembered, only computed.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar, cast

from auditor.licenses.knowledge import KnowledgeBase

T = TypeVar("T")

MAX_REMEMBERED = 2048
"""Distinct keys kept per knowledge base; past it, results are computed and not kept (a run's
distinct license declarations are far fewer; a key holds only what its models hold anyway)."""


class Unkeyable(Exception):
    """A value with no exact hashable form: the result is computed, not remembered."""


def plain(value: object) -> Hashable:
    """An exact hashable form of a card value: None, a string, or a list of strings (tagged, so a list
    never equals a string). Anything else raises `Unkeyable`."""
    if value is None or type(value) is str:
        return value
    if type(value) is list and all(type(item) is str for item in value):
        return (list, *value)
    raise Unkeyable


def remembered(kb: KnowledgeBase, key: Callable[[], Hashable], compute: Callable[[], T]) -> T:
    """`compute()`, or what it returned before for an equal `key()` with this knowledge base."""
    try:
        wanted = key()
        found = kb.memo.get(wanted)
    except (Unkeyable, TypeError):  # TypeError: something unhashable inside a value (never from the Hub client)
        return compute()
    if found is None:
        found = compute()
        if len(kb.memo) < MAX_REMEMBERED:  # threads may race here: both compute the same value
            kb.memo[wanted] = found
    return cast(T, found)
