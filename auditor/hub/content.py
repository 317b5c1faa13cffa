"""Pure helpers shared by every source: which files are license files, what a card's `license_link`
points to, reading card front matter, and bounding untrusted text.

Model cards are written by strangers, so everything here treats its input as hostile: sizes and
nesting are bounded, YAML is read with `safe_load`, and a link is followed only when it names a
file inside the same repo.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import posixpath
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from auditor import limits
from auditor.escape import line
from auditor.models import PDF_PROBLEM, FileProblem, LicenseFile, Relation
from auditor.yamlfile import BoundedLoader, Budget, YAMLBudgetError

# Named and explained in auditor.limits; these names stay for the modules that import them.
MAX_FILE_BYTES = limits.CARD_BYTES
MAX_LICENSE_FILES = limits.LICENSE_FILES
MAX_CARD_NODES = limits.CARD_NODES
MAX_CARD_DEPTH = limits.CARD_DEPTH

MAX_LICENSE_NAME_CHARS = 200
"""A longer file name is not taken for a license file (nor quoted back whole)."""

HUB_HOSTS = ("huggingface.co", "hf.co")

PROBED_FILES = ("LICENSE",)
"""Read by name when the file list is not asked for: the one license file name most repos use."""

_UNSETTLED_LICENSES = frozenset({"", "other", "unknown"})

_SHA_RE = re.compile(r"[0-9a-f]{40}")
_FRONT_MATTER_RE = re.compile(r"\A\ufeff?\s*---[ \t]*\r?\n(.*?)(?:\r?\n)?^---[ \t]*$", re.DOTALL | re.MULTILINE)
_FRONT_MATTER_OPEN_RE = re.compile(r"\A\ufeff?\s*---[ \t]*\r?\n")
_LFS_POINTER_PREFIX = b"version https://git-lfs.github.com/spec/"


def is_full_sha(revision: str | None) -> bool:
    """A full commit sha names immutable content: it never needs resolving again."""
    return revision is not None and _SHA_RE.fullmatch(revision) is not None


_ISO_UTC = "%Y-%m-%dT%H:%M:%SZ"


def iso_utc(epoch_seconds: float) -> str:
    """Seconds since the epoch as ISO 8601 UTC with a `Z`, the one time format of the hub layer."""
    return _dt.datetime.fromtimestamp(epoch_seconds, tz=_dt.timezone.utc).strftime(_ISO_UTC)


def epoch_of(iso: str) -> float:
    """The inverse of `iso_utc`: seconds since the epoch; +inf when `iso` is not in that format."""
    try:
        return _dt.datetime.strptime(iso, _ISO_UTC).replace(tzinfo=_dt.timezone.utc).timestamp()
    except ValueError:
        return float("inf")


def iso_datetime(value: _dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.timezone.utc)
    return value.astimezone(_dt.timezone.utc).isoformat().replace("+00:00", "Z")


def printable(text: str, limit: int = 300) -> str:
    """One bounded line with no control characters: ids and server messages end up on terminals."""
    return line(text, limit)


def normalise_gated(value: object) -> str | None:
    """The Hub says false, "auto" or "manual"; anything else unexpected counts as manual (fail closed)."""
    if value is None or value is False:
        return None
    if value is True:
        return "auto"
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("", "false", "none", "no"):
            return None
        if lowered in ("auto", "manual"):
            return lowered
    return "manual"


_NAMED_LICENSE = re.compile(r"licen[cs]e|usage[-_ ]?policy|许可", re.IGNORECASE)
"""Other names publishers give license files: MODEL_LICENSE, USAGE_POLICY, `Community License for
Baichuan 2 Model.pdf`, `Baichuan 2模型社区许可协议.pdf`."""
_LICENSE_SUFFIXES = ("", ".md", ".txt", ".rst", ".pdf")
PDF_SUFFIX = ".pdf"


def is_license_name(name: str) -> bool:
    """Top-level LICENSE/LICENCE files in any case with any suffix (`LICENSE.md`, `License.txt`…), and
    top-level text or PDF files whose name says license (MODEL_LICENSE, `Skywork Community License.pdf`)."""
    if "/" in name or len(name) > MAX_LICENSE_NAME_CHARS:
        return False
    if name.upper().startswith(("LICENSE", "LICENCE")):
        return True
    stem, dot, suffix = name.rpartition(".")
    if not dot or not suffix.isalnum() or len(suffix) > 4:  # `Yi-1.5 License` has no suffix
        stem, suffix = name, ""
    if suffix and f".{suffix.lower()}" not in _LICENSE_SUFFIXES:
        return False  # license_utils.py, license.json: code and data, not license text
    return bool(_NAMED_LICENSE.search(stem))


def is_pdf(name: str) -> bool:
    """A PDF license is named as evidence by its file name but never parsed."""
    return name.lower().endswith(PDF_SUFFIX)


def license_file_names(siblings: Iterable[str]) -> list[str]:
    """License files first by the usual name (LICENSE*), then the others, each group in name order."""
    names = {name for name in siblings if is_license_name(name)}
    return sorted(names, key=lambda n: (not n.upper().startswith(("LICENSE", "LICENCE")), is_pdf(n), n))


def license_link_path(link: object, repo_id: str, extra_hosts: Iterable[str] = ()) -> str | None:
    """The repo path a card's `license_link` names, or None when it points anywhere else.

    Accepted: a relative path (`LICENSE.md`, `./docs/LICENSE`) or a Hub URL of this very repo
    (`https://huggingface.co/<repo>/blob|resolve|raw/<rev>/<path>`). The revision in a URL is ignored:
    files are always read at the pinned sha being audited. Any other link is never followed.
    """
    if not isinstance(link, str):
        return None
    link = link.strip()
    if not link or len(link) > 2048:
        return None
    parts = urlsplit(link)
    if parts.scheme or parts.netloc:
        if parts.scheme not in ("http", "https"):
            return None
        hosts = {h.lower() for h in (*HUB_HOSTS, *extra_hosts)}
        if (parts.hostname or "").lower() not in hosts:
            return None
        segments = [unquote(s) for s in parts.path.split("/") if s]
        owner_name = repo_id.split("/")
        n = len(owner_name)
        if len(segments) < n + 3 or [s.lower() for s in segments[:n]] != [s.lower() for s in owner_name]:
            return None
        if segments[n] not in ("blob", "resolve", "raw"):
            return None
        path = "/".join(segments[n + 2 :])
    else:
        if parts.query or link.startswith("#"):
            return None
        path = unquote(parts.path)
    return _safe_repo_path(path)


def same_origin(url: str, endpoint: str) -> bool:
    """Is `url` on the endpoint's origin (scheme, host and port)? The token and the rate-limit buckets belong to
    it alone: an LFS file redirects to a CDN elsewhere, which may be the same host on another port."""
    if url.startswith(endpoint + "/"):  # every URL built on the endpoint: no parse per request
        return True
    ours, theirs = urlsplit(endpoint), urlsplit(url)
    try:
        return (ours.scheme, (ours.hostname or "").lower(), ours.port) == (
            theirs.scheme, (theirs.hostname or "").lower(), theirs.port
        )  # fmt: skip
    except ValueError:  # a port that is not a number
        return False


def _safe_repo_path(path: str) -> str | None:
    path = path.replace("\\", "/")
    if path.startswith("/") or any(ord(ch) < 32 for ch in path):
        return None
    normal = posixpath.normpath(path)
    if normal in (".", "") or normal.startswith("../") or normal == ".." or "/../" in normal:
        return None
    return normal


def card_settles_license(card_data: Mapping[str, Any]) -> bool:
    """Does the card name its license outright, so that no file it does not name must be found first?

    `other`, `unknown`, a missing or non-text license, or a `license_name` all send the reader to the
    repo's files: then the full file list is needed to find them.
    """
    value = card_data.get("license")
    if not isinstance(value, str) or value.strip().lower() in _UNSETTLED_LICENSES:
        return False
    return card_data.get("license_name") is None


def wanted_files(
    siblings: tuple[str, ...] | None, card_data: Mapping[str, Any], repo_id: str, extra_hosts: Iterable[str] = ()
) -> tuple[list[str], list[FileProblem]]:
    """The license files to read, and the problems known without any request.

    A file is read only when the siblings list it; a `license_link` naming a file the repo does not
    have is reported missing at once, with no request. When `siblings` is None (unknown), the linked
    file is tried anyway.
    """
    names = license_file_names(siblings or ())
    problems: list[FileProblem] = []
    link = card_data.get("license_link")
    linked = license_link_path(link, repo_id, extra_hosts)
    if linked is not None and linked not in names:
        if siblings is None or linked in siblings:
            names.append(linked)
        else:
            problems.append(
                FileProblem(linked, "missing", f"the card's license_link names {linked}, which the repo does not have")
            )
    if len(names) > MAX_LICENSE_FILES:
        for skipped in names[MAX_LICENSE_FILES:]:
            problems.append(
                FileProblem(
                    skipped, "error", f"not read: the repo has more than {MAX_LICENSE_FILES} license files "
                    f"({MAX_LICENSE_FILES.note})"
                )
            )
        names = names[:MAX_LICENSE_FILES]
    for pdf in [n for n in names if is_pdf(n)]:
        names.remove(pdf)
        problems.append(FileProblem(pdf, PDF_PROBLEM, "a PDF license file: named by its file name, not read"))
    return names, problems


def decode_file(
    path: str, head: bytes, size: int | None, truncated: bool
) -> tuple[LicenseFile | None, FileProblem | None]:
    """Turn the bytes read from a license file into evidence, or a problem saying why it is not.

    A file over the cap keeps its head (enough to recognise the license) AND reports `too-large`,
    because terms in the unread tail are unknown: the policy must not treat it as fully read.
    """
    if head.startswith(_LFS_POINTER_PREFIX):
        return None, FileProblem(path, "error", "stored with Git LFS: only its pointer is in the repo")
    if b"\x00" in head[:8192]:
        return None, FileProblem(path, "error", "binary file, not license text")
    text = head.decode("utf-8", errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    if truncated:
        text = text.rstrip("\ufffd")  # the cap may cut a multi-byte character in half
    lic = LicenseFile(path=path, text=shared_text(text), size=size, truncated=truncated)
    problem = None
    if truncated:
        shown = f"{size} bytes" if size is not None else "more than the cap"
        problem = FileProblem(path, "too-large", f"{shown}; only the first {len(head)} bytes were read")
    return lic, problem


@functools.lru_cache(maxsize=256)  # as `detect_text`'s memo, which then holds this same string
def shared_text(text: str) -> str:
    """One string for equal license texts: most license files on the Hub are copies of a few texts
    (Apache, MIT...), and a run keeps every model's evidence until the report is written."""
    return text


