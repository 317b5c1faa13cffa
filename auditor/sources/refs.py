"""Model ids as people write them: `org/name`, `org/name@revision`, `api:PROVIDER/MODEL`; one a line in list files."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterable
from pathlib import Path

from auditor.errors import InputFileError, UsageError
from auditor.inputfile import display_name, read_text_bounded
from auditor.models import HOSTED_PREFIX, ModelRef, Origin

# The Hub's repo name rules: letters, digits, '-', '_', '.'; no '--' or '..'; at most 96 characters.
# Legacy ids without an owner (`gpt2`) still resolve on the Hub, so the owner is optional.
_PART = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?"
_ID_RE = re.compile(rf"^(?:{_PART}/)?{_PART}$")
_REV_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,254}$")
# Hosted models: `api:PROVIDER/MODEL`. Providers spell model ids their own way (Bedrock
# `anthropic.claude-3-5-sonnet-20240620-v1:0`, Vertex `claude-sonnet-4@20250514`), so the model part
# allows ':' and '@'; it is an identifier, never a path or URL that anything follows.
_PROVIDER_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_HOSTED_MODEL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@+/-]{0,199}$")


def id_problem(repo_id: str) -> str | None:
    """Why `repo_id` is not a valid Hub model id, or None when it is."""
    if not _ID_RE.match(repo_id):
        return f"not a Hub model id: {repo_id!r} (expected org/name)"
    if "--" in repo_id or ".." in repo_id:
        return f"not a Hub model id: {repo_id!r} ('--' and '..' are not allowed)"
    return None


_HUB_URL = re.compile(r"^(?:https?://)?(?:www\.)?(?:huggingface\.co|hf\.co)/(?P<path>[^?#]*)(?:[?#].*)?$", re.I)
_REV_VIEWS = ("tree", "blob", "resolve", "commit", "raw", "edit")
_NOT_MODELS = {"datasets": "a dataset", "spaces": "a Space"}


def normalise_model_text(text: str) -> str:
    """`org/name[@revision]` from what people paste: a Hub page URL (`https://huggingface.co/org/name`,
    `…/tree/REV` and `…/blob/REV/file` become `@REV`) and trailing slashes. Other text is returned as is."""
    text = text.strip()
    match = _HUB_URL.match(text)
    if match is None:
        return text.rstrip("/") if "/" in text.rstrip("/") else text
    parts = [urllib.parse.unquote(p) for p in match["path"].split("/") if p]
    if parts and parts[0] in _NOT_MODELS:
        raise ValueError(f"{text!r} is {_NOT_MODELS[parts[0]]}, not a model")
    if len(parts) >= 4 and parts[2] in _REV_VIEWS:
        return f"{parts[0]}/{parts[1]}@{parts[3]}"
    if len(parts) == 3 and parts[2] in _REV_VIEWS:
        return f"{parts[0]}/{parts[1]}"
    return "/".join(parts[:2]) if len(parts) <= 2 or parts[2] in ("discussions", "blame", "commits") else text


def parse_model_id(text: str) -> tuple[str, str | None]:
    """Split `org/name[@revision]` (or a pasted Hub URL); raise ValueError with a readable message when malformed."""
    text = normalise_model_text(text)
    repo_id, sep, revision = text.partition("@")
    problem = id_problem(repo_id)
    if problem:
        raise ValueError(problem)
    if sep and not _REV_RE.match(revision):
        raise ValueError(f"not a revision: {revision!r} in {text!r}")
    return repo_id, (revision if sep else None)


def is_hosted_id(text: str) -> bool:
    return text.strip().startswith(HOSTED_PREFIX)


def parse_hosted_id(text: str) -> tuple[str, str]:
    """Split `api:PROVIDER/MODEL` into (provider, model); raise ValueError with a readable message."""
    text = text.strip()
    body = text[len(HOSTED_PREFIX) :] if text.startswith(HOSTED_PREFIX) else text
    provider, sep, model = body.partition("/")
    if not sep or not model:
        raise ValueError(f"not a hosted model id: {text!r} (expected api:PROVIDER/MODEL, e.g. api:openai/gpt-4o)")
    if not _PROVIDER_RE.match(provider):
        raise ValueError(f"not a provider name: {provider!r} in {text!r} (lower-case letters, digits and '-')")
    if not _HOSTED_MODEL_RE.match(model) or ".." in model:
        raise ValueError(f"not a hosted model name: {model!r} in {text!r}")
    return provider, model


def is_key(text: str) -> bool:
    """A provider or offering name as rules/providers.yaml spells them."""
    return bool(_PROVIDER_RE.match(text))


def hosted_id(provider: str, model: str) -> str:
    return f"{HOSTED_PREFIX}{provider}/{model}"


def parse_ref(text: str, origin: Origin | None = None) -> ModelRef:
    """One reference as a person writes it: `org/name[@revision]` or `api:PROVIDER/MODEL`."""
    if is_hosted_id(text):
        return ModelRef(hosted_id(*parse_hosted_id(text)), origin=origin)
    repo_id, revision = parse_model_id(text)
    return ModelRef(repo_id, revision, origin=origin)


def refs_from_args(values: Iterable[str]) -> list[ModelRef]:
    refs = []
    for value in values:
        try:
            refs.append(parse_ref(value))
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    return refs


def read_list_file(path: Path | str) -> list[ModelRef]:
    """One model per line; `#` starts a comment; blank lines are skipped."""
    name = display_name(path)
    text = read_text_bounded(path, what="model list")
    refs = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            refs.append(parse_ref(line, Origin(name, number)))
        except ValueError as exc:
            raise InputFileError(name, number, str(exc)) from None
    return refs


def read_refs_file(path: Path | str) -> list[ModelRef]:
    """A list file, or an inventory when the name ends in .yaml/.yml."""
    from auditor.sources.inventory import read_inventory

    if str(path).lower().endswith((".yaml", ".yml")):
        return read_inventory(path)
    return read_list_file(path)
