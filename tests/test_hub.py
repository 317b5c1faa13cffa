"""The hub layer against the Hub stand-in, with the real huggingface_hub client (no mocking)."""

from __future__ import annotations

import json
import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from auditor.errors import InputFileError, UsageError
from auditor.hub import (
    CachedSource,
    DirSource,
    HfHubSource,
    MemoSource,
    SnapshotSource,
    open_source,
    result_from_json,
    result_to_json,
)
from auditor.hub.content import (
    CardError,
    is_license_name,
    license_link_path,
    parse_front_matter,
    plain_data,
)
from auditor.models import FetchError, FetchErrorKind, FetchResult, HubModel
from tests.hubstandin import HubStandIn, compute_repo_sha, git_blob_oid

HUB_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "hub"
MakeHub = Callable[..., HubStandIn]

ACCESS = "hf_access_token"
USER = "hf_user_token"
LLAMA3 = "meta-llama/Meta-Llama-3-8B-Instruct"

pytestmark = pytest.mark.usefixtures("hf_env")


class FakeTime:
    """A clock that moves only when slept on, so retries and TTLs are tested without waiting."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


def client(hub: HubStandIn, token: str | None = None, t: FakeTime | None = None, **kwargs: object) -> HfHubSource:
    t = t or FakeTime()
    return HfHubSource(hub.url, token, sleep=t.sleep, clock=t.clock, rng=random.Random(0), **kwargs)  # type: ignore[arg-type]


def routes(hub: HubStandIn) -> Counter[str]:
    return Counter(r.route for r in hub.requests)


def model(result: FetchResult) -> HubModel:
    assert isinstance(result, HubModel), result
    return result


def error(result: FetchResult) -> FetchError:
    assert isinstance(result, FetchError), result
    return result


CARD = "---\nlicense: apache-2.0\n---\n# A model\n"


# ---------------------------------------------------------------- the real client


def test_corpus_model_pinned_to_its_sha_with_license_file(hub_standin: HubStandIn) -> None:
    hub_standin.reset_stats()
    src = client(hub_standin)
    got = model(src.fetch(LLAMA3, None))
    assert got.sha == hub_standin.current_sha(LLAMA3)
    assert got.requested_revision == "main"
    assert got.card_data["license"] == "llama3"
    assert "license:llama3" in got.tags
    assert got.gated is None
    assert got.private is False
    assert "README.md" in got.siblings
    assert "LICENSE" in got.siblings
    [lic] = got.license_files
    expected = (HUB_FIXTURES / LLAMA3 / "LICENSE").read_text(encoding="utf-8")
    assert lic.path == "LICENSE"
    assert lic.text == expected
    assert not lic.truncated
    assert got.file_problems == ()
    assert got.card_error is None
    assert got.source == hub_standin.url
    assert got.fetched_at.endswith("Z")
    assert got.last_modified
    # One model_info, one GET of the license at the pinned commit, nothing else.
    assert routes(hub_standin) == {"model_info": 1, "resolve": 1, "resolve_cache": 1}
    assert any(r.path.endswith(f"/resolve/{got.sha}/LICENSE") for r in hub_standin.requests)
    assert src.stats()["requests"] == 2
    assert src.stats()["requests_model_info"] == 1
    assert src.stats()["requests_file"] == 1
    assert src.stats()["requests_api"] == 1  # per bucket: model_info; the resolve and its redirect
    assert src.stats()["requests_resolvers"] == 2


def test_license_file_redirect_keeps_the_connection(hub_standin: HubStandIn) -> None:
    # /resolve/ answers 307 to /api/resolve-cache/: the redirect's body is read, so its connection serves
    # the next hop instead of being dropped (on the Hub every license file would cost a TLS handshake).
    src = client(hub_standin)
    before = hub_standin.connections_accepted
    for _ in range(3):
        [lic] = model(src.fetch(LLAMA3, None)).license_files
        assert lic.text
    assert hub_standin.connections_accepted - before <= 1


def test_equal_license_texts_are_one_string(hub_standin: HubStandIn) -> None:
    # A run keeps every model's evidence until its report is written: copies of one text share memory.
    first = model(client(hub_standin).fetch(LLAMA3, None)).license_files[0].text
    again = model(client(hub_standin).fetch(LLAMA3, None)).license_files[0].text
    assert first == again
    assert first is again


def test_no_license_file_means_no_file_request(hub_standin: HubStandIn) -> None:
    hub_standin.reset_stats()
    got = model(client(hub_standin).fetch("openai-community/gpt2", None))
    assert got.license_files == ()
    assert got.file_problems == ()
    assert routes(hub_standin) == {"model_info": 1}


def test_license_files_in_any_case_and_suffix_and_license_link(make_hub: MakeHub) -> None:
    hub = make_hub(
        {
            "org/many": {
                "README.md": "---\nlicense: other\nlicense_link: docs/TERMS.txt\n---\n",
                "License.txt": "Licence one",
                "LICENSE-MODEL": "Model terms",
                "LICENCE": "British spelling",
                "docs/TERMS.txt": "Linked terms",
                "docs/LICENSE": "not top level: ignored",
                "NOTICE": "not a license file name",
            },
            "org/url-link": {
                "README.md": "---\nlicense: other\nlicense_link: https://huggingface.co/org/url-link/blob/main/TERMS.md\n---\n",
                "TERMS.md": "Terms via URL",
            },
            "org/foreign-link": {
                "README.md": "---\nlicense: other\nlicense_link: https://example.com/org/foreign-link/blob/main/X\n---\n",
                "X": "never fetched",
            },
            "org/dangling-link": {"README.md": "---\nlicense: other\nlicense_link: LICENSE.md\n---\n"},
        }
    )
    src = client(hub)
    many = model(src.fetch("org/many", None))
    assert {f.path: f.text for f in many.license_files} == {
        "LICENCE": "British spelling",
        "LICENSE-MODEL": "Model terms",
        "License.txt": "Licence one",
        "docs/TERMS.txt": "Linked terms",
    }
    url = model(src.fetch("org/url-link", None))
    assert [(f.path, f.text) for f in url.license_files] == [("TERMS.md", "Terms via URL")]

    hub.reset_stats()
    foreign = model(src.fetch("org/foreign-link", None))
    assert foreign.license_files == ()
    assert foreign.file_problems == ()
    dangling = model(src.fetch("org/dangling-link", None))
    assert [(p.path, p.kind) for p in dangling.file_problems] == [("LICENSE.md", "missing")]
    # Neither the foreign link nor the file the repo does not have cost a request.
    assert routes(hub) == {"model_info": 2}


def test_gated_license_is_a_file_problem_without_access_and_text_with_it(make_hub: MakeHub) -> None:
    hub = make_hub({"org/gated": {"README.md": CARD, "LICENSE": "Gated terms", "_hub.json": {"gated": "manual"}}})
    anonymous = model(client(hub).fetch("org/gated", None))
    assert anonymous.gated == "manual"
    assert anonymous.license_files == ()
    [problem] = anonymous.file_problems
    assert (problem.path, problem.kind) == ("LICENSE", "gated")
    assert "token" in problem.message

    no_access = model(client(hub, USER).fetch("org/gated", None))
    assert [p.kind for p in no_access.file_problems] == ["gated"]

    with_access = model(client(hub, ACCESS).fetch("org/gated", None))
    assert with_access.gated == "manual"
    assert [(f.path, f.text) for f in with_access.license_files] == [("LICENSE", "Gated terms")]
    assert with_access.file_problems == ()


def test_missing_private_and_disabled_repos(make_hub: MakeHub) -> None:
    hub = make_hub(
        {
            "org/private": {"README.md": CARD, "_hub.json": {"private": True}},
            "org/disabled": {"README.md": CARD, "_hub.json": {"disabled": True}},
        }
    )
    missing = error(client(hub).fetch("org/nope", None))
    assert missing.kind is FetchErrorKind.NOT_FOUND
    assert missing.message == "org/nope: not found, or private and no token with access"
    assert error(client(hub, USER).fetch("org/nope", None)).kind is FetchErrorKind.NOT_FOUND
    assert error(client(hub).fetch("org/private", None)).kind is FetchErrorKind.NOT_FOUND
    private = model(client(hub, ACCESS).fetch("org/private", None))
    assert private.private is True
    assert error(client(hub, USER).fetch("org/disabled", None)).kind is FetchErrorKind.DISABLED
    hub.reset_stats()
    client(hub).fetch("org/nope", None)
    assert len(hub.requests) == 1  # a 401/404 is an answer, never retried


def test_revisions_pinned_named_and_unknown(make_hub: MakeHub) -> None:
    hub = make_hub({"org/rev": {"README.md": CARD, "LICENSE": "v1"}})
    old_sha = hub.current_sha("org/rev")
    (hub.root / "org/rev/LICENSE").write_text("v2", encoding="utf-8")
    (hub.root / "org/rev/_hub.json").write_text(json.dumps({"refs": {"v1.0": old_sha}}), encoding="utf-8")
    src = client(hub)
    main = model(src.fetch("org/rev", None))
    assert main.sha != old_sha
    assert main.license_files[0].text == "v2"
    pinned = model(src.fetch("org/rev", old_sha))
    assert pinned.sha == old_sha
    assert pinned.requested_revision == old_sha
    assert pinned.license_files[0].text == "v1"  # read at the pinned commit, not at main
    tagged = model(src.fetch("org/rev", "v1.0"))
    assert tagged.sha == old_sha
    assert tagged.license_files[0].text == "v1"
    bad = error(src.fetch("org/rev", "no-such-branch"))
    assert bad.kind is FetchErrorKind.REVISION_NOT_FOUND
    assert "no-such-branch" in bad.message


def test_invalid_token_is_auth_and_never_printed(make_hub: MakeHub) -> None:
    hub = make_hub({"org/a": {"README.md": CARD}})
    secret = "hf_ThisIsASecretTokenValue"
    got = error(client(hub, secret).fetch("org/a", None))
    assert got.kind is FetchErrorKind.AUTH
    assert secret not in got.message
    assert secret not in repr(got)


def test_invalid_repo_id_is_a_value_and_sends_nothing(make_hub: MakeHub) -> None:
    hub = make_hub({"org/a": {"README.md": CARD}})
    src = client(hub)
    for bad in ("../../etc/passwd", "a/b/c", "org/..", "", "org/na me"):
        assert error(src.fetch(bad, None)).kind is FetchErrorKind.INVALID_ID
    assert hub.requests == []


def test_hub_that_is_down_fails_fast_with_network_errors() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    t = FakeTime()
    src = HfHubSource(f"http://127.0.0.1:{port}", None, sleep=t.sleep, clock=t.clock, timeout=2)
    started = time.monotonic()
    first = error(src.fetch("org/a", None))
    assert first.kind is FetchErrorKind.NETWORK
    assert "after 5 attempts" in first.message
    assert f"127.0.0.1:{port}" in first.message
    assert len(t.sleeps) == 4
    # Once the Hub is known to be unreachable, other models fail at once instead of backing off again.
    for name in ("org/b", "org/c"):
        assert error(src.fetch(name, None)).kind is FetchErrorKind.NETWORK
    assert len(t.sleeps) == 4
    assert time.monotonic() - started < 5


def test_card_without_card_data_falls_back_to_readme(make_hub: MakeHub) -> None:
    hub = make_hub(
        {
            "org/broken": {"README.md": "---\nlicense: [apache-2.0\n---\n", "LICENSE": "Apache"},
            "org/bare": {"README.md": "# no front matter\n"},
            "org/none": {"LICENSE": "MIT"},
        }
    )
    src = client(hub)
    hub.reset_stats()
    broken = model(src.fetch("org/broken", None))
    assert broken.card_data == {}
    assert broken.card_error is not None
    assert "not valid YAML" in broken.card_error
    assert [f.path for f in broken.license_files] == ["LICENSE"]
    # README only because the Hub gave no card data
    assert routes(hub) == {"model_info": 1, "resolve": 2, "resolve_cache": 2}
    bare = model(src.fetch("org/bare", None))
    assert bare.card_error is None  # no metadata is not broken metadata: nothing is declared
    assert bare.card_data == {}
    none = model(src.fetch("org/none", None))
    assert none.card_error is None
    assert none.card_data == {}


def test_oversized_license_keeps_its_head_and_says_so(make_hub: MakeHub) -> None:
    text = "APACHE LICENSE 2.0\n" + "x" * (300 * 1024)
    hub = make_hub({"org/big": {"README.md": CARD, "LICENSE": text, "LICENSE.bin": b"\x00\x01binary"}})
    got = model(client(hub).fetch("org/big", None))
    [lic] = got.license_files
    assert lic.truncated
    assert lic.text.startswith("APACHE LICENSE 2.0")
    assert len(lic.text) == 256 * 1024
    assert lic.size == len(text)
    assert sorted((p.path, p.kind) for p in got.file_problems) == [("LICENSE", "too-large"), ("LICENSE.bin", "error")]


def test_hostile_card_yaml_is_bounded(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 8):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 10) + "]")
    bomb = "---\n" + "\n".join(lines) + "\nlicense: mit\n---\n"  # 10**8 values once expanded
    with pytest.raises(CardError, match="more than"):
        parse_front_matter(bomb)
    with pytest.raises(CardError, match="not a mapping"):
        parse_front_matter("---\n- a\n- b\n---\n")
    with pytest.raises(CardError):
        parse_front_matter("---\n!!python/object/apply:os.system ['true']\n---\n")
    repo = tmp_path / "org" / "bomb"
    repo.mkdir(parents=True)
    (repo / "README.md").write_text(bomb, encoding="utf-8")
    got = model(DirSource(tmp_path).fetch("org/bomb", None))
    assert got.card_data == {}
    assert got.card_error is not None
    assert plain_data({1: {"d": __import__("datetime").date(2024, 1, 2)}}) == {"1": {"d": "2024-01-02"}}


def test_license_link_only_points_inside_the_repo() -> None:
    repo = "org/name"
    assert license_link_path("LICENSE.md", repo) == "LICENSE.md"
    assert license_link_path("./docs/LICENSE", repo) == "docs/LICENSE"
    assert license_link_path("https://huggingface.co/org/name/blob/main/LICENSE", repo) == "LICENSE"
    assert license_link_path("https://huggingface.co/Org/Name/resolve/v1/a%20b/LICENSE.txt", repo) == "a b/LICENSE.txt"
    assert license_link_path("https://hub.example/org/name/raw/main/L", repo, ["hub.example"]) == "L"
    for outside in (
        "https://huggingface.co/other/model/blob/main/LICENSE",
        "https://github.com/org/name/blob/main/LICENSE",
        "https://huggingface.co/org/name",
        "file:///etc/passwd",
        "../other/LICENSE",
        "/etc/passwd",
        "docs/../../x",
        "LICENSE?download=1",
        "",
        None,
        ["LICENSE"],
    ):
        assert license_link_path(outside, repo) is None, outside
    assert all(is_license_name(n) for n in ("LICENSE", "license.md", "Licence.txt", "LICENSE-MODEL"))
    others = (
        "MODEL_LICENSE",
        "USAGE_POLICY",
        "Community License for Baichuan 2 Model.md",
        "Baichuan 2模型许可协议.pdf",
    )
    assert all(is_license_name(n) for n in others)
    assert not any(is_license_name(n) for n in ("docs/LICENSE", "NOTICE", "README.md", "MY_LICENSE.py", "x.json"))


# ---------------------------------------------------------------- the mirror


def test_dir_source_matches_the_hub(hub_standin: HubStandIn) -> None:
    mirror = DirSource(HUB_FIXTURES)
    hub = client(hub_standin, ACCESS)
    for repo_id in (
        LLAMA3,
        "tencent/HunyuanWorld-Mirror",
        "stabilityai/stable-diffusion-3.5-large",
        "nerijs/pixel-art-xl",
    ):
        local, remote = model(mirror.fetch(repo_id, None)), model(hub.fetch(repo_id, None))
        assert local.sha == remote.sha  # same files, same sha
        assert local.card_data == remote.card_data
        assert local.license_files == remote.license_files
        assert local.file_problems == remote.file_problems
        assert local.gated == remote.gated
        assert local.siblings == remote.siblings
        assert set(local.tags) <= set(remote.tags)
        assert local.source == f"hub-dir:{HUB_FIXTURES}"
    pixel = model(mirror.fetch("nerijs/pixel-art-xl", None))
    assert "base_model:stabilityai/stable-diffusion-xl-base-1.0" in pixel.tags
    assert "license:creativeml-openrail-m" in pixel.tags


def test_dir_source_gated_revisions_and_errors(tmp_path: Path) -> None:
    repo = tmp_path / "org" / "gated"
    repo.mkdir(parents=True)
    (repo / "README.md").write_text(CARD, encoding="utf-8")
    (repo / "LICENSE").write_text("Gated terms", encoding="utf-8")
    (repo / "_hub.json").write_text('{"gated": "manual"}', encoding="utf-8")
    src = DirSource(tmp_path)
    got = model(src.fetch("org/gated", None))
    assert got.gated == "manual"
    assert [f.text for f in got.license_files] == ["Gated terms"]
    assert got.siblings == ("LICENSE", "README.md")
    oids = {p: git_blob_oid((repo / p).read_bytes()) for p in got.siblings}
    assert got.sha == compute_repo_sha(oids)
    assert model(src.fetch("org/gated", got.sha)).requested_revision == got.sha
    assert error(src.fetch("org/gated", "v2")).kind is FetchErrorKind.REVISION_NOT_FOUND
    assert error(src.fetch("org/missing", None)).kind is FetchErrorKind.NOT_FOUND
    assert error(src.fetch("../etc", None)).kind is FetchErrorKind.INVALID_ID
    (repo / "_hub.json").write_text("{not json", encoding="utf-8")
    broken = model(src.fetch("org/gated", None))
    assert broken.gated == "manual"  # unreadable gating facts: assume the worst
    assert [(p.path, p.kind) for p in broken.file_problems] == [("_hub.json", "error")]


# ---------------------------------------------------------------- memo


def test_memo_fetches_a_shared_base_once_under_concurrency(make_hub: MakeHub) -> None:
    hub = make_hub({"org/base": {"README.md": CARD, "LICENSE": "Apache"}})
    hub.set_faults(latency_ms=50)
    memo = MemoSource(client(hub))
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda _: memo.fetch("org/base", None), range(50)))
    assert all(r == results[0] for r in results)
    assert routes(hub) == {"model_info": 1, "resolve": 1, "resolve_cache": 1}
    stats = memo.stats()
    assert stats["memo_hits"] == 49
    assert stats["requests"] == 2
    # The same commit asked for by its sha is the same answer.
    pinned = model(memo.fetch("org/base", model(results[0]).sha))
    assert pinned.requested_revision == pinned.sha
    assert routes(hub)["model_info"] == 1


# ---------------------------------------------------------------- cache


def cached(hub: HubStandIn, cache: Path, t: FakeTime, token: str | None = None, **kwargs: object) -> CachedSource:
    return CachedSource(client(hub, token, t), cache, clock=t.clock, **kwargs)  # type: ignore[arg-type]


def test_cache_warm_run_of_pinned_models_sends_nothing(make_hub: MakeHub, tmp_path: Path) -> None:
    hub = make_hub({"org/a": {"README.md": CARD, "LICENSE": "Apache"}, "org/b": {"README.md": CARD}})
    t = FakeTime()
    shas = {name: hub.current_sha(name) for name in ("org/a", "org/b")}
    cold = {name: cached(hub, tmp_path, t).fetch(name, sha) for name, sha in shas.items()}
    hub.reset_stats()
    t.now += 10 * 365 * 86400  # pinned content never expires
    warm_source = cached(hub, tmp_path, t)
    warm = {name: warm_source.fetch(name, sha) for name, sha in shas.items()}
    assert hub.requests == []
    assert warm_source.stats()["cache_hits"] == 2
    assert warm_source.stats()["requests"] == 0
    for name in shas:
        w, c = model(warm[name]), model(cold[name])
        assert w.license_files == c.license_files
        assert w.sha == c.sha
        assert w.card_data == c.card_data
        assert w.fetched_at == c.fetched_at  # when the evidence was fetched, not when it was read back
        assert w.source == f"cache:{hub.url}"


def test_cache_branch_ttl_then_revalidates_with_one_request(make_hub: MakeHub, tmp_path: Path) -> None:
    hub = make_hub({"org/a": {"README.md": CARD, "LICENSE": "Apache"}})
    t = FakeTime()
    first = model(cached(hub, tmp_path, t, max_age=3600).fetch("org/a", None))
    hub.reset_stats()
    t.now += 1800
    model(cached(hub, tmp_path, t, max_age=3600).fetch("org/a", None))
    assert hub.requests == []  # fresh
    t.now += 3600
    again = model(cached(hub, tmp_path, t, max_age=3600).fetch("org/a", None))
    # Expired: one model_info says main still points at the cached commit; its files are not fetched again.
    assert routes(hub) == {"model_info": 1}
    assert again.license_files == first.license_files
    assert again.sha == first.sha
    hub.reset_stats()
    (hub.root / "org/a/LICENSE").write_text("Changed terms", encoding="utf-8")
    t.now += 7200
    changed = model(cached(hub, tmp_path, t, max_age=3600).fetch("org/a", None))
    assert changed.sha != first.sha
    assert changed.license_files[0].text == "Changed terms"
    assert routes(hub) == {"model_info": 1, "resolve": 1, "resolve_cache": 1}


def test_cache_keeps_one_file_per_model_in_shared_folders_and_a_branch_entry_answers_its_pinned_commit(
    make_hub: MakeHub, tmp_path: Path
) -> None:
    repos = {f"org/m{i}": {"README.md": CARD, "LICENSE": "Apache"} for i in range(6)}
    hub = make_hub(repos)
    t = FakeTime()
    source = cached(hub, tmp_path, t)
    for name in repos:
        model(source.fetch(name, None))
    entries = sorted(tmp_path.rglob("models/*/*.json"))
    assert len(entries) == len(repos)  # one write per model: the branch's entry holds the model
    assert {p.parent.name for p in entries} <= {f"{i:02x}" for i in range(256)}  # folders shared, not per model
    # `lock` then `check`: the pinned commits are the ones the branch entries hold; no request.
    hub.reset_stats()
    t.now += 10 * 86400
    pinned = cached(hub, tmp_path, t)
    for name in repos:
        sha = hub.current_sha(name)
        assert sha is not None
        assert model(pinned.fetch(name, sha)).requested_revision == sha
    assert hub.requests == []
    assert pinned.stats()["cache_hits"] == len(repos)


def test_cache_keeps_a_branchs_old_commit_when_the_branch_moves_on(make_hub: MakeHub, tmp_path: Path) -> None:
    hub = make_hub({"org/a": {"README.md": CARD, "LICENSE": "Apache"}})
    t = FakeTime()
    old = model(cached(hub, tmp_path, t, max_age=60).fetch("org/a", None))
    (hub.root / "org/a/LICENSE").write_text("Changed terms", encoding="utf-8")
    t.now += 120
    new = model(cached(hub, tmp_path, t, max_age=60).fetch("org/a", None))
    assert new.sha != old.sha
    hub.reset_stats()
    source = cached(hub, tmp_path, t, max_age=60)
    assert model(source.fetch("org/a", old.sha)).license_files == old.license_files
    assert model(source.fetch("org/a", new.sha)).license_files[0].text == "Changed terms"
    assert model(source.fetch("org/a", None)).sha == new.sha
    assert hub.requests == []


@pytest.mark.parametrize("max_names", [0, 65536], ids=["past-the-cap", "listed"])
def test_cache_lookups_see_what_the_run_wrote_and_what_was_there(
    make_hub: MakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, max_names: int
) -> None:
    """Folders are listed once (a miss then costs no system call); what this run writes is found, what an
    earlier run wrote is found, and past the listing's cap every lookup asks the disk."""
    from auditor.hub.cache import _Listing

    monkeypatch.setattr(_Listing, "MAX_NAMES", max_names)
    hub = make_hub({"org/a": {"README.md": CARD, "LICENSE": "Apache"}, "org/b": {"README.md": CARD}})
    t = FakeTime()
    source = cached(hub, tmp_path, t)
    first = model(source.fetch("org/a", None))
    hub.reset_stats()
    assert model(source.fetch("org/a", first.sha)).license_files == first.license_files  # same run
    assert hub.requests == []
    model(cached(hub, tmp_path, t).fetch("org/b", None))  # another run, after this one listed its folders
    later = cached(hub, tmp_path, t)
    hub.reset_stats()
    assert model(later.fetch("org/a", None)).sha == first.sha
    assert model(later.fetch("org/b", None)).repo_id == "org/b"
    assert hub.requests == []
    assert later.stats()["cache_hits"] == 2


