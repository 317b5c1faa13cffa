"""A local mirror laid out as `<root>/<org>/<name>/README.md`, license files… and an optional
`_hub.json` holding what is not a file on the Hub:
`{"gated": false|"auto"|"manual", "private": bool, "disabled": bool, "refs": {"v1": "<sha>"},
"lastModified": "…", "tags": ["…"]}` (the same conventions as the test Hub stand-in).

It answers like the Hub would, so the rest of the pipeline cannot tell the difference: the sha is a
deterministic hash of the repo's files (sha1 over each sorted path and its git blob id; paths with a
component starting with `_` are mirror metadata, not repo files), the card data is the README front
matter, and the tags are derived from the card as the Hub derives them. A gated repo's license files
are readable here (it is the company's own mirror) but the repo is still reported as gated.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from huggingface_hub.errors import HFValidationError
from huggingface_hub.utils import validate_repo_id  # type: ignore[attr-defined]  # public; not re-exported

from auditor import limits
from auditor.hub.content import (
    MAX_FILE_BYTES,
    CardError,
    card_from_head,
    decode_file,
    derived_tags,
    iso_utc,
    normalise_gated,
    printable,
    wanted_files,
)
from auditor.hub.stats import Counters
from auditor.inputfile import read_head
from auditor.models import FetchError, FetchErrorKind, FetchResult, FileProblem, HubModel, LicenseFile

META_FILE = "_hub.json"
MAX_SIBLINGS = limits.MIRROR_FILES


class DirSource:
    """Reads model repos from a folder; never touches the network."""

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        clock: Callable[[], float] = time.time,
        max_file_bytes: int = MAX_FILE_BYTES,
    ) -> None:
        self.root = Path(root)
        self._real_root = Path(os.path.realpath(root))
        self._clock = clock
        self._max_file_bytes = max_file_bytes
        self._counters = Counters(["dir_reads", "failures"])

    def describe(self) -> str:
        return f"hub-dir:{self.root}"

    def stats(self) -> Mapping[str, int]:
        return self._counters.snapshot()

    def fetch(self, repo_id: str, revision: str | None) -> FetchResult:
        requested = revision or "main"
        try:
            validate_repo_id(repo_id)
        except HFValidationError:
            return self._error(repo_id, requested, FetchErrorKind.INVALID_ID, f"{repo_id!r} is not a valid repo id")
        folder = self.root.joinpath(*repo_id.split("/"))
        if "/" not in repo_id or not folder.is_dir():
            return self._error(repo_id, requested, FetchErrorKind.NOT_FOUND, f"{repo_id}: not in {self.describe()}")
        if not _inside(folder, self._real_root):  # an org or repo folder linked out of the mirror
            return self._error(
                repo_id,
                requested,
                FetchErrorKind.INVALID,
                f"{repo_id}: refused: its folder in {self.describe()} is a link that leads outside the mirror",
            )
        self._counters.add("dir_reads")
        try:
            return self._read(repo_id, requested, revision, folder)
        except OSError as exc:
            return self._error(
                repo_id, requested, FetchErrorKind.INVALID, f"{repo_id}: cannot read the mirror: {exc.strerror or exc}"
            )

    def _read(self, repo_id: str, requested: str, revision: str | None, folder: Path) -> FetchResult:
        siblings = _list_files(folder)
        sha = content_sha(folder, siblings)
        meta, meta_error = _read_meta(folder / META_FILE)
        if meta.get("disabled") is True:
            return self._error(repo_id, requested, FetchErrorKind.DISABLED, f"{repo_id}: disabled in the mirror")
        refs = meta.get("refs")
        named = None
        if isinstance(refs, dict) and revision is not None:
            named = refs.get(revision.removeprefix("refs/tags/"))
        if revision not in (None, "main", "refs/heads/main", sha) and named != sha:
            return self._error(
                repo_id,
                requested,
                FetchErrorKind.REVISION_NOT_FOUND,
                f"{repo_id}: revision {revision!r} not found (the mirror holds one version, {sha})",
            )

        card_data: dict[str, Any] = {}
        card_error: str | None = None
        if "README.md" in siblings:
            head, _size, truncated = _read_head(folder / "README.md", self._max_file_bytes)
            try:
                card_data = card_from_head(head, truncated)
            except CardError as exc:
                card_error = str(exc)

        names, problems = wanted_files(tuple(siblings), card_data, repo_id)
        if meta_error is not None:
            problems.append(FileProblem(META_FILE, "error", meta_error))
        files: list[LicenseFile] = []
        for name in names:
            target = folder.joinpath(*name.split("/"))
            if not _inside(target, folder) or not target.is_file():
                problems.append(FileProblem(name, "missing", "the repo has no such file"))
                continue
            head, size, truncated = _read_head(target, self._max_file_bytes)
            lic, problem = decode_file(name, head, size, truncated)
            if lic is not None:
                files.append(lic)
            if problem is not None:
                problems.append(problem)

        last_modified = meta.get("lastModified", meta.get("last_modified"))
        extra_tags = (
            [t for t in meta.get("tags", ()) if isinstance(t, str)] if isinstance(meta.get("tags"), list) else []
        )
        return HubModel(
            repo_id=repo_id,
            requested_revision=requested,
            sha=sha,
            card_data=card_data,
            tags=tuple(dict.fromkeys([*derived_tags(card_data, siblings), *extra_tags])),
            gated=normalise_gated(meta.get("gated")),
            private=meta.get("private") is True,
            siblings=tuple(siblings),
            last_modified=last_modified if isinstance(last_modified, str) else None,
            license_files=tuple(files),
            file_problems=tuple(problems),
            card_error=card_error,
            fetched_at=iso_utc(self._clock()),
            source=self.describe(),
        )

    def _error(self, repo_id: str, requested: str, kind: FetchErrorKind, message: str) -> FetchError:
        self._counters.add("failures")
        return FetchError(repo_id=repo_id, requested_revision=requested, kind=kind, message=printable(message, 1000))


def content_sha(folder: Path, siblings: list[str]) -> str:
    """sha1 over each sorted path and its git blob id: same files, same sha, on any machine."""
    digest = hashlib.sha1()  # noqa: S324 - an identifier like git's, not a security boundary
    for name in sorted(siblings):
        digest.update(f"{name}\x00{_git_blob_sha1(folder.joinpath(*name.split('/')))}\n".encode())
    return digest.hexdigest()


def _git_blob_sha1(path: Path) -> str:
    """Streamed, so a mirror that also holds multi-gigabyte weights does not load them into memory."""
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        blob = hashlib.sha1(b"blob %d\x00" % size)  # noqa: S324 - git's object id
        while chunk := handle.read(1 << 20):
            blob.update(chunk)
    return blob.hexdigest()


def _list_files(folder: Path) -> list[str]:
    """Repo files as sorted posix paths. Symlinks, `.git` and `_`-prefixed mirror metadata are not repo files."""
    names: list[str] = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d != ".git" and not d.startswith("_"))
        base = Path(dirpath)
        for filename in filenames:
            path = base / filename
            if filename.startswith("_") or path.is_symlink() or not path.is_file():
                continue
            names.append(path.relative_to(folder).as_posix())
            if len(names) > MAX_SIBLINGS:
                raise OSError(f"more than {MAX_SIBLINGS} files ({MAX_SIBLINGS.note})")
    return sorted(names)


def _read_head(path: Path, cap: int) -> tuple[bytes, int, bool]:
    """The head of a mirror file; never through a link (a file swapped for one after listing is refused)."""
    return read_head(path, cap, follow_links=False)


def _inside(path: Path, folder: Path) -> bool:
    """Does `path`, every link resolved, stay inside `folder`?"""
    try:
        path.resolve().relative_to(folder.resolve())
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a link loop (Python < 3.13)
        return False
    return True


def _read_meta(path: Path) -> tuple[dict[str, Any], str | None]:
    """The mirror's own facts about the repo (gating…); an unreadable file is reported, and the repo
    is then treated as gated so nothing is approved on a guess."""
    if not path.is_file() and not path.is_symlink():
        return {}, None
    try:
        head, _size, truncated = _read_head(path, limits.MIRROR_META_BYTES)
        if truncated:
            return {"gated": "manual"}, f"{META_FILE} is larger than {limits.MIRROR_META_BYTES.note}"
        data = json.loads(head.decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return {"gated": "manual"}, f"{META_FILE} is not valid JSON, or not a regular file"
    if not isinstance(data, dict):
        return {"gated": "manual"}, f"{META_FILE} is not a JSON object"
    return data, None
