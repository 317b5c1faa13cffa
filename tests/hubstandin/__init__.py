"""Hugging Face Hub stand-in for tests: a real HTTP server serving model repos from folders.

See :mod:`tests.hubstandin.server` for the repo layout, routes and fault injection.
"""

from .server import (
    CONTROL_PREFIX,
    DEFAULT_ACCESS_TOKENS,
    DEFAULT_USER_TOKENS,
    LFS_EXTENSIONS,
    FaultConfig,
    HubStandIn,
    RequestRecord,
    StandInError,
    compute_repo_sha,
    git_blob_oid,
    lfs_pointer,
    write_repo,
)

__all__ = [
    "CONTROL_PREFIX",
    "DEFAULT_ACCESS_TOKENS",
    "DEFAULT_USER_TOKENS",
    "LFS_EXTENSIONS",
    "FaultConfig",
    "HubStandIn",
    "RequestRecord",
    "StandInError",
    "compute_repo_sha",
    "git_blob_oid",
    "lfs_pointer",
    "write_repo",
]