class CardError(ValueError):
    """Front matter that is absent, not YAML, not a mapping, or too large to trust."""


def parse_front_matter(readme: str) -> dict[str, Any]:
    """The YAML front matter of a model card as plain data, read with `safe_load` and bounded.

    Raises `CardError` with a short reason (never the card's own text) when it cannot be used.
    """
    match = _FRONT_MATTER_RE.match(readme)
    if match is None:  # many cards carry no metadata at all: nothing declared, but nothing broken either
        return {}
    loader: BoundedLoader | None = None
    try:  # the loader reads (and may refuse) its first characters as it is made
        loader = BoundedLoader(match.group(1), nodes=MAX_CARD_NODES, depth=MAX_CARD_DEPTH)
        data = loader.get_single_data()
    except YAMLBudgetError as exc:
        raise CardError(f"README.md front matter: {exc.message}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise CardError(f"README.md front matter is not valid YAML{where}: {problem}") from None
    except RecursionError:
        raise CardError(f"README.md front matter is nested too deeply ({MAX_CARD_DEPTH.note})") from None
    except (ValueError, TypeError) as exc:  # a value YAML resolves but cannot build, such as the date 2025-13-01
        raise CardError(f"README.md front matter has a value that cannot be read: {exc}") from None
    finally:
        if loader is not None:
            loader.dispose()
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise CardError(f"README.md front matter is a {type(data).__name__}, not a mapping")
    plain = plain_data(data)
    assert isinstance(plain, dict)
    return plain


def card_from_head(head: bytes, truncated: bool) -> dict[str, Any]:
    """Card data from the head of README.md (at most `MAX_FILE_BYTES`). Front matter that does not end
    within the head is not guessed at: the card was cut, and `CardError` says where and why."""
    text = head.decode("utf-8", errors="replace")
    if truncated and _FRONT_MATTER_OPEN_RE.match(text) and not _FRONT_MATTER_RE.match(text):
        raise CardError(_cut_message())
    return parse_front_matter(text)


def check_card_size(card_data: Mapping[str, Any]) -> None:
    """The Hub parses the whole front matter; keep to the same limit as a mirror, which reads only the head.

    Measured as compact JSON: near the limit the two measures can differ by a few percent (YAML and
    JSON spell the same data with slightly different lengths); far past it, both say the card was cut.
    """
    size = len(json.dumps(card_data, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8"))
    if size > MAX_FILE_BYTES:
        raise CardError(_cut_message())


def _cut_message() -> str:
    return (
        f"README.md front matter is longer than {MAX_FILE_BYTES} bytes ({MAX_FILE_BYTES.note}): "
        "the card was cut and its data was not read"
    )


def plain_data(value: Any) -> Any:
    """A JSON-safe copy of card data: str keys, no cycles, bounded size and depth.

    YAML aliases share objects, so a few lines can describe exponentially large data; copying it
    node by node with a budget turns that into a clear error instead of exhausting memory.
    """
    budget = Budget(MAX_CARD_NODES, MAX_CARD_DEPTH)

    def copy(item: Any, depth: int) -> Any:
        try:
            budget.spend(None, depth)
        except YAMLBudgetError as exc:
            raise CardError(f"card data: {exc.message}") from None
        if item is None or isinstance(item, (bool, int, str)):
            return item
        if isinstance(item, float):
            return item if item == item and item not in (float("inf"), float("-inf")) else str(item)
        if isinstance(item, (_dt.date, _dt.datetime)):
            return item.isoformat()
        if isinstance(item, Mapping):
            return {str(key): copy(val, depth + 1) for key, val in item.items()}
        if isinstance(item, (list, tuple, set, frozenset)):
            return [copy(val, depth + 1) for val in item]
        if isinstance(item, bytes):
            return item.decode("utf-8", errors="replace")
        return str(item)

    return copy(value, 0)


_RELATIONS = tuple(r.value for r in Relation.known())


def _str_list(value: object) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [item.strip() for item in items if isinstance(item, str) and item.strip()]


def derived_tags(card_data: Mapping[str, Any], siblings: Iterable[str] = ()) -> tuple[str, ...]:
    """Tags as the Hub derives them from a card: library, pipeline, its own tags and languages, `dataset:<id>`,
    `base_model:<id>` and `base_model:<relation>:<id>`, `license:<id>`."""
    tags = [*_str_list(card_data.get("library_name")), *_str_list(card_data.get("pipeline_tag"))]
    tags += [*_str_list(card_data.get("tags")), *_str_list(card_data.get("language"))]
    tags += [f"dataset:{d}" for d in _str_list(card_data.get("datasets"))]
    bases = _str_list(card_data.get("base_model"))
    if bases:
        relation = card_data.get("base_model_relation")
        if relation not in _RELATIONS:
            names = {name.rsplit("/", 1)[-1] for name in siblings}
            adapter = card_data.get("library_name") == "peft" or any(n.startswith("adapter_") for n in names)
            relation = Relation.ADAPTER if adapter else Relation.FINETUNE
        for base in bases:
            tags += [f"base_model:{base}", f"base_model:{relation}:{base}"]
    tags += [f"license:{lic.lower()}" for lic in _str_list(card_data.get("license"))]
    return tuple(dict.fromkeys(tags))
