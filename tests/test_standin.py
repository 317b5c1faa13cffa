"""The Hub stand-in, exercised with the real huggingface_hub client (no mocking)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2
import pytest
from huggingface_hub import HfApi, hf_hub_download
from huggingface_hub.errors import (
    DisabledRepoError,
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from tests.hubstandin import HubStandIn, compute_repo_sha, git_blob_oid

HUB_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "hub"
MakeHub = Callable[..., HubStandIn]  # the `make_hub` fixture of conftest.py

ACCESS = "hf_access_token"
USER = "hf_user_token"

pytestmark = pytest.mark.usefixtures("hf_env")


def api(hub: HubStandIn, token: str | bool = False) -> HfApi:
    # token=False: never send a token found on the machine running the tests.
    return HfApi(endpoint=hub.url, token=token)


def download(hub: HubStandIn, repo_id: str, filename: str, cache: Path, **kwargs: Any) -> Path:
    kwargs.setdefault("token", False)
    return Path(hf_hub_download(repo_id, filename, endpoint=hub.url, cache_dir=cache, **kwargs))


def control(hub: HubStandIn, name: str, body: dict[str, Any] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"{hub.url}/_standin/{name}", data=data, method="GET" if data is None else "POST")
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.load(resp)


# ---- model_info ------------------------------------------------------------------------------


def test_model_info_of_a_corpus_model(hub_standin: HubStandIn) -> None:
    info = api(hub_standin).model_info("nerijs/pixel-art-xl")
    readme = (HUB_FIXTURES / "nerijs/pixel-art-xl/README.md").read_bytes()
    assert info.id == "nerijs/pixel-art-xl"
    assert info.author == "nerijs"
    assert info.sha == compute_repo_sha({"README.md": git_blob_oid(readme)})
    assert info.card_data is not None
    assert info.card_data.license == "creativeml-openrail-m"
    assert info.gated is False
    assert info.private is False
    assert [s.rfilename for s in info.siblings or []] == ["README.md"]
    assert info.tags is not None
    for tag in (
        "license:creativeml-openrail-m",
        "base_model:stabilityai/stable-diffusion-xl-base-1.0",
        "base_model:finetune:stabilityai/stable-diffusion-xl-base-1.0",
        "region:us",
    ):
        assert tag in info.tags
    assert info.last_modified is not None
    assert info.created_at is not None


def test_model_info_gated_license_list_adapter_and_no_front_matter(hub_standin: HubStandIn) -> None:
    client = api(hub_standin)
    assert client.model_info("google/gemma-2-9b").gated == "manual"
    deci = client.model_info("Deci/DeciLM-6b")
    assert {"license:llama2", "license:other"} <= set(deci.tags or [])
    lora = client.model_info("FinGPT/fingpt-forecaster_dow30_llama2-7b_lora")
    assert "base_model:adapter:meta-llama/Llama-2-7b-chat-hf" in (lora.tags or [])
    assert lora.library_name == "peft"
    no_card = client.model_info("MiniMaxAI/MiniMax-M2")
    assert no_card.card_data is None
    assert {s.rfilename for s in no_card.siblings or []} == {"LICENSE", "README.md"}


def test_model_info_files_metadata_and_expand(hub_standin: HubStandIn) -> None:
    client = api(hub_standin)
    info = client.model_info("Qwen/Qwen-7B", files_metadata=True)
    license_bytes = (HUB_FIXTURES / "Qwen/Qwen-7B/LICENSE").read_bytes()
    sibling = next(s for s in info.siblings or [] if s.rfilename == "LICENSE")
    assert sibling.blob_id == git_blob_oid(license_bytes)
    assert sibling.size == len(license_bytes)
    expanded = client.model_info("Qwen/Qwen-7B", expand=["sha", "cardData"])
    assert expanded.sha == info.sha
    assert expanded.card_data is not None
    assert expanded.tags is None


def test_model_info_by_revision(hub_standin: HubStandIn) -> None:
    client = api(hub_standin)
    sha = client.model_info("openai-community/gpt2").sha
    assert sha is not None
    assert client.model_info("openai-community/gpt2", revision=sha).sha == sha
    assert client.model_info("openai-community/gpt2", revision="refs/heads/main").sha == sha


def test_missing_repo(hub_standin: HubStandIn) -> None:
    with pytest.raises(RepositoryNotFoundError) as anon:
        api(hub_standin).model_info("nobody/nothing")
    assert anon.value.response.status_code == 401
    with pytest.raises(RepositoryNotFoundError) as user:
        api(hub_standin, USER).model_info("nobody/nothing")
    assert user.value.response.status_code == 404


def test_bad_revision(hub_standin: HubStandIn) -> None:
    with pytest.raises(RevisionNotFoundError):
        api(hub_standin).model_info("openai-community/gpt2", revision="v9.9")
    with pytest.raises(RevisionNotFoundError):
        api(hub_standin).model_info("openai-community/gpt2", revision="0" * 40)


def test_invalid_token_is_not_repo_not_found(hub_standin: HubStandIn) -> None:
    with pytest.raises(HfHubHTTPError) as exc:
        api(hub_standin, "hf_not_a_real_token").model_info("openai-community/gpt2")
    assert not isinstance(exc.value, RepositoryNotFoundError)
    assert exc.value.response.status_code == 401


# ---- downloads -------------------------------------------------------------------------------


def test_download_readme_and_license(hub_standin: HubStandIn, tmp_path: Path) -> None:
    for filename in ("README.md", "LICENSE"):
        path = download(hub_standin, "deepseek-ai/DeepSeek-OCR", filename, tmp_path)
        assert path.read_bytes() == (HUB_FIXTURES / "deepseek-ai/DeepSeek-OCR" / filename).read_bytes()


def test_download_sequence_matches_the_hub(make_hub: MakeHub, tmp_path: Path) -> None:
    hub = make_hub(copy="openai-community/gpt2")
    download(hub, "openai-community/gpt2", "README.md", tmp_path)
    seen = [(r.method, r.route, r.status) for r in hub.requests]
    assert seen == [("HEAD", "resolve", 307), ("HEAD", "resolve_cache", 200), ("GET", "resolve_cache", 200)]


def test_gated_file(make_hub: MakeHub, tmp_path: Path) -> None:
    hub = make_hub({"acme/gated": {"README.md": "---\nlicense: other\n---\n", "LICENSE": "terms\n",
                                   "_hub.json": {"gated": "manual"}}})  # fmt: skip
    assert api(hub).model_info("acme/gated").gated == "manual"
    with pytest.raises(GatedRepoError) as anon:
        download(hub, "acme/gated", "LICENSE", tmp_path / "a")
    assert anon.value.response.status_code == 401
    with pytest.raises(GatedRepoError) as user:
        download(hub, "acme/gated", "LICENSE", tmp_path / "b", token=USER)
    assert user.value.response.status_code == 403
    assert download(hub, "acme/gated", "LICENSE", tmp_path / "c", token=ACCESS).read_text() == "terms\n"


def test_gated_corpus_readme_needs_access(hub_standin: HubStandIn, tmp_path: Path) -> None:
    with pytest.raises(GatedRepoError):
        download(hub_standin, "stabilityai/stable-diffusion-3.5-large", "README.md", tmp_path / "a")
    path = download(hub_standin, "stabilityai/stable-diffusion-3.5-large", "README.md", tmp_path / "b", token=ACCESS)
    assert path.read_text(encoding="utf-8").startswith("---")


def test_missing_file(hub_standin: HubStandIn, tmp_path: Path) -> None:
    with pytest.raises(EntryNotFoundError):
        download(hub_standin, "openai-community/gpt2", "LICENSE", tmp_path)
    assert api(hub_standin).file_exists("openai-community/gpt2", "LICENSE") is False
    assert api(hub_standin).file_exists("openai-community/gpt2", "README.md") is True


def test_private_and_disabled_repos(make_hub: MakeHub) -> None:
    hub = make_hub({"acme/private": {"README.md": "x", "_hub.json": {"private": True}},
                    "acme/disabled": {"README.md": "x", "_hub.json": {"disabled": True}}})  # fmt: skip
    with pytest.raises(RepositoryNotFoundError) as anon:
        api(hub).model_info("acme/private")
    assert anon.value.response.status_code == 401
    with pytest.raises(RepositoryNotFoundError) as user:
        api(hub, USER).model_info("acme/private")
    assert user.value.response.status_code == 404
    assert api(hub, ACCESS).model_info("acme/private").private is True
    with pytest.raises(RepositoryNotFoundError):
        api(hub).model_info("acme/disabled")
    with pytest.raises(DisabledRepoError):
        api(hub, USER).model_info("acme/disabled")
    assert [m.id for m in api(hub).list_models()] == []
    assert [m.id for m in api(hub, ACCESS).list_models()] == ["acme/private"]


# ---- history ---------------------------------------------------------------------------------


def test_edit_changes_sha_and_old_sha_still_serves(make_hub: MakeHub, tmp_path: Path) -> None:
    hub = make_hub({"acme/model": {"README.md": "---\nlicense: mit\n---\n", "LICENSE": "MIT\n"}})
    client = api(hub)
    old = client.model_info("acme/model").sha
    assert old is not None
    (hub.root / "acme/model/README.md").write_text("---\nlicense: bsd\n---\n")  # same size, same tick
    new_info = client.model_info("acme/model")
    assert new_info.sha != old
    assert new_info.card_data is not None
    assert new_info.card_data.license == "bsd"
    old_info = client.model_info("acme/model", revision=old)
    assert old_info.sha == old
    assert old_info.card_data is not None
    assert old_info.card_data.license == "mit"
    old_readme = download(hub, "acme/model", "README.md", tmp_path / "c", revision=old)
    assert "license: mit" in old_readme.read_text()
    new_readme = download(hub, "acme/model", "README.md", tmp_path / "c")
    assert "license: bsd" in new_readme.read_text()
    # forget_history: the pinned revision disappears, main still works.
    assert hub.forget_history("acme/model") >= 2
    with pytest.raises(RevisionNotFoundError):
        client.model_info("acme/model", revision=old)
    assert client.model_info("acme/model").sha == new_info.sha


def test_forget_via_control_route_and_refs(make_hub: MakeHub) -> None:
    hub = make_hub({"acme/model": {"README.md": "one"}})
    client = api(hub)
    first = client.model_info("acme/model").sha
    (hub.root / "acme/model/README.md").write_text("two")
    (hub.root / "acme/model/_hub.json").write_text(json.dumps({"refs": {"v1.0": first}}))
    assert client.model_info("acme/model", revision="v1.0").sha == first
    refs = client.list_repo_refs("acme/model")
    assert [(t.name, t.target_commit) for t in refs.tags] == [("v1.0", first)]
    assert refs.branches[0].target_commit != first
    assert control(hub, "forget", {"repo": "acme/model"})["ok"] is True
    with pytest.raises(RevisionNotFoundError):
        client.model_info("acme/model", revision=first)


def test_control_files_are_not_repo_files(make_hub: MakeHub) -> None:
    hub = make_hub({"acme/model": {"README.md": "x", "_hub.json": {"tags": ["extra"]}, "sub/config.json": "{}"}})
    info = api(hub).model_info("acme/model")
    assert sorted(s.rfilename for s in info.siblings or []) == ["README.md", "sub/config.json"]
    assert "extra" in (info.tags or [])
    assert info.card_data is None


def test_front_matter_edge_cases(make_hub: MakeHub) -> None:
    hub = make_hub({"acme/broken": {"README.md": "---\nlicense: [mit\n---\n# body\n"},
                    "acme/scalar": {"README.md": "---\njust text\n---\n"},
                    "acme/dated": {"README.md": "---\nlicense: mit\nrelease: 2024-01-02\n---\n"}})  # fmt: skip
    client = api(hub)
    assert client.model_info("acme/broken").card_data is None
    assert client.model_info("acme/scalar").card_data is None
    dated = client.model_info("acme/dated").card_data
    assert dated is not None
    assert dated.get("release") == "2024-01-02"


def test_lfs_files_go_through_the_cdn_without_the_token(make_hub: MakeHub, tmp_path: Path) -> None:
    weights = bytes(range(256)) * 64
    hub = make_hub({"acme/weights": {"README.md": "x", "model.safetensors": weights, "_hub.json": {"gated": "auto"}}})
    info = api(hub, ACCESS).model_info("acme/weights", files_metadata=True)
    sibling = next(s for s in info.siblings or [] if s.rfilename == "model.safetensors")
    assert sibling.lfs is not None
    assert sibling.lfs.size == len(weights)
    path = download(hub, "acme/weights", "model.safetensors", tmp_path, token=ACCESS)
    assert path.read_bytes() == weights
    head, get = hub.requests[-2:]
    assert (head.route, head.status, head.auth) == ("resolve", 302, "access")
    assert (get.route, get.status, get.auth) == ("cdn", 200, "anonymous")
    with httpx2.Client() as http:
        pointer = http.get(
            f"{hub.url}/acme/weights/raw/main/model.safetensors", headers={"Authorization": f"Bearer {ACCESS}"}
        )
    assert pointer.text.startswith("version https://git-lfs.github.com/spec/v1")


def test_tree_pages_and_subfolders(make_hub: MakeHub) -> None:
    hub = make_hub({"acme/tree": {"README.md": "x", "a/b/c.json": "{}", "a/d.txt": "d", "e.txt": "e"}},
                   tree_page_size=2)  # fmt: skip
    client = api(hub)
    assert sorted(client.list_repo_files("acme/tree")) == ["README.md", "a/b/c.json", "a/d.txt", "e.txt"]
    top = {e.path: type(e).__name__ for e in client.list_repo_tree("acme/tree")}
    assert top == {"README.md": "RepoFile", "a": "RepoFolder", "e.txt": "RepoFile"}
    assert sorted(e.path for e in client.list_repo_tree("acme/tree", path_in_repo="a")) == ["a/b", "a/d.txt"]
    with pytest.raises(EntryNotFoundError):
        list(client.list_repo_tree("acme/tree", path_in_repo="missing"))


# ---- listings, tree, whoami -----------------------------------------------------------------


def test_listings_tree_whoami(make_hub: MakeHub) -> None:
    hub = make_hub(copy="all", page_size=7, tree_page_size=1)
    client = api(hub)
    everything = [m.id for m in client.list_models()]
    assert len(everything) == len({p.parent for p in HUB_FIXTURES.glob("*/*/README.md")})
    assert [m.id for m in client.list_models(author="meta-llama")] == [
        "meta-llama/Llama-2-7b-hf",
        "meta-llama/Meta-Llama-3-8B-Instruct",
    ]
    assert len(list(client.list_models(search="stable", limit=2))) == 2
    full = next(iter(client.list_models(author="Qwen", full=True, cardData=True)))
    assert full.sha is not None
    assert full.card_data is not None
    assert full.siblings is not None
    assert sorted(client.list_repo_files("Qwen/Qwen-7B")) == ["LICENSE", "README.md"]
    assert client.whoami(token=USER)["name"]
    with pytest.raises(HfHubHTTPError):
        client.whoami(token="hf_not_a_real_token")


# ---- faults, control, stats -----------------------------------------------------------------


def test_fail_first_n(make_hub: MakeHub) -> None:
    hub = make_hub(copy="openai-community/gpt2")
    hub.set_faults(fail_first_n=1, fail_status=503)
    client = api(hub)
    with pytest.raises(HfHubHTTPError) as exc:
        client.model_info("openai-community/gpt2")
    assert exc.value.response.status_code == 503
    assert client.model_info("openai-community/gpt2").sha
    assert hub.stats()["by_status"] == {503: 1, 200: 1}


def test_drop_and_truncate(make_hub: MakeHub) -> None:
    hub = make_hub(copy="openai-community/gpt2")
    client = api(hub)
    hub.faults.drop_rate = 1.0
    with pytest.raises((httpx2.RemoteProtocolError, httpx2.NetworkError)):
        client.model_info("openai-community/gpt2")
    hub.faults.drop_rate = 0.0
    hub.faults.truncate_rate = 1.0
    with pytest.raises(httpx2.RemoteProtocolError):
        client.model_info("openai-community/gpt2")
    hub.faults.truncate_rate = 0.0
    assert client.model_info("openai-community/gpt2").sha
    assert [r.fault for r in hub.requests] == ["drop", "truncate", None]
    assert hub.requests[0].status == 0


def test_truncated_download_is_resumed_by_the_client(make_hub: MakeHub, tmp_path: Path) -> None:
    text = "terms " * 20000
    hub = make_hub({"acme/model": {"README.md": "x", "LICENSE": text}})
    hub.set_faults(fail_first_n=1, fail_mode="truncate", only_paths="^/api/resolve-cache/")
    assert download(hub, "acme/model", "LICENSE", tmp_path).read_text() == text
    assert [r.fault for r in hub.requests if r.method == "GET"] == ["truncate", None]


def test_rate_limit_and_only_paths(make_hub: MakeHub) -> None:
    hub = make_hub(copy="openai-community/gpt2")
    hub.set_faults(rate_limit_rate=1.0, retry_after=7, only_paths=r"^/api/models/")
    with httpx2.Client() as http:
        limited = http.get(f"{hub.url}/api/models/openai-community/gpt2")
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "7"
        assert http.head(f"{hub.url}/openai-community/gpt2/resolve/main/README.md").status_code == 307
    with pytest.raises(HfHubHTTPError) as exc:
        api(hub).model_info("openai-community/gpt2")
    assert exc.value.response.status_code == 429


def test_error_rate_is_deterministic_with_seed(make_hub: MakeHub) -> None:
    hub = make_hub(copy="openai-community/gpt2")

    def run() -> list[int]:
        hub.set_faults(error_rate=0.5, seed=1234)
        with httpx2.Client() as http:
            return [http.get(f"{hub.url}/api/models/openai-community/gpt2").status_code for _ in range(20)]

    first, second = run(), run()
    assert first == second
    assert {200} < set(first) <= {200, 500, 502, 503, 504}


def test_latency(make_hub: MakeHub) -> None:
    hub = make_hub(copy="openai-community/gpt2")
    client = api(hub)
    client.model_info("openai-community/gpt2")
    hub.faults.latency_ms = 150
    started = time.perf_counter()
    client.model_info("openai-community/gpt2")
    assert time.perf_counter() - started >= 0.15


def test_control_routes(make_hub: MakeHub) -> None:
    hub = make_hub(copy="openai-community/gpt2")
    assert control(hub, "config", {"latency_ms": 5, "fail_first_n": 2})["fail_first_n"] == 2
    assert hub.faults.latency_ms == 5.0
    assert control(hub, "config")["latency_ms"] == 5.0
    with httpx2.Client() as http:
        for _ in range(3):
            http.get(f"{hub.url}/api/models/openai-community/gpt2")
        assert http.post(f"{hub.url}/_standin/config", json={"nope": 1}).status_code == 400
    stats = control(hub, "stats")
    assert stats["total"] == 3
    assert stats["by_route"] == {"GET model_info": 3}
    assert stats["by_status"] == {"503": 2, "200": 1}
    assert len(control(hub, "requests")) == 3
    assert control(hub, "reset", {})["ok"] is True
    assert hub.stats()["total"] == 0
    assert hub.faults.fail_first_n == 0


def test_range_requests(hub_standin: HubStandIn) -> None:
    sha = api(hub_standin).model_info("Qwen/Qwen-7B").sha
    url = f"{hub_standin.url}/api/resolve-cache/models/Qwen/Qwen-7B/{sha}/LICENSE"
    data = (HUB_FIXTURES / "Qwen/Qwen-7B/LICENSE").read_bytes()
    with httpx2.Client() as http:
        part = http.get(url, headers={"Range": "bytes=10-19"})
        assert part.status_code == 206
        assert part.content == data[10:20]
        assert part.headers["Content-Range"] == f"bytes 10-19/{len(data)}"
        assert http.get(url, headers={"Range": f"bytes={len(data)}-"}).status_code == 416
        full = http.get(url)
        assert full.headers["ETag"] == f'"{git_blob_oid(data)}"'
        assert full.headers["X-Repo-Commit"] == sha


def test_cli_serves_until_killed(tmp_path: Path) -> None:
    repo_root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.hubstandin", "--root", str(HUB_FIXTURES), "--latency-ms", "1"],
        cwd=repo_root,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert HfApi(endpoint=url, token=False).model_info("openai-community/gpt2").card_data is not None
    finally:
        proc.terminate()
        proc.wait(timeout=5)
