"""`--author`/`--search` listings kept in the hub cache: warm reruns, --offline, pages, lock and check,
and a cached listing nobody should trust. The real huggingface_hub client against the stand-in."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main
from auditor.hub import open_source
from auditor.hub.content import iso_utc
from auditor.models import HubModel
from tests.hubstandin import HubStandIn
from tests.test_hub import CARD, FakeTime, routes

MakeHub = Callable[..., HubStandIn]

pytestmark = pytest.mark.usefixtures("hf_env")

APACHE = "Apache License Version 2.0, January 2004 http://www.apache.org/licenses/"


def _org(n: int, org: str = "big-org") -> dict[str, dict[str, object]]:
    return {f"{org}/m{i:03d}": {"README.md": CARD, "LICENSE": APACHE} for i in range(n)} | {
        "else/x": {"README.md": CARD}
    }


def _scan(hub: HubStandIn, cache: Path, out: Path, *extra: str) -> int:
    args = ["scan", "--author", "big-org", "--endpoint", hub.url, "--cache-dir", str(cache)]
    with pytest.raises(SystemExit) as done:
        main([*args, "--format", "json", "-o", str(out), "--no-progress", *extra])
    return int(done.value.code or 0)


def _verdicts(path: Path) -> dict[str, tuple[str, str]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {m["id"]: (m["verdict"], m["sha"]) for m in data["models"]}


def _listing_files(cache: Path) -> list[Path]:
    return sorted(cache.glob("hub-v*/*/listings/*/*.json"))


def test_warm_author_rerun_sends_no_request_and_offline_answers_from_the_listing(
    make_hub: MakeHub, tmp_path: Path
) -> None:
    hub = make_hub(_org(6), page_size=4)  # two pages: both end up in the cached listing
    cache = tmp_path / "cache"
    assert _scan(hub, cache, tmp_path / "cold.json") == 0
    assert routes(hub)["list_models"] == 2 and "model_info" not in routes(hub)
    cold = _verdicts(tmp_path / "cold.json")
    assert len(cold) == 6 and all(v == "approved" for v, _sha in cold.values())

    hub.reset_stats()
    assert _scan(hub, cache, tmp_path / "warm.json") == 0
    assert routes(hub) == {}  # the listing and every listed model from the cache
    assert _verdicts(tmp_path / "warm.json") == cold

    pinned = [f"{repo_id}@{sha}" for repo_id, (_verdict, sha) in cold.items()]
    with pytest.raises(SystemExit) as done:  # the listed models by commit: each cached as model_info's answer
        main(["scan", *pinned, "--endpoint", hub.url, "--cache-dir", str(cache), "--format", "json",
              "-o", str(tmp_path / "pinned.json"), "--no-progress"])  # fmt: skip
    assert done.value.code == 0 and routes(hub) == {}
    assert [v for v, _sha in _verdicts(tmp_path / "pinned.json").values()] == [v for v, _sha in cold.values()]

    hub.stop()  # offline needs no Hub at all
    assert _scan(hub, cache, tmp_path / "offline.json", "--offline") == 0
    assert _verdicts(tmp_path / "offline.json") == cold


def test_offline_without_a_cached_listing_is_one_line_and_exit_3(
    make_hub: MakeHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hub = make_hub(_org(2))
    assert _scan(hub, tmp_path / "cache", tmp_path / "a.json") == 0
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:  # another org: never listed, so unknown offline
        main(["scan", "--author", "else", "--endpoint", hub.url, "--cache-dir", str(tmp_path / "cache"), "--offline"])
    err = capsys.readouterr().err.strip().splitlines()
    assert done.value.code == 3
    assert err == [
        f"auditor: error: --offline: no cached listing for --author else in {tmp_path / 'cache'}; "
        "run it once without --offline"
    ]


def test_listing_goes_stale_like_a_branch_and_is_asked_again(make_hub: MakeHub, tmp_path: Path) -> None:
    hub = make_hub(_org(3))
    time = FakeTime()

    def listed(max_age: float = 3600) -> tuple[str, ...]:
        with open_source(endpoint=hub.url, cache_dir=tmp_path / "c", clock=time.clock, max_age=max_age) as source:
            ids = source.list_models(author="big-org")
            assert all(isinstance(source.fetch(i, None), HubModel) for i in ids)
            return ids

    first = listed()
    hub.reset_stats()
    time.now += 3599
    assert listed() == first and routes(hub) == {}
    time.now += 2  # past the TTL: one listing request; the models' files are reused by sha
    (hub.root / "big-org" / "m003").mkdir()
    (hub.root / "big-org" / "m003" / "README.md").write_text(CARD, encoding="utf-8")
    again = listed()
    assert again == (*first, "big-org/m003") or set(again) == {*first, "big-org/m003"}
    assert routes(hub)["list_models"] == 1 and "model_info" not in routes(hub)
    hub.reset_stats()
    listed(max_age=0)  # --max-age 0 (check --lock): always asked
    assert routes(hub)["list_models"] == 1


def test_listing_is_kept_per_query_and_per_token(make_hub: MakeHub, tmp_path: Path) -> None:
    hub = make_hub(_org(2) | {"big-org/secret": {"README.md": CARD, "_hub.json": {"private": True}}})
    cache = tmp_path / "c"
    with open_source(endpoint=hub.url, cache_dir=cache) as source:
        anonymous = source.list_models(author="big-org")
        searched = source.list_models(author="big-org", search="m001")
    with open_source(endpoint=hub.url, cache_dir=cache, token="hf_access_token") as source:
        with_token = source.list_models(author="big-org")
    assert "big-org/secret" not in anonymous and "big-org/secret" in with_token
    assert searched == ("big-org/m001",)
    assert routes(hub)["list_models"] == 3
    assert not any("hf_access_token" in p.read_text(encoding="utf-8") for p in _listing_files(cache))


@pytest.mark.parametrize(
    "damage",
    ["truncate", "not-json", "other-author", "future", "edited-entry", "bad-sha", "huge", "missing-chunk"],
)
def test_a_corrupt_or_hostile_cached_listing_is_refused_and_listed_again(
    make_hub: MakeHub, tmp_path: Path, damage: str
) -> None:
    hub = make_hub(_org(3))
    cache = tmp_path / "c"
    with open_source(endpoint=hub.url, cache_dir=cache) as source:
        ids = source.list_models(author="big-org")
    index = next(p for p in _listing_files(cache) if p.name == "index.json")
    chunk = next(p for p in _listing_files(cache) if p.name != "index.json")
    data = json.loads(chunk.read_text(encoding="utf-8"))
    if damage == "truncate":
        chunk.write_bytes(chunk.read_bytes()[:50])
    elif damage == "not-json":
        index.write_bytes(b"\xff\xfe{")
    elif damage == "other-author":  # a consistent chunk (digest recomputed) naming another org's model
        data["entries"][0]["id"] = "evil/model"
        _rewrite(index, chunk, data)
    elif damage == "future":
        meta = json.loads(index.read_text(encoding="utf-8"))
        index.write_text(json.dumps(meta | {"listed_at": 4_000_000_000}), encoding="utf-8")
    elif damage == "edited-entry":  # the digest no longer matches: e.g. a card's license changed on disk
        data["entries"][0]["cardData"] = {"license": "mit"}
        chunk.write_text(json.dumps(data), encoding="utf-8")
    elif damage == "bad-sha":
        data["entries"][0]["sha"] = "../../etc"
        _rewrite(index, chunk, data)
    elif damage == "huge":
        chunk.write_bytes(b" " * (17 * 1024 * 1024))
    else:
        chunk.unlink()
    hub.reset_stats()
    with open_source(endpoint=hub.url, cache_dir=cache) as source:
        assert source.list_models(author="big-org") == ids
        stats = source.stats()
    assert routes(hub)["list_models"] == 1
    assert stats["listing_cache_hits"] == 0
    assert stats["listing_corrupt"] == (0 if damage == "missing-chunk" else 1)
    with open_source(endpoint=hub.url, cache_dir=cache, offline=True) as source:  # rewritten whole
        assert source.list_models(author="big-org") == ids


def _rewrite(index: Path, chunk: Path, data: dict[str, object]) -> None:
    """A chunk edited with its digest recomputed: only the checks of what it says can refuse it."""
    import hashlib

    body = json.dumps(data["entries"], sort_keys=True, ensure_ascii=False).encode("utf-8")
    name = hashlib.sha256(body).hexdigest()
    shutil.move(chunk, chunk.with_name(f"{name}.json"))
    chunk.with_name(f"{name}.json").write_text(json.dumps(data), encoding="utf-8")
    meta = json.loads(index.read_text(encoding="utf-8"))
    index.write_text(json.dumps(meta | {"chunks": [name]}), encoding="utf-8")


def test_a_listing_the_hub_refuses_is_one_line_and_exit_3(
    make_hub: MakeHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hub = make_hub(_org(2))
    with pytest.raises(SystemExit) as done:
        main(["scan", "--author", "big-org", "--endpoint", hub.url, "--no-cache", "--token", "hf_not_a_real_token"])
    assert done.value.code == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("auditor: error: listing --author big-org: the Hub refused the token")
    assert "hf_not_a_real_token" not in err[0]


def test_cached_listing_entries_answer_fetch_without_model_info(make_hub: MakeHub, tmp_path: Path) -> None:
    """A listing still fresh, but a listed model's own cache entry gone: its card, files and gating
    come from the cached entry (one resolve per license file), not from a model_info call."""
    hub = make_hub(_org(2))
    with open_source(endpoint=hub.url, cache_dir=tmp_path / "c") as source:
        ids = source.list_models(author="big-org")
        first = [source.fetch(i, None) for i in ids]
    models = list((tmp_path / "c").glob("hub-v*/*/models"))
    assert models  # the per-model answers, whatever their layout inside: gone
    for folder in models:
        shutil.rmtree(folder)
    hub.reset_stats()
    with open_source(endpoint=hub.url, cache_dir=tmp_path / "c") as source:
        assert source.list_models(author="big-org") == ids
        again = [source.fetch(i, None) for i in ids]
    assert "list_models" not in routes(hub) and "model_info" not in routes(hub)
    assert [(m.sha, m.card_data, m.license_files) for m in map(_hub, again)] == [
        (m.sha, m.card_data, m.license_files) for m in map(_hub, first)
    ]


def _hub(result: object) -> HubModel:
    assert isinstance(result, HubModel), result
    return result


# ---------------------------------------------------------------- lock and check


def test_lock_records_the_listing_and_check_reports_models_added_and_removed_since(
    make_hub: MakeHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hub = make_hub(_org(3) | {"else/pinned": {"README.md": CARD}})
    lock = tmp_path / "models.lock"
    common = ["--endpoint", hub.url, "--cache-dir", str(tmp_path / "cache")]

    def run(*args: str) -> int:
        with pytest.raises(SystemExit) as done:
            main([*args, *common])
        return int(done.value.code or 0)

    assert run("lock", "--author", "big-org", "else/pinned", "--lock-file", str(lock), "--no-progress") == 0
    text = lock.read_text(encoding="utf-8")
    assert 'listing: {"authors": ["big-org"], "search": null}' in text
    assert text.count('"big-org/') == 3 and '"else/pinned"' in text
    capsys.readouterr()
    assert run("check", "--lock", str(lock)) == 0  # nothing changed: the org listed again, no drift

    shutil.rmtree(hub.root / "big-org" / "m000")  # the org removes one model and publishes another
    (hub.root / "big-org" / "new").mkdir()
    (hub.root / "big-org" / "new" / "README.md").write_text(CARD, encoding="utf-8")
    capsys.readouterr()
    assert run("check", "--lock", str(lock), "--format", "json", "-o", str(tmp_path / "check.json")) == 1
    report = json.loads((tmp_path / "check.json").read_text(encoding="utf-8"))
    findings = {m["id"]: [f["rule"] for f in m["findings"]] for m in report["models"]}
    assert "not-in-lock" in findings["big-org/new"]
    assert "big-org/m000" not in findings and "else/pinned" in findings  # the named model is still audited
    shown = capsys.readouterr()
    assert "1 not-in-lock, 1 stale-lock-entry" in shown.out
    assert "big-org/m000 is in models.lock but --author big-org no longer lists it" in shown.err

    assert run("lock", "--lock-file", str(lock), "--no-progress") == 0  # re-pin: lists the org again
    text = lock.read_text(encoding="utf-8")
    assert '"big-org/new"' in text and '"big-org/m000"' not in text and '"else/pinned"' in text
    assert 'listing: {"authors": ["big-org"], "search": null}' in text
    assert run("check", "--lock", str(lock), "--offline") == 0  # from the cached listing, no Hub needed


@pytest.mark.parametrize(
    "listing",
    ['{"authors": ["../etc"], "search": null}', '{"authors": [], "search": null}', '"big-org"', "{authors: [1]}"],
)
def test_a_bad_listing_in_a_lock_is_one_line_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], listing: str
) -> None:
    lock = tmp_path / "models.lock"
    lock.write_text(f"version: 1\nlisting: {listing}\nmodels: {{}}\n", encoding="utf-8")
    with pytest.raises(SystemExit) as done:
        main(["check", "--lock", str(lock), "--offline"])
    assert done.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"auditor: error: {lock}:2: 'listing'")


def test_a_warm_author_run_never_imports_huggingface_hub(make_hub: MakeHub, tmp_path: Path) -> None:
    """The cached listing's entries wait, unparsed, for a client that a warm run never needs to make."""
    from tests.test_startup import _fresh_python

    hub = make_hub(_org(3))
    with open_source(endpoint=hub.url, cache_dir=tmp_path / "c") as source:
        assert all(isinstance(source.fetch(i, None), HubModel) for i in source.list_models(author="big-org"))
    hub.reset_stats()
    code = f"""
import json, sys
from auditor.hub import open_source
from auditor.models import HubModel
with open_source(endpoint={hub.url!r}, cache_dir={str(tmp_path / "c")!r}) as source:
    ids = source.list_models(author="big-org")
    ok = all(isinstance(source.fetch(i, None), HubModel) for i in ids)
print(json.dumps({{"ids": len(ids), "ok": ok,
                  "imported": sorted(m for m in sys.modules if m.startswith(("huggingface_hub", "httpx2")))}}))
"""
    assert _fresh_python(code, tmp_path) == {"ids": 3, "ok": True, "imported": []}
    assert routes(hub) == {}


