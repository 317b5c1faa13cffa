"""Run the Hub stand-in until killed: ``python -m tests.hubstandin --root DIR [--port N] ...``.

The first line printed on stdout is the base URL (e.g. ``http://127.0.0.1:40123``).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from .server import DEFAULT_ACCESS_TOKENS, DEFAULT_USER_TOKENS, FaultConfig, HubStandIn


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m tests.hubstandin", description=__doc__)
    p.add_argument("--root", type=Path, required=True, help="folder holding <org>/<name>/ repos")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 (default) picks a free port")
    p.add_argument("--token", action="append", default=None, help="token with access to gated/private repos")
    p.add_argument("--user-token", action="append", default=None, help="valid token without gated access")
    p.add_argument("--no-control", action="store_true", help="turn off the /_standin/ control routes")
    p.add_argument("--page-size", type=int, default=1000, help="page size of /api/models")
    p.add_argument("--tree-page-size", type=int, default=1000, help="page size of /tree")
    p.add_argument("--no-anonymous-warning", action="store_true", help="do not send X-HF-Warning")
    g = p.add_argument_group("faults")
    g.add_argument("--latency-ms", type=float, default=0.0)
    g.add_argument("--error-rate", type=float, default=0.0)
    g.add_argument("--rate-limit-rate", type=float, default=0.0)
    g.add_argument("--retry-after", type=int, default=1)
    g.add_argument("--drop-rate", type=float, default=0.0)
    g.add_argument("--truncate-rate", type=float, default=0.0)
    g.add_argument("--seed", type=int, default=None)
    g.add_argument("--only-paths", default=None, help="regex: faults only for matching URL paths")
    g.add_argument("--fail-first-n", type=int, default=0)
    g.add_argument("--fail-status", type=int, default=503)
    g.add_argument("--fail-mode", choices=("status", "drop", "truncate"), default="status")
    g.add_argument(
        "--quota-window", type=float, default=0.0, metavar="SECONDS",
        help="enforce the Hub's rate-limit buckets over fixed windows this long (300 on the Hub; 0: off)",
    )  # fmt: skip
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not args.root.is_dir():
        print(f"--root {args.root} is not a directory", file=sys.stderr)
        return 2
    faults = FaultConfig(
        latency_ms=args.latency_ms,
        error_rate=args.error_rate,
        rate_limit_rate=args.rate_limit_rate,
        retry_after=args.retry_after,
        drop_rate=args.drop_rate,
        truncate_rate=args.truncate_rate,
        seed=args.seed,
        only_paths=args.only_paths,
        fail_first_n=args.fail_first_n,
        fail_status=args.fail_status,
        fail_mode=args.fail_mode,
        quota_window_s=args.quota_window,
    )
    try:
        faults.validate()
    except ValueError as e:
        print(f"invalid fault setting: {e}", file=sys.stderr)
        return 2
    hub = HubStandIn(
        args.root,
        access_tokens=frozenset(args.token) if args.token else DEFAULT_ACCESS_TOKENS,
        user_tokens=frozenset(args.user_token) if args.user_token else DEFAULT_USER_TOKENS,
        faults=faults,
        host=args.host,
        port=args.port,
        control=not args.no_control,
        page_size=args.page_size,
        tree_page_size=args.tree_page_size,
        warn_anonymous=not args.no_anonymous_warning,
    )
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    url = hub.start()
    print(url, flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        hub.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