def test_cache_entry_under_another_models_name_is_refused(make_hub: MakeHub, tmp_path: Path) -> None:
    hub = make_hub({"org/a": {"README.md": CARD, "LICENSE": "Apache"}, "org/b": {"README.md": CARD}})
    t = FakeTime()
    source = cached(hub, tmp_path, t)
    model(source.fetch("org/a", None))
    model(source.fetch("org/b", None))
    a, b = (source._path(name, "main") for name in ("org/a", "org/b"))
    b.write_bytes(a.read_bytes())  # org/a's evidence where org/b's belongs
    hub.reset_stats()
    again = cached(hub, tmp_path, t)
    assert model(again.fetch("org/b", None)).repo_id == "org/b"
    assert again.stats()["cache_corrupt"] == 1
    assert routes(hub) == {"model_info": 1}


def test_cache_offline_serves_what_it_has_and_names_the_rest(make_hub: MakeHub, tmp_path: Path) -> None:
    hub = make_hub({"org/a": {"README.md": CARD}})
    t = FakeTime()
    cached(hub, tmp_path, t).fetch("org/a", None)
    hub.reset_stats()
    t.now += 10 * 86400  # offline ignores the TTL: stale evidence is better than none, and is dated
    offline = cached(hub, tmp_path, t, offline=True)
    assert model(offline.fetch("org/a", None)).sha == hub.current_sha("org/a")
    miss = error(offline.fetch("org/b", None))
    assert miss.kind is FetchErrorKind.OFFLINE_MISS
    assert "org/b" in miss.message
    assert str(tmp_path) in miss.message
    assert hub.requests == []
    assert offline.stats()["offline_misses"] == 1


