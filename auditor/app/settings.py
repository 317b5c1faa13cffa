"""Typed, frozen settings: what the CLI (or any caller) hands the application layer.

The CLI turns argv, the environment and `[tool.auditor]` into these; the application layer reads
nothing else. Defaults here are the tool's defaults (a policy may still supply the use).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from auditor.models import Status
from auditor.sources.listing import Listing

DEFAULT_JOBS = 8
DEFAULT_MAX_AGE = 3600
DEFAULT_TIMEOUT = 20.0
DEFAULT_RETRIES = 4
DEFAULT_LOCK_FILE = Path("models.lock")


@dataclass(frozen=True)
class HubSettings:
    """Where model information comes from and how politely it is fetched."""

    endpoint: str | None = None
    token: str | None = field(default=None, repr=False)  # never shown, not even in a repr
    hub_dir: Path | None = None
    snapshot: Path | None = None
    save_snapshot: Path | None = None
    cache_dir: Path | None = None
    no_cache: bool = False
    offline: bool = False
    max_age: int | None = None  # None: DEFAULT_MAX_AGE, or 0 where a command must see drift
    jobs: int = DEFAULT_JOBS
    timeout: float = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    # model_info for every model, even anonymous: without the file list a MODEL_LICENSE or a PDF license
    # beside an apache-2.0 card goes unseen, and fail-closed outranks the API quota (see HfHubSource card_first).
    full_evidence: bool = True


@dataclass(frozen=True)
class Inputs:
    """The models to audit: ids, list or inventory files, and code to discover them in."""

    model_ids: tuple[str, ...] = ()
    ref_files: tuple[Path, ...] = ()
    discover_paths: tuple[Path, ...] = ()
    discover_exclude: tuple[str, ...] = ()
    listing: Listing = field(default_factory=Listing)  # --author/--search: listed once the Hub source is open

    @property
    def given(self) -> bool:
        return bool(self.model_ids or self.ref_files or self.discover_paths or self.listing.wanted)


@dataclass(frozen=True)
class Settings:
    """Everything one run needs. Each command reads the fields it has flags for."""

    inputs: Inputs = Inputs()
    hub: HubSettings = HubSettings()
    policy_path: Path | None = None  # None: the bundled rules/policy.yaml
    use: str | None = None  # None: the policy's default_use
    fail_on: Status = Status.BLOCKED
    exit_zero: bool = False
    lock_path: Path | None = None
    diff_base: Path | None = None