def test_each_listing_page_is_paced_and_retried_like_model_info(make_hub: MakeHub) -> None:
    from auditor.hub import HfHubSource

    hub = make_hub(_org(5), page_size=2)  # three pages; the second one fails once
    hub.set_faults(only_paths=r"^/api/models$", fail_first_n=2, fail_mode="status", fail_status=429)
    client = HfHubSource(hub.url, sleep=lambda _s: None)
    assert len(client.list_models(author="big-org")) == 5
    stats = client.stats()
    assert stats["retries"] == 2 and stats["rate_limited"] == 2
    assert stats["requests_listing"] == stats["requests_api"] == routes(hub)["list_models"] == 5


def test_an_unreachable_hub_fails_the_listing_within_the_runs_retries(
    make_hub: MakeHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hub = make_hub(_org(1))
    url = hub.url
    hub.stop()
    with pytest.raises(SystemExit) as done:
        main(["scan", "--author", "big-org", "--endpoint", url, "--no-cache", "--retries", "0"])
    assert done.value.code == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("auditor: error: listing --author big-org: cannot reach ")


def test_a_listing_page_waiting_for_the_api_quota_shows_as_a_wait(make_hub: MakeHub) -> None:
    """What the progress bar shows (`quota_wait`): the second page waits for the next API window."""
    import threading

    from auditor.hub import HfHubSource
    from auditor.hub.ratelimit import Bucket

    hub = make_hub(_org(4), page_size=2, quotas={"api": (1, 1), "resolvers": (50, 50), "pages": (1, 1)})
    hub.set_faults(quota_window_s=2)
    client = HfHubSource(hub.url)
    seen = []
    lister = threading.Thread(target=lambda: seen.append(client.list_models(author="big-org")))
    lister.start()
    waits = []
    while lister.is_alive():
        wait = client.quota_wait()
        if wait is not None:
            waits.append(wait.bucket)
        lister.join(0.05)
    assert len(seen[0]) == 4 and Bucket.API in waits
    assert hub.stats()["by_status"].get(429, 0) == 0  # held back, never refused


def test_a_model_answered_from_a_cached_listing_is_as_old_as_the_listing(make_hub: MakeHub, tmp_path: Path) -> None:
    """Its report time is the listing's, and its cache entry goes stale when the listing would: an answer
    taken from an hour-old listing must not be served as fresh for another hour."""
    hub = make_hub(_org(1))
    time = FakeTime()

    def source() -> Any:
        return open_source(endpoint=hub.url, cache_dir=tmp_path / "c", clock=time.clock, max_age=3600)

    listed_at = time.now
    with source() as first:
        (repo_id,) = first.list_models(author="big-org")
    for folder in (tmp_path / "c").glob("hub-v*/*/models"):  # the model's own entry gone, the listing kept
        shutil.rmtree(folder)
    time.now += 3599
    with source() as rerun:
        assert rerun.list_models(author="big-org") == (repo_id,)
        model = _hub(rerun.fetch(repo_id, None))
    assert model.fetched_at == iso_utc(listed_at)
    hub.reset_stats()
    time.now += 100  # past the TTL counted from the listing, within it counted from the rerun
    with source() as later:
        _hub(later.fetch(repo_id, None))
    assert routes(hub).get("model_info") == 1