def test_corrupted_cache_entries_are_refetched(make_hub: MakeHub, tmp_path: Path) -> None:
    hub = make_hub({"org/a": {"README.md": CARD, "LICENSE": "Apache"}})
    t = FakeTime()
    sha = hub.current_sha("org/a")
    assert sha is not None
    good = model(cached(hub, tmp_path, t).fetch("org/a", sha))
    entries = [p for p in tmp_path.rglob("*.json")]
    assert len(entries) == 1
    for damage in (b"{truncated", b"\xff\xfe", b'{"format": 1, "model": {"repo_id": 3}}', b"[]"):
        entries[0].write_bytes(damage)
        hub.reset_stats()
        source = cached(hub, tmp_path, t)
        again = model(source.fetch("org/a", sha))
        assert again.license_files == good.license_files
        assert routes(hub) == {"model_info_rev": 1, "resolve": 1, "resolve_cache": 1}
        assert source.stats()["cache_corrupt"] == 1
    # An entry moved under another repo's key is not trusted either.
    assert not list(tmp_path.rglob(".tmp-*"))  # atomic writes leave no temp files behind


def test_cache_refetches_gated_files_once_a_token_is_given(make_hub: MakeHub, tmp_path: Path) -> None:
    hub = make_hub({"org/g": {"README.md": CARD, "LICENSE": "Gated terms", "_hub.json": {"gated": "auto"}}})
    t = FakeTime()
    sha = hub.current_sha("org/g")
    assert [p.kind for p in model(cached(hub, tmp_path, t).fetch("org/g", sha)).file_problems] == ["gated"]
    with_token = model(cached(hub, tmp_path, t, ACCESS).fetch("org/g", sha))
    assert [f.text for f in with_token.license_files] == ["Gated terms"]
    hub.reset_stats()
    assert model(cached(hub, tmp_path, t, ACCESS).fetch("org/g", sha)).license_files == with_token.license_files
    assert hub.requests == []


