"""One object for equal values.

A run holds every model's evidence, resolution and verdict until its report is written, and most of
that repeats from model to model: the same tags and card keys, the same license clause quoted in the
same right check, the same finding for every Apache-2.0 model. Frozen values can be shared safely;
sharing them keeps a 10,000-model run's memory to what is different about each model.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
from typing import Any, TypeVar, cast

T = TypeVar("T")

# Bounded: values that repeat stay (each use refreshes them), one-off values pass through. A run's
# distinct repeated values (findings, right checks, evidence for a few hundred licenses and uses) are
# far fewer than this.
_MEMO_SIZE = 4096


@functools.lru_cache(maxsize=_MEMO_SIZE, typed=True)
def _first(value: object) -> object:
    return value


def shared(value: T) -> T:
    """An equal object seen before, else `value`. Strings are interned (Python frees an interned string
    when nothing holds it); other hashable values (frozen dataclasses, tuples of them) go through a
    bounded memo; unhashable ones come back as they are."""
    if isinstance(value, str) and type(value) is str:  # not a subclass (enums): sys.intern refuses them
        return cast(T, sys.intern(value))
    try:
        return cast(T, _first(value))
    except TypeError:
        return value


def shared_each(values: tuple[T, ...]) -> tuple[T, ...]:
    """`values` with each item shared, and the tuple itself when an equal one was seen (a verdict's
    right checks are often the same for every model under the same license and use)."""
    if not values:
        return values
    return shared(tuple(shared(value) for value in values))


def shared_data(value: Any) -> Any:
    """Plain data (card front matter: dicts, lists, strings, numbers) with every string shared; the
    containers are copied, their keys and values are the shared ones."""
    if isinstance(value, str) and type(value) is str:
        return sys.intern(value)
    if isinstance(value, dict):
        return {shared_data(key): shared_data(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shared_data(item) for item in value]
    return value


def with_shared(value: T, *names: str) -> T:
    """`value`, a frozen dataclass, with the named fields shared: tuples item by item and whole
    (`shared_each`), other values whole."""
    fields = {name: getattr(value, name) for name in names}
    changes = {name: shared_each(v) if isinstance(v, tuple) else shared(v) for name, v in fields.items()}
    return cast(T, dataclasses.replace(cast(Any, value), **changes))
