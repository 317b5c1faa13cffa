"""`models.lock`: each model pinned to the commit its license was approved at.

The lock is reviewed in pull requests like any lock file, so it is written to be stable and
diff-friendly: sorted, one block per model, no timestamps, every string JSON-quoted (valid YAML that no
card text can break). `auditor lock` writes it; `auditor check --lock` compares the Hub against it.

```yaml
# models.lock ... (header comment)
version: 1
policy_sha256: "9f2c…"
listing: {"authors": ["acme-org"], "search": null}   # only when locked with --author/--search
models:
  "acme-org/model":
    evidence_sha256: "5b1e…"     # hash of the card's license fields and the license file texts
    inherited_keys: []
    license: "Apache-2.0"
    license_files: {"LICENSE": "e3b0…"}  # sha256 of each license file's text, to name what changed
    license_keys: ["apache-2.0"]
    sha: "0123…"                 # the commit it was audited at
    verdicts: {"commercial-product": "approved"}
```

A key with `@REVISION` is a model the code pins; a bare key follows the default branch. `listing`
records the `--author`/`--search` the lock was made with: `auditor lock` and `auditor check --lock`
with no models given list them again, so a model the org published since is `not-in-lock` and one it
no longer lists is a stale entry, instead of the lock silently auditing yesterday's org.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from auditor.errors import InputFileError, UsageError
from auditor.fileio import write_output
from auditor.inputfile import display_name
from auditor.models import ModelRef, Origin, Status
from auditor.sources.listing import Listing
from auditor.sources.refs import parse_model_id
from auditor.yamlfile import LinedDict, LinedList, load_yaml_bounded

LOCK_VERSION = 1
DEFAULT_LOCK_FILE = "models.lock"

_HEADER = (
    "# models.lock: Hugging Face models pinned to the commit their license was audited at.\n"
    "# Written by `auditor lock`; `auditor check --lock {name}` fails when a model's license or license\n"
    "# evidence changes upstream, when a model in use is not listed here, or when a locked commit is gone.\n"
    "# Regenerate it with `auditor lock` rather than editing it; review changes like any license change.\n"
)
_ENTRY_KEYS = frozenset(
    {"sha", "license", "license_keys", "inherited_keys", "license_files", "evidence_sha256", "verdicts"}
)
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_STATUSES = frozenset(s.value for s in Status)


@dataclass(frozen=True)
class LockEntry:
    """One model as it was when locked."""

    repo_id: str
    revision: str | None  # the revision the code pins; None: the default branch
    sha: str
    license: str | None  # the resolved SPDX expression, None when it could not be resolved
    license_keys: tuple[str, ...]
    inherited_keys: tuple[str, ...]
    evidence_sha256: str
    verdicts: tuple[tuple[str, str], ...]  # (use, status), sorted by use
    license_files: tuple[tuple[str, str], ...] = ()  # (path, sha256 of its text), sorted by path
    line: int | None = None  # where the entry is written, for errors and annotations

    @property
    def key(self) -> str:
        return lock_key(self.repo_id, self.revision)


@dataclass(frozen=True)
class LockFile:
    entries: tuple[LockEntry, ...]
    policy_sha256: str | None = None
    path: str | None = None
    listing: Listing | None = None  # the --author/--search the lock was made with (see the module doc)

    def get(self, key: str) -> LockEntry | None:
        for entry in self.entries:
            if entry.key == key:
                return entry
        return None

    def keys(self) -> list[str]:
        return [entry.key for entry in self.entries]


def lock_key(repo_id: str, revision: str | None) -> str:
    return repo_id if revision is None else f"{repo_id}@{revision}"


def ref_key(ref: ModelRef) -> str:
    return lock_key(ref.repo_id, ref.revision)


def lock_refs(lock: LockFile) -> list[ModelRef]:
    """The locked models as references, each pointing at its line in the lock file."""
    return [
        ModelRef(entry.repo_id, entry.revision, origin=Origin(lock.path or DEFAULT_LOCK_FILE, entry.line))
        for entry in lock.entries
    ]


# ---------------------------------------------------------------- writing


def _q(value: str | None) -> str:
    return "null" if value is None else json.dumps(value)


def _list(values: Sequence[str]) -> str:
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def render_lock(lock: LockFile, name: str = DEFAULT_LOCK_FILE) -> str:
    """The lock file text: same input, same bytes."""
    lines = [_HEADER.format(name=name).rstrip("\n"), f"version: {LOCK_VERSION}"]
    if lock.policy_sha256 is not None:
        lines.append(f"policy_sha256: {_q(lock.policy_sha256)}")
    if lock.listing is not None and lock.listing.wanted:
        lines.append(f"listing: {{\"authors\": {_list(lock.listing.authors)}, \"search\": {_q(lock.listing.search)}}}")
    entries = sorted(lock.entries, key=lambda e: e.key)
    if not entries:
        lines.append("models: {}")
    else:
        lines.append("models:")
    for index, entry in enumerate(entries):
        if index:
            lines.append("")
        verdicts = ", ".join(f"{json.dumps(use)}: {json.dumps(status)}" for use, status in sorted(entry.verdicts))
        files = ", ".join(f"{json.dumps(path)}: {json.dumps(digest)}" for path, digest in sorted(entry.license_files))
        lines.extend(
            [
                f"  {_q(entry.key)}:",
                f"    evidence_sha256: {_q(entry.evidence_sha256)}",
                f"    inherited_keys: {_list(entry.inherited_keys)}",
                f"    license: {_q(entry.license)}",
                f"    license_files: {{{files}}}",
                f"    license_keys: {_list(entry.license_keys)}",
                f"    sha: {_q(entry.sha)}",
                f"    verdicts: {{{verdicts}}}",
            ]
        )
    return "\n".join(lines) + "\n"


def write_lock(path: Path, lock: LockFile) -> None:
    """Write atomically: a CI job killed half-way must not leave a truncated lock behind."""
    write_output(path, render_lock(lock, path.name))


# ---------------------------------------------------------------- reading


def _strings(value: object, name: str, path: str, line: int) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputFileError(path, line, f"{name!r} must be a list of strings")
    return tuple(value)


def read_lock(path: Path | str) -> LockFile:
    """Read and validate a lock file; any problem is an input error with its line (exit 2)."""
    name = display_name(path)
    data = load_yaml_bounded(path, what="lock file")
    if not isinstance(data, LinedDict):
        raise InputFileError(name, None, "not a lock file: expected a mapping with 'version' and 'models'")
    unknown = sorted(set(data) - {"version", "policy_sha256", "listing", "models"})
    if unknown:
        raise InputFileError(name, data.line_of(unknown[0]), f"unknown key {unknown[0]!r}")
    if data.get("version") != LOCK_VERSION:
        raise InputFileError(
            name,
            data.line_of("version"),
            f"unsupported lock version {data.get('version')!r} (this auditor reads version {LOCK_VERSION})",
        )
    policy_sha = data.get("policy_sha256")
    if policy_sha is not None and not isinstance(policy_sha, str):
        raise InputFileError(name, data.line_of("policy_sha256"), "'policy_sha256' must be a string")
    models = data.get("models")
    if models is None or (isinstance(models, LinedList) and not models):
        models = {}
    if not isinstance(models, Mapping):
        raise InputFileError(name, data.line_of("models"), "'models' must be a mapping of model id to entry")
    entries = []
    for key, value in models.items():
        line = models.line_of(key) if isinstance(models, LinedDict) else None
        entries.append(_read_entry(key, value, name, line or 0))
    listing = _read_listing(data.get("listing"), name, data.line_of("listing")) if "listing" in data else None
    return LockFile(entries=tuple(entries), policy_sha256=policy_sha, path=name, listing=listing)


def _read_listing(value: object, name: str, line: int | None) -> Listing:
    shape = "'listing' must be a mapping with 'authors' (a list of names) and 'search' (a string or null)"
    if not isinstance(value, Mapping) or set(value) != {"authors", "search"}:
        raise InputFileError(name, line, shape)
    authors, search = value["authors"], value["search"]
    if not isinstance(authors, list) or not all(isinstance(a, str) for a in authors):
        raise InputFileError(name, line, shape)
    if search is not None and not isinstance(search, str):
        raise InputFileError(name, line, shape)
    try:
        listing = Listing(tuple(authors), search)
    except UsageError as exc:
        raise InputFileError(name, line, f"'listing': {exc}") from None
    if not listing.wanted:
        raise InputFileError(name, line, "'listing' names no author and no search")
    return listing


def _read_entry(key: str, value: object, name: str, line: int) -> LockEntry:
    try:
        repo_id, revision = parse_model_id(key)
    except ValueError as exc:
        raise InputFileError(name, line, str(exc)) from None
    if not isinstance(value, LinedDict):
        raise InputFileError(name, line, f"entry {key!r} must be a mapping")
    for field_name in value:
        if field_name not in _ENTRY_KEYS:
            raise InputFileError(name, value.line_of(field_name), f"unknown key {field_name!r} in entry {key!r}")
    for required in ("sha", "evidence_sha256", "license_keys", "verdicts"):
        if required not in value:
            raise InputFileError(name, line, f"entry {key!r} has no {required!r}")
    sha = value["sha"]
    if not isinstance(sha, str) or not sha:
        raise InputFileError(name, value.line_of("sha"), "'sha' must be a commit sha")
    evidence = value["evidence_sha256"]
    if not isinstance(evidence, str) or not _HEX64.match(evidence):
        raise InputFileError(name, value.line_of("evidence_sha256"), "'evidence_sha256' must be 64 hex digits")
    license_ = value.get("license")
    if license_ is not None and not isinstance(license_, str):
        raise InputFileError(name, value.line_of("license"), "'license' must be a string or null")
    verdicts = value["verdicts"]
    if not isinstance(verdicts, Mapping) or not all(
        isinstance(use, str) and isinstance(status, str) and status in _STATUSES for use, status in verdicts.items()
    ):
        raise InputFileError(
            name, value.line_of("verdicts"), f"'verdicts' must map uses to one of {', '.join(sorted(_STATUSES))}"
        )
    files = value.get("license_files", {})
    if not isinstance(files, Mapping) or not all(
        isinstance(path, str) and isinstance(digest, str) and _HEX64.match(digest) for path, digest in files.items()
    ):
        raise InputFileError(
            name, value.line_of("license_files"), "'license_files' must map file paths to 64-hex-digit sha256 digests"
        )
    return LockEntry(
        repo_id=repo_id,
        revision=revision,
        sha=sha,
        license=license_,
        license_keys=_strings(value["license_keys"], "license_keys", name, value.line_of("license_keys")),
        inherited_keys=_strings(
            value.get("inherited_keys", []), "inherited_keys", name, value.line_of("inherited_keys")
        ),
        evidence_sha256=evidence,
        verdicts=tuple(sorted(verdicts.items())),
        license_files=tuple(sorted(files.items())),
        line=line,
    )


__all__ = [
    "DEFAULT_LOCK_FILE",
    "LOCK_VERSION",
    "LockEntry",
    "LockFile",
    "lock_key",
    "lock_refs",
    "read_lock",
    "ref_key",
    "render_lock",
    "write_lock",
]