def test_cache_that_cannot_be_written_is_not_fatal(make_hub: MakeHub, tmp_path: Path) -> None:
    hub = make_hub({"org/a": {"README.md": CARD}})
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x", encoding="utf-8")
    source = cached(hub, blocker, FakeTime())
    assert isinstance(source.fetch("org/a", None), HubModel)
    assert source.stats()["cache_write_errors"] >= 1


def test_cache_holds_entries_back_until_flushed_and_they_answer_meanwhile(make_hub: MakeHub, tmp_path: Path) -> None:
    """Held entries (hold=N) answer lookups as written ones do; N of them are written together, the rest
    by flush(), and a later run reads them all."""
    repos = {f"org/m{i}": {"README.md": CARD, "LICENSE": "Apache"} for i in range(4)}
    hub = make_hub(repos)
    t = FakeTime()
    source = cached(hub, tmp_path, t, hold=3)
    first = [model(source.fetch(name, None)) for name in ("org/m0", "org/m1")]
    assert not list(tmp_path.rglob("models/*/*.json"))
    hub.reset_stats()
    assert model(source.fetch("org/m0", first[0].sha)).license_files == first[0].license_files  # from the held entry
    assert hub.requests == []
    model(source.fetch("org/m2", None))  # the third held entry: all three are written
    assert len(list(tmp_path.rglob("models/*/*.json"))) == 3
    model(source.fetch("org/m3", None))
    source.flush()
    assert len(list(tmp_path.rglob("models/*/*.json"))) == 4
    later = cached(hub, tmp_path, t)
    hub.reset_stats()
    assert [model(later.fetch(name, None)).sha for name in ("org/m0", "org/m1")] == [m.sha for m in first]
    assert hub.requests == []


