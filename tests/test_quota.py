"""The Hub's rate limits: the stand-in's buckets and headers, the client's pacing, card-first fetching,
and org-wide listing, all with the real huggingface_hub client against the stand-in."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2
import pytest
from huggingface_hub.utils import parse_ratelimit_headers  # type: ignore[attr-defined]

from auditor.cli import main
from auditor.hub import HfHubSource, MemoSource, open_source
from auditor.hub.ratelimit import Bucket, Pacer, bucket_of
from auditor.models import HubModel
from tests.hubstandin import HubStandIn
from tests.hubstandin.quota import Quotas
from tests.test_hub import CARD, FakeTime, model, routes

MakeHub = Callable[..., HubStandIn]

pytestmark = pytest.mark.usefixtures("hf_env")

ACCESS = "hf_access_token"
APACHE = "Apache License Version 2.0, January 2004 http://www.apache.org/licenses/"
REPOS = {
    "org/settled": {"README.md": CARD, "LICENSE": APACHE},
    "org/bare": {"README.md": "---\nlicense: mit\n---\n", "weights.bin": b"\x00"},
    "org/other": {"README.md": "---\nlicense: other\nlicense_name: acme\n---\n", "LICENSE.md": "ACME terms"},
    "org/gated": {"README.md": CARD, "_hub.json": {"gated": "manual"}},
}


# ---------------------------------------------------------------- the stand-in's buckets


@pytest.mark.parametrize(
    ("path", "bucket"),
    [
        ("/api/models/org/a", "api"),
        ("/api/models", "api"),
        ("/org/a/resolve/main/README.md", "resolvers"),
        ("/api/resolve-cache/models/org/a/" + "0" * 40 + "/README.md", "resolvers"),
        ("/org/a/raw/main/README.md", "pages"),
        ("/org/a/blob/main/README.md", "pages"),
        ("/org/a", "pages"),
    ],
)
def test_both_sides_sort_paths_into_the_hubs_buckets(path: str, bucket: str) -> None:
    from tests.hubstandin.quota import bucket_of as standin_bucket

    assert standin_bucket(path) == bucket
    assert bucket_of(path).value == bucket


def test_standin_announces_each_bucket_in_ietf_headers_the_client_parses(make_hub: MakeHub) -> None:
    hub = make_hub(REPOS)
    hub.set_faults(quota_window_s=300)
    anonymous = httpx2.get(f"{hub.url}/api/models/org/settled")
    info = parse_ratelimit_headers(anonymous.headers)
    assert info is not None
    assert (info.resource_type, info.remaining, info.limit, info.window_seconds) == ("api", 499, 500, 300)
    assert 0 < info.reset_in_seconds <= 300
    assert anonymous.headers["RateLimit-Policy"] == '"fixed window";"api";q=500;w=300'
    with_token = httpx2.get(f"{hub.url}/org/settled/raw/main/README.md", headers={"Authorization": f"Bearer {ACCESS}"})
    page = parse_ratelimit_headers(with_token.headers)
    assert page is not None and (page.resource_type, page.remaining, page.limit) == ("pages", 199, 200)
    resolved = httpx2.get(f"{hub.url}/org/settled/resolve/main/README.md", follow_redirects=True)
    resolver = parse_ratelimit_headers(resolved.headers)
    assert resolver is not None and (resolver.resource_type, resolver.remaining) == ("resolvers", 2998)


def test_standin_answers_429_with_retry_after_past_the_quota(make_hub: MakeHub) -> None:
    hub = make_hub(REPOS, quotas={"api": (2, 4), "resolvers": (3, 5), "pages": (1, 2)})
    hub.set_faults(quota_window_s=60)
    statuses = [httpx2.get(f"{hub.url}/api/models/org/settled").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    refused = httpx2.get(f"{hub.url}/api/models/org/settled")
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["RateLimit"].startswith('"api";r=0;')
    # Other buckets, and other callers, have their own counts.
    assert httpx2.get(f"{hub.url}/org/settled/resolve/main/README.md", follow_redirects=True).status_code == 200
    token = {"Authorization": f"Bearer {ACCESS}"}
    assert httpx2.get(f"{hub.url}/api/models/org/settled", headers=token).status_code == 200
    assert hub.stats()["by_bucket"]["api"] == 5


def test_quota_windows_are_fixed_and_reset() -> None:
    now = [0.0]
    quotas = Quotas(10, {"api": (1, 2), "resolvers": (1, 1), "pages": (1, 1)}, clock=lambda: now[0])
    assert quotas.check("a", False, "/api/x").allowed
    refused = quotas.check("a", False, "/api/x")
    assert not refused.allowed and refused.retry_after == 10
    now[0] = 9.5
    assert quotas.check("a", False, "/api/x").retry_after == 1  # whole seconds, rounded up, never 0
    now[0] = 10.0
    assert quotas.check("a", False, "/api/x").allowed


# ---------------------------------------------------------------- the client's pacing


def test_pacer_holds_a_known_empty_bucket_until_its_reset_and_counts_requests_in_flight() -> None:
    t = FakeTime()
    pacer = Pacer(clock=t.clock, sleep=t.sleep)
    assert pacer.acquire(Bucket.API)  # nothing announced yet: not limited
    pacer.observe(Bucket.API, {"RateLimit": '"api";r=2;t=30', "RateLimit-Policy": '"fixed window";"api";q=500;w=300'})
    assert pacer.acquire(Bucket.API) and pacer.acquire(Bucket.API)  # two left, two now in flight
    assert t.sleeps == []
    assert pacer.acquire(Bucket.RESOLVERS)  # another bucket is not held back
    pacer.observe(Bucket.API, {"RateLimit": '"api";r=1;t=29'})  # one answer back; one still in flight
    assert pacer.acquire(Bucket.API)  # ... which waits for the window (as first announced): r=1 is spoken for
    assert [round(s, 2) for s in t.sleeps] == [30.05]


def test_pacer_keeps_the_lowest_count_of_a_window_whatever_order_answers_arrive_in() -> None:
    t = FakeTime()
    pacer = Pacer(clock=t.clock, sleep=t.sleep)
    assert pacer.acquire(Bucket.API)
    pacer.observe(Bucket.API, {"RateLimit": '"api";r=5;t=10'})
    for _ in range(2):
        assert pacer.acquire(Bucket.API)
    pacer.observe(Bucket.API, {"RateLimit": '"api";r=0;t=10'})
    pacer.observe(Bucket.API, {"RateLimit": '"api";r=1;t=10'})  # sent first, answered last
    assert pacer.acquire(Bucket.API)
    assert [round(s, 2) for s in t.sleeps] == [10.05]


def test_pacer_probes_an_unheard_bucket_with_one_request_then_lets_the_rest_go() -> None:
    pacer = Pacer()
    assert pacer.acquire(Bucket.API)
    with ThreadPoolExecutor(2) as pool:
        second = pool.submit(pacer.acquire, Bucket.API)
        threading.Event().wait(0.2)
        assert not second.done()  # held until the probe's answer says how much the window holds
        pacer.observe(Bucket.API, {"RateLimit": '"api";r=10;t=60'})
        assert second.result(timeout=5)
    pacer.observe(Bucket.RESOLVERS, {})  # a bucket whose answers carry no header is not limited
    assert all(pacer.acquire(Bucket.RESOLVERS) for _ in range(20))


def test_pacer_empties_a_bucket_on_429_whatever_the_headers_said() -> None:
    t = FakeTime()
    pacer = Pacer(clock=t.clock, sleep=t.sleep)
    assert pacer.acquire(Bucket.RESOLVERS)
    pacer.observe(Bucket.RESOLVERS, {"Retry-After": "12"}, status=429)
    assert pacer.acquire(Bucket.RESOLVERS)
    assert [round(s, 2) for s in t.sleeps] == [12.05]
    assert pacer.waited_seconds() == pytest.approx(12.0)


def test_pacer_wait_is_visible_while_it_lasts() -> None:
    release = threading.Event()
    pacer = Pacer(clock=lambda: 1000.0, sleep=lambda s: release.wait(5))
    pacer.observe(Bucket.API, {"RateLimit": '"api";r=0;t=40'})
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(pacer.acquire, Bucket.API)
        for _ in range(200):
            wait = pacer.waiting()
            if wait is not None:
                break
            threading.Event().wait(0.01)
        assert wait is not None and wait.bucket is Bucket.API and wait.until == pytest.approx(1040.0)
        release.set()
        assert waiting.result(timeout=5)
    assert pacer.waiting() is None


def test_a_run_under_tight_quotas_never_hits_an_empty_bucket(make_hub: MakeHub) -> None:
    repos = {f"org/m{i}": {"README.md": CARD, "LICENSE": APACHE} for i in range(6)}
    hub = make_hub(repos, quotas={"api": (3, 3), "resolvers": (8, 8), "pages": (1, 1)})
    hub.set_faults(quota_window_s=1)
    source = MemoSource(HfHubSource(hub.url, None))
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda i: source.fetch(f"org/m{i}", None), range(6)))
    assert all(isinstance(r, HubModel) and r.license_files for r in got)
    assert hub.stats()["by_status"].get(429, 0) == 0  # waited for each window instead of being refused
    assert source.stats()["quota_wait_s"] >= 1


# ---------------------------------------------------------------- card first (anonymous)


def test_card_first_reads_card_and_commit_through_resolvers_and_skips_model_info(make_hub: MakeHub) -> None:
    hub = make_hub(REPOS)
    src = HfHubSource(hub.url, None, card_first=True)
    got = model(src.fetch("org/settled", None))
    assert got.sha == hub.current_sha("org/settled")  # from X-Repo-Commit
    assert got.card_data == {"license": "apache-2.0"}
    assert "license:apache-2.0" in got.tags
    assert [f.path for f in got.license_files] == ["LICENSE"]
    assert got.gated is None and got.private is False
    assert routes(hub) == {"resolve": 2, "resolve_cache": 2}  # README, LICENSE: no API request at all
    hub.reset_stats()
    bare = model(src.fetch("org/bare", None))
    assert bare.license_files == () and bare.file_problems == ()  # a LICENSE that is not there is no problem
    assert routes(hub) == {"resolve": 2, "resolve_cache": 1}


def test_card_first_asks_model_info_when_the_card_does_not_settle_it_or_the_repo_is_gated(make_hub: MakeHub) -> None:
    hub = make_hub(REPOS)
    src = HfHubSource(hub.url, None, card_first=True)
    other = model(src.fetch("org/other", None))
    assert [f.path for f in other.license_files] == ["LICENSE.md"]  # found through the file list
    assert routes(hub)["model_info_rev"] == 1  # pinned to the commit the README came from
    hub.reset_stats()
    gated = model(src.fetch("org/gated", None))
    assert gated.gated == "manual"
    assert routes(hub)["model_info"] == 1


def test_card_first_and_model_info_give_the_same_evidence_for_a_settled_card(make_hub: MakeHub) -> None:
    hub = make_hub(REPOS)
    lean = model(HfHubSource(hub.url, None, card_first=True).fetch("org/settled", None))
    full = model(HfHubSource(hub.url, None).fetch("org/settled", None))
    assert (lean.sha, lean.card_data, lean.license_files) == (full.sha, full.card_data, full.license_files)
    assert {t for t in lean.tags if t.startswith("license:")} == {t for t in full.tags if t.startswith("license:")}


def test_card_first_is_off_by_default_and_with_a_token(make_hub: MakeHub) -> None:
    hub = make_hub(REPOS | {"org/pdf": {"README.md": CARD, "MODEL_LICENSE.pdf": b"%PDF-1.4"}})
    got = model(HfHubSource(hub.url, None).fetch("org/pdf", None))
    assert "MODEL_LICENSE.pdf" in got.siblings  # the file list, which card-first would not have seen
    assert routes(hub) == {"model_info": 1}
    hub.reset_stats()
    model(HfHubSource(hub.url, ACCESS, card_first=True).fetch("org/settled", None))
    assert routes(hub)["model_info"] == 1  # with a token only model_info tells whether a repo is gated


# ---------------------------------------------------------------- whole organisations


def _org(n: int) -> dict[str, dict[str, object]]:
    return {f"big-org/m{i:03d}": {"README.md": CARD, "LICENSE": APACHE} for i in range(n)} | {
        "else/x": {"README.md": CARD}
    }


def test_listing_an_org_costs_one_api_request_per_page_and_no_model_info(make_hub: MakeHub) -> None:
    hub = make_hub(_org(30), page_size=20)
    src = MemoSource(HfHubSource(hub.url, ACCESS))
    client = src.inner
    assert isinstance(client, HfHubSource)
    ids = client.list_models(author="big-org")
    assert len(ids) == 30 and all(i.startswith("big-org/") for i in ids)
    assert routes(hub) == {"list_models": 2}  # two pages, followed through the Link header
    got = [src.fetch(i, None) for i in ids]
    assert all(isinstance(r, HubModel) and r.license_files for r in got)
    assert "model_info" not in routes(hub)


def test_scan_author_gives_the_same_verdicts_as_the_same_models_from_a_list(
    make_hub: MakeHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hub = make_hub(_org(5) | {"big-org/gpl": {"README.md": "---\nlicense: gpl-3.0\n---\n"}})
    common = ["--endpoint", hub.url, "--no-cache", "--format", "json", "--exit-zero", "--no-progress"]
    with pytest.raises(SystemExit):
        main(["scan", "--author", "big-org", *common, "-o", str(tmp_path / "org.json")])
    listed = [r.query for r in hub.requests if r.route == "list_models"]
    assert len(listed) == 1 and "expand=cardData" in listed[0]
    ids = [*sorted(f"big-org/m{i:03d}" for i in range(5)), "big-org/gpl"]
    with pytest.raises(SystemExit):
        main(["scan", *ids, *common, "-o", str(tmp_path / "list.json")])
    def verdicts(name: str) -> dict[str, str]:
        data = json.loads((tmp_path / name).read_text(encoding="utf-8"))
        return {m["id"]: m["verdict"] for m in data["models"]}

    assert verdicts("org.json") == verdicts("list.json")
    assert len(verdicts("org.json")) == 6


def test_author_is_validated_and_needs_the_hub(make_hub: MakeHub, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as bad:
        main(["scan", "--author", "../etc", "--no-cache"])
    assert bad.value.code == 2
    assert "not a Hub user or organisation name" in capsys.readouterr().err
    hub = make_hub(REPOS)
    with pytest.raises(SystemExit) as mirror:
        main(["scan", "--author", "org", "--hub-dir", str(hub.root)])
    assert mirror.value.code == 2
    assert "--author and --search list models on the Hub" in capsys.readouterr().err


def test_lock_and_check_take_an_author(make_hub: MakeHub, tmp_path: Path) -> None:
    hub = make_hub(_org(3))
    lock = tmp_path / "models.lock"
    common = ["--endpoint", hub.url, "--cache-dir", str(tmp_path / "cache")]
    with pytest.raises(SystemExit) as locked:
        main(["lock", "--author", "big-org", "--lock-file", str(lock), "--no-progress", *common])
    assert locked.value.code == 0
    assert lock.read_text(encoding="utf-8").count("big-org/") == 3
    with pytest.raises(SystemExit) as checked:
        main(["check", "--author", "big-org", "--lock", str(lock), *common])
    assert checked.value.code == 0


def test_open_source_lists_with_the_same_client_it_fetches_with(make_hub: MakeHub, tmp_path: Path) -> None:
    hub = make_hub(_org(4))
    with open_source(endpoint=hub.url, cache_dir=tmp_path / "c") as source:
        ids = source.list_models(author="big-org")
        assert all(isinstance(source.fetch(i, None), HubModel) for i in ids)
    assert Counter(r.route for r in hub.requests)["model_info"] == 0
    # Warm: the listing again (one request), every model from the cache by its sha.
    hub.reset_stats()
    with open_source(endpoint=hub.url, cache_dir=tmp_path / "c", max_age=0) as source:
        ids = source.list_models(author="big-org")
        assert all(isinstance(source.fetch(i, None), HubModel) for i in ids)
    assert routes(hub) == {"list_models": 1}



# ---------------------------------------------------------------- the progress bar while a quota is spent


def test_progress_line_names_the_bucket_the_wait_and_an_eta() -> None:
    from auditor.cli.common import ProgressBar
    from auditor.hub.ratelimit import Wait

    bar = ProgressBar(enabled=False)
    bar.show_quota_wait(lambda: Wait(Bucket.API, 1020.0, 500))
    assert bar.line(now=1000.0) == "listing models on the Hub; waiting 20s for the Hub's api quota"
    bar.show_quota_wait(lambda: None)
    bar.done, bar.total = 10, 40
    assert "waiting" not in bar.line(now=1000.0)
    bar.show_quota_wait(lambda: Wait(Bucket.RESOLVERS, 1095.0, 3000))
    line = bar.line(now=1000.0)
    assert "10/40 models" in line and "waiting 1m35s for the Hub's resolvers quota, ETA " in line


def test_progress_shows_the_quota_wait_of_a_real_run(make_hub: MakeHub) -> None:
    import re

    from auditor.app.run import audit
    from auditor.app.settings import HubSettings, Settings
    from auditor.cli.common import ProgressBar
    from auditor.models import ModelRef, ModelResult

    repos = {f"org/m{i}": {"README.md": CARD, "LICENSE": APACHE} for i in range(6)}
    hub = make_hub(repos, quotas={"api": (3, 3), "resolvers": (50, 50), "pages": (1, 1)})
    hub.set_faults(quota_window_s=2)
    lines: list[str] = []

    class Recording(ProgressBar):
        def __call__(self, result: ModelResult, total: int) -> None:
            super().__call__(result, total)
            lines.append(self.line())

    settings = Settings(hub=HubSettings(endpoint=hub.url, no_cache=True, jobs=4))
    report = audit([ModelRef(f"org/m{i}") for i in range(6)], settings, Recording(enabled=False))
    assert len(report.results) == 6 and hub.stats()["by_status"].get(429, 0) == 0
    waits = [line for line in lines if "waiting" in line]
    assert waits, lines  # models finished while others waited for the next API window
    assert re.search(r"waiting \d+s for the Hub's api quota, ETA \d+s", waits[0])
