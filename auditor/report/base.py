"""What a renderer is, and how its options are checked.

Options are keyword arguments so the CLI can pass the same few (`color`, `width`, `fail_on`…) to
several formats at once; each renderer declares the ones it reads and rejects any it does not know,
so a typo is an error rather than a silently ignored setting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from auditor.errors import UsageError
from auditor.models import AuditReport, Status


@dataclass(frozen=True)
class Option:
    name: str
    kind: type
    default: Any
    help: str
    nullable: bool = False


@runtime_checkable
class Renderer(Protocol):
    name: str
    extension: str  # with the dot: ".html", ".spdx.json"
    media_type: str
    description: str
    options: tuple[Option, ...]

    def render(self, report: AuditReport, **options: Any) -> str | bytes: ...


def _coerce(option: Option, value: Any) -> Any:
    if value is None and option.nullable:
        return None
    if option.kind is Status and isinstance(value, str):
        try:
            return Status(value)
        except ValueError:
            names = ", ".join(s.value for s in Status)
            raise UsageError(f"option {option.name}: {value!r} is not a verdict ({names})") from None
    if option.kind is int and isinstance(value, bool):  # bool is an int subclass; width=True is a bug
        raise UsageError(f"option {option.name}: expected a number, got {value!r}")
    if not isinstance(value, option.kind):
        raise UsageError(f"option {option.name}: expected {option.kind.__name__}, got {value!r}")
    return value


def resolve_options(renderer: str, declared: tuple[Option, ...], given: Mapping[str, Any]) -> dict[str, Any]:
    """Declared options with defaults filled in; unknown names and wrong types are usage errors."""
    known = {o.name: o for o in declared}
    unknown = sorted(set(given) - set(known))
    if unknown:
        accepted = ", ".join(sorted(known)) or "none"
        raise UsageError(f"format {renderer}: unknown option(s) {', '.join(unknown)} (accepted: {accepted})")
    return {name: _coerce(o, given[name]) if name in given else o.default for name, o in known.items()}


FAIL_ON = Option(
    "fail_on",
    Status,
    Status.NEEDS_REVIEW,
    "report models whose verdict is at or above this level as failures",
)