def test_cache_holds_no_entry_longer_than_its_time(make_hub: MakeHub, tmp_path: Path) -> None:
    """A run killed before its flush loses at most what it fetched in the last `hold_seconds`."""
    hub = make_hub({f"org/m{i}": {"README.md": CARD} for i in range(3)})
    t = FakeTime()
    source = cached(hub, tmp_path, t, hold=100, hold_seconds=30)
    model(source.fetch("org/m0", None))
    t.now += 10
    model(source.fetch("org/m1", None))
    assert not list(tmp_path.rglob("models/*/*.json"))
    t.now += 25  # the first entry is now 35 s old
    model(source.fetch("org/m2", None))
    assert len(list(tmp_path.rglob("models/*/*.json"))) == 3


def test_a_run_writes_its_held_entries_before_it_reports_and_when_it_closes(make_hub: MakeHub, tmp_path: Path) -> None:
    from datetime import datetime, timezone

    from auditor.app.engine import run_audit
    from auditor.licenses import load_knowledge_base
    from auditor.models import ModelRef
    from auditor.policy import load_policy

    hub = make_hub({"org/a": {"README.md": CARD}, "org/b": {"README.md": CARD}})
    with open_source(endpoint=hub.url, cache_dir=tmp_path / "c") as source:
        model(source.fetch("org/a", None))
        assert not list(tmp_path.rglob("models/*/*.json"))  # held until the run ends
    assert len(list(tmp_path.rglob("models/*/*.json"))) == 1  # close() wrote it
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x", encoding="utf-8")
    with open_source(endpoint=hub.url, cache_dir=blocker) as source:
        kb = load_knowledge_base()
        report = run_audit(
            [ModelRef("org/b")], source=source, kb=kb, policy=load_policy(None, kb), now=datetime.now(timezone.utc)
        )
    assert report.stats["cache_write_errors"] == 1  # written, and failed, before the counters were read


