"""What a run imports and builds before its first request (issue 15: CPU per model, start-up included).

A run the cache answers entirely must not import huggingface_hub (about 0.2 s of CPU); the Hub client
is made on the first request, from the options the run chose, and behaves as if made up front.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.hub import HfHubSource, open_source
from auditor.hub.deferred import DeferredClient
from auditor.models import FetchError, HubModel
from tests.hubstandin import HubStandIn

REPO = Path(__file__).resolve().parent.parent
LLAMA3 = "meta-llama/Meta-Llama-3-8B-Instruct"

pytestmark = pytest.mark.usefixtures("hf_env")


def _fresh_python(code: str, tmp_path: Path) -> dict[str, object]:
    """Run `code` in a new interpreter (this one has imported everything); it prints a JSON object."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_a_run_the_cache_answers_never_imports_huggingface_hub(tmp_path: Path) -> None:
    code = f"""
import json, sys
from auditor.app import engine
from auditor.hub import open_source
from auditor.models import FetchError
with open_source(endpoint="http://127.0.0.1:9", cache_dir={str(tmp_path / "cache")!r}, offline=True) as source:
    result = source.fetch("org/model", "a" * 40)
    stats = source.stats()
print(json.dumps({{"error": isinstance(result, FetchError), "requests": stats["requests"],
                  "imported": sorted(m for m in sys.modules if m.startswith(("huggingface_hub", "httpx2")))}}))
"""
    seen = _fresh_python(code, tmp_path)
    assert seen == {"error": True, "requests": 0, "imported": []}


def test_the_client_made_late_is_the_client_made_early(hub_standin: HubStandIn) -> None:
    late = DeferredClient(hub_standin.url, None, retries=1)
    before = late.stats()
    early = HfHubSource(hub_standin.url, None, retries=1)
    assert before == early.stats()  # the same counters, at zero, before the client exists
    assert late.describe() == early.describe() and late.has_token is early.has_token is False
    assert late.quota_wait() is None
    got, expected = late.fetch(LLAMA3, None), early.fetch(LLAMA3, None)
    assert isinstance(got, HubModel) and isinstance(expected, HubModel)
    assert (got.sha, got.card_data, got.license_files) == (expected.sha, expected.card_data, expected.license_files)
    assert late.stats()["requests"] == early.stats()["requests"] > 0


def test_a_run_cancelled_before_its_first_request_sends_none(hub_standin: HubStandIn) -> None:
    hub_standin.reset_stats()
    late = DeferredClient(hub_standin.url, None)
    late.cancel()
    assert isinstance(late.fetch(LLAMA3, None), FetchError)
    assert hub_standin.requests == []


def test_open_source_asks_the_hub_through_the_late_client(hub_standin: HubStandIn, tmp_path: Path) -> None:
    with open_source(endpoint=hub_standin.url, cache_dir=tmp_path / "cache") as source:
        before = source.stats()
        assert source.quota_wait() is None
        assert isinstance(source.fetch(LLAMA3, None), HubModel)
        assert LLAMA3 in source.list_models(author=LLAMA3.split("/")[0])
        after = source.stats()
    assert before.keys() == after.keys()  # --stats names every counter whether or not the client was made
    assert after["requests"] > 0 and after["listing_cache_misses"] == 1


def test_the_cli_quiets_huggingface_hub_imported_after_it(tmp_path: Path) -> None:
    code = """
import json, logging
from auditor.cli import main
try:
    main(["--version"])
except SystemExit:
    pass
import huggingface_hub.utils.logging
print(json.dumps({"level": logging.getLogger("huggingface_hub").level}))
"""
    assert _fresh_python(code, tmp_path) == {"level": 40}  # logging.ERROR


def test_a_command_imports_its_own_module_only(tmp_path: Path) -> None:
    code = """
import json, sys
from auditor.cli import main
try:
    main(["scan", "--help"])
except SystemExit:
    pass
print(json.dumps({"loaded": sorted(m for m in sys.modules if m.startswith("auditor.cli."))}))
"""
    loaded = _fresh_python(code, tmp_path)["loaded"]
    assert isinstance(loaded, list) and "auditor.cli.scan" in loaded
    assert not {f"auditor.cli.{name}" for name in ("check", "discover", "explain", "lock", "policy")} & set(loaded)


def test_what_is_alive_at_exit_is_left_out_of_the_exit_collections(tmp_path: Path) -> None:
    # The check is registered before main(), so it runs after main's own exit handler (last in, first out).
    code = """
import atexit, gc, json
atexit.register(lambda: print(json.dumps({"frozen": gc.get_freeze_count() > 0})))
from auditor.cli import main
main(["--version"])
"""
    assert _fresh_python(code, tmp_path) == {"frozen": True}
