"""HubModel / FetchError <-> JSON, shared by the on-disk cache and snapshots.

Reading is strict: a value of the wrong shape raises `ValueError`, so a damaged cache entry or a
hand-edited snapshot is noticed instead of flowing into a verdict.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditor.hub.content import shared_text
from auditor.models import FetchError, FetchErrorKind, FetchResult, FileProblem, HubModel, LicenseFile


def model_to_json(model: HubModel) -> dict[str, Any]:
    return {
        "repo_id": model.repo_id,
        "requested_revision": model.requested_revision,
        "sha": model.sha,
        "card_data": dict(model.card_data),
        "tags": list(model.tags),
        "gated": model.gated,
        "private": model.private,
        "siblings": list(model.siblings),
        "last_modified": model.last_modified,
        "license_files": [
            {"path": f.path, "text": f.text, "size": f.size, "truncated": f.truncated} for f in model.license_files
        ],
        "file_problems": [{"path": p.path, "kind": p.kind, "message": p.message} for p in model.file_problems],
        "card_error": model.card_error,
        "fetched_at": model.fetched_at,
        "source": model.source,
    }


def error_to_json(error: FetchError) -> dict[str, Any]:
    return {
        "repo_id": error.repo_id,
        "requested_revision": error.requested_revision,
        "kind": error.kind.value,
        "message": error.message,
    }


def result_to_json(result: FetchResult) -> dict[str, Any]:
    if isinstance(result, HubModel):
        return {"type": "model", "model": model_to_json(result)}
    return {"type": "error", "error": error_to_json(result)}


def result_from_json(data: object) -> FetchResult:
    obj = _mapping(data, "result")
    kind = obj.get("type")
    if kind == "model":
        return model_from_json(obj.get("model"))
    if kind == "error":
        return error_from_json(obj.get("error"))
    raise ValueError(f"unknown result type {kind!r}")


def model_from_json(data: object) -> HubModel:
    obj = _mapping(data, "model")
    card = _mapping(obj.get("card_data", {}), "card_data")
    files = []
    for item in _list(obj.get("license_files", []), "license_files"):
        f = _mapping(item, "license file")
        size = f.get("size")
        if size is not None and (not isinstance(size, int) or isinstance(size, bool)):
            raise ValueError("license file size must be an integer")
        files.append(
            LicenseFile(
                path=_str(f.get("path"), "path"),
                text=shared_text(_str(f.get("text"), "text")),
                size=size,
                truncated=_bool(f.get("truncated", False), "truncated"),
            )
        )
    problems = []
    for item in _list(obj.get("file_problems", []), "file_problems"):
        p = _mapping(item, "file problem")
        problems.append(
            FileProblem(
                path=_str(p.get("path"), "path"),
                kind=_str(p.get("kind"), "kind"),
                message=_str(p.get("message"), "message"),
            )
        )
    return HubModel(
        repo_id=_str(obj.get("repo_id"), "repo_id"),
        requested_revision=_str(obj.get("requested_revision"), "requested_revision"),
        sha=_str(obj.get("sha"), "sha"),
        card_data=dict(card),
        tags=tuple(_str(t, "tag") for t in _list(obj.get("tags", []), "tags")),
        gated=_opt_str(obj.get("gated"), "gated"),
        private=_bool(obj.get("private", False), "private"),
        siblings=tuple(_str(s, "sibling") for s in _list(obj.get("siblings", []), "siblings")),
        last_modified=_opt_str(obj.get("last_modified"), "last_modified"),
        license_files=tuple(files),
        file_problems=tuple(problems),
        card_error=_opt_str(obj.get("card_error"), "card_error"),
        fetched_at=_str(obj.get("fetched_at", ""), "fetched_at"),
        source=_str(obj.get("source", ""), "source"),
    )


def error_from_json(data: object) -> FetchError:
    obj = _mapping(data, "error")
    return FetchError(
        repo_id=_str(obj.get("repo_id"), "repo_id"),
        requested_revision=_str(obj.get("requested_revision"), "requested_revision"),
        kind=FetchErrorKind(_str(obj.get("kind"), "kind")),
        message=_str(obj.get("message"), "message"),
    )


def _mapping(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{what} must be an object")
    return value


def _list(value: object, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"{what} must be a list")
    return value


def _str(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a string")
    return value


def _opt_str(value: object, what: str) -> str | None:
    return None if value is None else _str(value, what)


def _bool(value: object, what: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{what} must be true or false")
    return value