# ---------------------------------------------------------------- snapshots and the factory


def test_snapshot_round_trip_is_equal_and_offline(make_hub: MakeHub, tmp_path: Path) -> None:
    hub = make_hub(
        {
            "org/a": {"README.md": CARD, "LICENSE": "Apache"},
            "org/g": {"README.md": CARD, "LICENSE": "Gated", "_hub.json": {"gated": "manual"}},
        }
    )
    path = tmp_path / "evidence" / "snap.json"
    wanted = [("org/a", None), ("org/g", None), ("org/missing", None), ("org/a", "nope")]
    with open_source(endpoint=hub.url, save_snapshot=path, no_cache=True) as source:
        recorded = [source.fetch(r, v) for r, v in wanted]
    first_bytes = path.read_bytes()
    document = json.loads(first_bytes)
    assert [e["repo_id"] for e in document["entries"]] == ["org/a", "org/a", "org/g", "org/missing"]
    assert all(e["fetched_at"] for e in document["entries"])

    hub.stop()  # replay must not need the network
    replay = SnapshotSource(path)
    assert [replay.fetch(r, v) for r, v in wanted] == recorded
    sha = model(recorded[0]).sha
    assert model(replay.fetch("org/a", sha)).requested_revision == sha
    miss = error(replay.fetch("org/other", None))
    assert miss.kind is FetchErrorKind.OFFLINE_MISS
    assert str(path) in miss.message
    assert replay.describe() == f"snapshot:{path}"

    # Saving what a replay fetched keeps the evidence as it was, byte for byte, run after run.
    copies = []
    for name in ("again1.json", "again2.json"):
        with open_source(snapshot=path, save_snapshot=tmp_path / name) as source:
            for r, v in reversed(wanted):
                source.fetch(r, v)
        copies.append((tmp_path / name).read_bytes())
    assert copies[0] == copies[1]
    assert json.loads(copies[0])["entries"] == document["entries"]


