"""The hub layer under injected faults: retries, backoff, Retry-After, and no model ever lost."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from auditor.hub import HfHubSource, MemoSource, open_source
from auditor.models import FetchError, FetchErrorKind, FetchResult, HubModel
from tests.hubstandin import HubStandIn
from tests.test_hub import CARD, FakeTime, client, error, model, routes

MakeHub = Callable[..., HubStandIn]

pytestmark = pytest.mark.usefixtures("hf_env")

REPO = {"org/a": {"README.md": CARD, "LICENSE": "Apache License 2.0 text"}}


def test_503_twice_then_success(make_hub: MakeHub) -> None:
    hub = make_hub(REPO)
    hub.set_faults(fail_first_n=2, fail_status=503)
    t = FakeTime()
    src = client(hub, t=t)
    got = model(src.fetch("org/a", None))
    assert got.license_files[0].text == "Apache License 2.0 text"
    # model_info failed twice, and so did both hops of the file's resolve (/resolve/, then the
    # resolve-cache it redirects to): two retries each, with growing backoff caps.
    assert src.stats()["retries"] == 6
    assert routes(hub) == {"model_info": 3, "resolve": 5, "resolve_cache": 3}
    assert len(t.sleeps) == 6
    assert all(0 <= s <= 4.0 for s in t.sleeps)


def test_429_waits_as_long_as_retry_after_says(make_hub: MakeHub) -> None:
    hub = make_hub(REPO)
    hub.set_faults(fail_first_n=1, fail_status=429, retry_after=7, only_paths="^/api/models")
    t = FakeTime()
    got = client(hub, t=t).fetch("org/a", None)
    assert isinstance(got, HubModel)
    assert len(t.sleeps) == 1
    assert 7 <= t.sleeps[0] <= 7.25  # past the reset, not on it


def test_retry_after_is_capped(make_hub: MakeHub) -> None:
    hub = make_hub(REPO)
    hub.set_faults(fail_first_n=1, fail_status=429, retry_after=3600, only_paths="^/api/models")
    t = FakeTime()
    assert isinstance(client(hub, t=t).fetch("org/a", None), HubModel)
    assert 300 <= max(t.sleeps) <= 300.25  # one Hub window at most: no honest reset is further off


def test_a_429_holds_back_its_bucket_for_every_request_not_the_others(make_hub: MakeHub) -> None:
    hub = make_hub({"org/a": REPO["org/a"], "org/b": REPO["org/a"]})
    hub.set_faults(fail_first_n=1, fail_status=429, retry_after=5, only_paths="^/api/models/org/a$")
    t = FakeTime()
    src = client(hub, t=t)
    model(src.fetch("org/a", None))
    assert [round(s, 2) for s in t.sleeps] == [5.05]  # the API bucket waited out the Retry-After, once
    model(src.fetch("org/b", None))
    assert len(t.sleeps) == 1  # the window has passed: nothing waits any more
    assert src.stats()["rate_limited"] == 1


@pytest.mark.parametrize("mode", ["drop", "truncate"])
def test_dropped_and_truncated_responses_recover(make_hub: MakeHub, mode: str) -> None:
    hub = make_hub(REPO)
    hub.set_faults(fail_first_n=2, fail_mode=mode)
    t = FakeTime()
    src = client(hub, t=t)
    got = model(src.fetch("org/a", None))
    assert got.license_files[0].text == "Apache License 2.0 text"  # a cut body is never taken as the text
    # Per path: model_info, the resolve and its redirect target (a truncated 307 has no body to cut).
    assert src.stats()["retries"] == {"drop": 6, "truncate": 4}[mode]


@pytest.mark.parametrize(
    ("faults", "kind"),
    [
        ({"fail_status": 503}, FetchErrorKind.SERVER),
        ({"fail_status": 429, "retry_after": 1}, FetchErrorKind.RATE_LIMITED),
        ({"fail_mode": "drop"}, FetchErrorKind.NETWORK),
        ({"fail_mode": "truncate"}, FetchErrorKind.NETWORK),
    ],
)
def test_failures_that_outlast_the_retries_are_values(
    make_hub: MakeHub, faults: dict[str, object], kind: FetchErrorKind
) -> None:
    hub = make_hub(REPO)
    hub.set_faults(fail_first_n=100, **faults)
    t = FakeTime()
    got = error(client(hub, t=t, retries=3).fetch("org/a", None))
    assert got.kind is kind
    assert "after 4 attempts" in got.message
    assert len(hub.requests) == 4


def test_license_file_failing_for_good_fails_the_model_not_silently(make_hub: MakeHub) -> None:
    hub = make_hub(REPO)
    hub.set_faults(fail_first_n=100, fail_status=502, only_paths="/resolve/")
    got = error(client(hub, retries=2).fetch("org/a", None))
    # Its evidence would be incomplete: an error verdict, never a model judged without its LICENSE.
    assert got.kind is FetchErrorKind.SERVER


def test_per_request_timeout(make_hub: MakeHub) -> None:
    hub = make_hub(REPO)
    hub.set_faults(latency_ms=3000)
    started = time.monotonic()
    got = error(client(hub, timeout=0.2, retries=1).fetch("org/a", None))
    assert got.kind is FetchErrorKind.NETWORK
    assert "0.2 s" in got.message
    assert time.monotonic() - started < 2


def test_1000_models_under_20_percent_faults_all_end_as_values(make_hub: MakeHub, tmp_path: Path) -> None:
    rng = random.Random(7)
    repos: dict[str, dict[str, str | bytes | dict[str, object]]] = {}
    expected_license: dict[str, str | None] = {}
    for i in range(1000):
        name = f"org{i % 10}/model-{i}"
        files: dict[str, str | bytes | dict[str, object]] = {
            "README.md": f"---\nlicense: {rng.choice(['mit', 'apache-2.0', 'other'])}\nbase_model: org0/model-0\n---\n"
        }
        if i % 10 < 3:
            text = f"License for {name}\n" + "terms " * rng.randint(10, 2000)
            files["LICENSE"] = text
            expected_license[name] = text
        else:
            expected_license[name] = None
        repos[name] = files
    hub = make_hub(repos)
    hub.set_faults(error_rate=0.1, drop_rate=0.05, rate_limit_rate=0.03, retry_after=1, truncate_rate=0.02, seed=3)

    source = MemoSource(HfHubSource(hub.url, None, sleep=lambda s: None, timeout=5, rng=random.Random(1)))
    names = sorted(repos)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=16) as pool:
        results: list[FetchResult] = list(pool.map(lambda n: source.fetch(n, None), names))
        bases = list(pool.map(lambda n: source.fetch("org0/model-0", None), names[:50]))
    elapsed = time.monotonic() - started

    assert len(results) == 1000
    assert all(isinstance(r, (HubModel, FetchError)) for r in results)
    assert all(b == results[0] for b in bases)  # the shared base came from the memo
    ok = [r for r in results if isinstance(r, HubModel)]
    assert len(ok) >= 990  # 5 attempts each: a model only fails if every one of them does
    for got in ok:
        want = expected_license[got.repo_id]
        texts = [f.text for f in got.license_files]
        # No fault ever turns into a missing or cut license: evidence is complete or the model is an error.
        assert texts == ([want] if want is not None else []), got.repo_id
        assert got.file_problems == ()
    stats = source.stats()
    assert stats["retries"] > 100  # the faults did happen
    assert stats["requests_model_info"] <= 1000 * 5
    assert elapsed < 60  # no real sleeping (sleep is injected): only the requests, ~3.5 per model card-first


def test_close_cuts_a_long_retry_after_short(make_hub: MakeHub) -> None:
    hub = make_hub(REPO)
    hub.set_faults(fail_first_n=1, fail_status=429, retry_after=30)
    source = open_source(endpoint=hub.url, no_cache=True)
    results: list[FetchResult] = []
    worker = threading.Thread(target=lambda: results.append(source.fetch("org/a", None)))
    started = time.monotonic()
    worker.start()
    time.sleep(0.3)  # the worker is now waiting out the Retry-After
    source.close()  # what the CLI does after Ctrl-C
    worker.join(timeout=5)
    assert not worker.is_alive()
    assert time.monotonic() - started < 3
    stopped = error(results[0])
    assert stopped.message == "org/a: not fetched, the run was stopped"
