"""auditor: is this Hugging Face model cleared for commercial use, under which obligations, and why."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("hf-model-auditor")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