def test_bad_snapshot_files_are_input_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    for content, match in (
        ("{", "not valid JSON"),
        ('{"format": "other"}', "not an auditor snapshot"),
        ('{"format": "auditor-hub-snapshot", "version": 1, "entries": [{"result": {"type": "x"}}]}', "entry 1"),
    ):
        bad.write_text(content, encoding="utf-8")
        with pytest.raises(InputFileError, match=match):
            SnapshotSource(bad)
    with pytest.raises(InputFileError):
        SnapshotSource(tmp_path / "absent.json")


def test_serialisation_round_trip(hub_standin: HubStandIn) -> None:
    results = [
        client(hub_standin).fetch(LLAMA3, None),
        client(hub_standin).fetch("stabilityai/stable-diffusion-3.5-large", None),
        client(hub_standin).fetch("org/none", None),
    ]
    for result in results:
        assert result_from_json(json.loads(json.dumps(result_to_json(result)))) == result
    with pytest.raises(ValueError):
        result_from_json({"type": "model", "model": {"repo_id": "a"}})


def test_factory_composes_from_arguments_and_environment(
    make_hub: MakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = make_hub({"org/g": {"README.md": CARD, "LICENSE": "Gated", "_hub.json": {"gated": "manual"}}})
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("HF_TOKEN", ACCESS)
    with open_source(cache_dir=tmp_path / "cache") as source:
        got = model(source.fetch("org/g", None))
        assert source.describe() == hub.url
        assert [f.text for f in got.license_files] == ["Gated"]  # HF_TOKEN was used
        assert model(source.fetch("org/g", None)) == got
        stats = source.stats()
    assert stats["memo_hits"] == 1
    assert stats["requests"] == 2
    assert stats["cache_misses"] == 1
    for key in ("requests_model_info", "requests_file", "retries", "cache_hits", "failures"):
        assert key in stats

    # --token wins over HF_TOKEN; --endpoint over HF_ENDPOINT.
    with open_source(endpoint=hub.url, token="hf_wrong", no_cache=True) as source:
        assert error(source.fetch("org/g", None)).kind is FetchErrorKind.AUTH
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with open_source(cache_dir=tmp_path / "empty") as source:
        assert error(source.fetch("org/g", None)).kind is FetchErrorKind.OFFLINE_MISS
    monkeypatch.delenv("HF_HUB_OFFLINE")
    with open_source(hub_dir=hub.root) as source:
        assert source.describe() == f"hub-dir:{hub.root}"
        assert model(source.fetch("org/g", None)).sha == hub.current_sha("org/g")
    with pytest.raises(UsageError):
        open_source(endpoint="ftp://example.com")
    with pytest.raises(UsageError):
        open_source(hub_dir=hub.root, snapshot=tmp_path / "s.json")
    with pytest.raises(UsageError):
        open_source(offline=True, no_cache=True)


def test_messages_are_one_printable_line(make_hub: MakeHub, tmp_path: Path) -> None:
    hostile = "org/\x1b[31mred\x1b[0m\nnext"
    hub = make_hub({"org/a": {"README.md": CARD}})
    snap = tmp_path / "s.json"
    with open_source(endpoint=hub.url, no_cache=True, save_snapshot=snap) as source:
        source.fetch("org/a", None)
    results = [
        client(hub).fetch(hostile, None),
        DirSource(tmp_path).fetch(hostile, None),
        SnapshotSource(snap).fetch(hostile, None),
        CachedSource(client(hub), tmp_path / "c", offline=True).fetch(hostile, None),
    ]
    for result in results:
        message = error(result).message
        assert message.isprintable(), message


def test_resaving_a_replayed_error_keeps_its_time(tmp_path: Path) -> None:
    first = tmp_path / "first.json"
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    with open_source(hub_dir=mirror, save_snapshot=first, clock=lambda: 1_000_000_000.0) as source:
        assert isinstance(source.fetch("org/missing", None), FetchError)
    second = tmp_path / "second.json"
    with open_source(snapshot=first, save_snapshot=second, clock=lambda: 2_000_000_000.0) as source:
        source.fetch("org/missing", None)
    assert json.loads(second.read_text())["entries"] == json.loads(first.read_text())["entries"]
