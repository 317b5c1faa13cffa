"""License files by blob id (auditor/hub/blobs.py) against the Hub stand-in, with the real client.

model_info's `blobs=true` lists each file's git blob id: a license file whose bytes were read
before under that id is not requested again, and bytes that do not match their listed id are never
evidence (served by a hostile proxy, or changed in the blob store on disk).
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from huggingface_hub import HfApi

from auditor.cli import main
from auditor.hub import HfHubSource, open_source
from auditor.hub.blobs import BLOBS_FOLDER, BlobStore, blob_ref
from auditor.hub.content import same_origin
from auditor.models import HubModel
from tests.hubstandin import git_blob_oid
from tests.test_hub import ACCESS, MakeHub, client, model, routes

pytestmark = pytest.mark.usefixtures("hf_env")

APACHE = (Path(__file__).resolve().parents[1] / "rules" / "texts" / "apache-2.0.txt").read_bytes()
CARD = "---\nlicense: apache-2.0\n---\n# A model\n"
OTHER = "---\nlicense: other\n---\n# A model whose license is its LICENSE file\n"
FILE_ROUTES = ("resolve", "resolve_cache", "cdn")


def _files(hub_routes: dict[str, int]) -> int:
    return sum(hub_routes.get(r, 0) for r in FILE_ROUTES)


def test_model_info_asks_for_blob_ids_and_the_stand_in_lists_real_ones(make_hub: MakeHub) -> None:
    hub = make_hub({"org/a": {"README.md": CARD, "LICENSE": APACHE}})
    model(client(hub).fetch("org/a", None))
    [info] = [r for r in hub.requests if r.route == "model_info"]
    assert "blobs=true" in info.query
    # What the Hub answers (huggingface_hub's files_metadata=True): blobId is git's sha1 of the content.
    info = HfApi(endpoint=hub.url, token=False).model_info("org/a", files_metadata=True)
    sibling = next(s for s in info.siblings or () if s.rfilename == "LICENSE")
    assert sibling.blob_id == hashlib.sha1(b"blob %d\0" % len(APACHE) + APACHE).hexdigest()
    assert sibling.size == len(APACHE)


def test_two_repos_with_the_same_license_bytes_cost_one_file_request(make_hub: MakeHub) -> None:
    hub = make_hub({f"org/m{i}": {"README.md": CARD, "LICENSE": APACHE} for i in range(3)})
    src = client(hub)
    got = [model(src.fetch(f"org/m{i}", None)) for i in range(3)]
    assert [m.license_files[0].text for m in got] == [APACHE.decode()] * 3
    assert all(m.file_problems == () for m in got)
    assert routes(hub) == {"model_info": 3, "resolve": 1, "resolve_cache": 1}
    stats = src.stats()
    assert stats["blob_hits"] == 2
    assert stats["requests_file"] == 1
    assert stats["blob_mismatches"] == 0


def test_workers_asking_for_one_blob_at_once_send_one_request(make_hub: MakeHub) -> None:
    ids = [f"org/m{i}" for i in range(16)]
    hub = make_hub({i: {"README.md": CARD, "LICENSE": APACHE} for i in ids})
    hub.set_faults(latency_ms=20)
    src = client(hub)
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda i: model(src.fetch(i, None)), ids))
    assert all(m.license_files[0].text == APACHE.decode() for m in got)
    assert routes(hub)["resolve"] == 1


def test_bytes_that_do_not_match_the_listed_blob_are_not_evidence(make_hub: MakeHub, tmp_path: Path) -> None:
    # A proxy alters the file and makes ETag and Content-Length match its bytes: only the blob id model_info
    # listed catches it. The file is then a problem of the model (never read as its license), and not kept.
    hub = make_hub({"org/a": {"README.md": OTHER, "LICENSE": APACHE}, "org/b": {"README.md": OTHER, "LICENSE": APACHE}})
    hub.set_faults(tamper_paths=r"/resolve-cache/")
    src = client(hub)
    got = model(src.fetch("org/a", None))
    assert got.license_files == ()
    [problem] = got.file_problems
    assert (problem.path, problem.kind) == ("LICENSE", "error")
    assert "not the blob" in problem.message and "not used as evidence" in problem.message
    assert src.stats()["blob_mismatches"] == 1
    model(src.fetch("org/b", None))
    assert routes(hub)["resolve_cache"] == 2  # the altered bytes were not kept for the next repo
    assert src.stats()["blob_hits"] == 0

    out = tmp_path / "report.json"
    common = ["--endpoint", hub.url, "--no-cache", "--format", "json", "--exit-zero", "--no-progress"]
    with pytest.raises(SystemExit):
        main(["scan", "org/a", *common, "-o", str(out)])
    [result] = json.loads(out.read_text(encoding="utf-8"))["models"]
    assert result["verdict"] != "approved"
    hub.set_faults(tamper_paths=None)
    with pytest.raises(SystemExit):
        main(["scan", "org/a", *common, "-o", str(out)])
    [result] = json.loads(out.read_text(encoding="utf-8"))["models"]
    assert result["verdict"] == "approved"  # the same repo, served honestly


def test_the_blob_store_on_disk_serves_later_runs_and_a_changed_entry_is_refetched(
    make_hub: MakeHub, tmp_path: Path
) -> None:
    hub = make_hub({f"org/m{i}": {"README.md": CARD, "LICENSE": APACHE} for i in range(3)})
    cache = tmp_path / "cache"
    with open_source(endpoint=hub.url, cache_dir=cache) as first:
        model(first.fetch("org/m0", None))
    oid = git_blob_oid(APACHE)
    entry = cache / BLOBS_FOLDER / "git" / oid[:2] / oid
    assert entry.read_bytes() == APACHE

    hub.reset_stats()
    with open_source(endpoint=hub.url, cache_dir=cache) as second:
        got = model(second.fetch("org/m1", None))  # another repo, the same bytes: no file request
        assert second.stats()["blob_hits"] == 1
    assert got.license_files[0].text == APACHE.decode()
    assert _files(routes(hub)) == 0

    entry.write_bytes(APACHE[:64].swapcase() + APACHE[64:])  # changed on disk, the same length
    hub.reset_stats()
    with open_source(endpoint=hub.url, cache_dir=cache) as third:
        got = model(third.fetch("org/m2", None))
        assert third.stats()["blob_corrupt"] == 1
        assert third.stats()["blob_hits"] == 0
    assert got.license_files[0].text == APACHE.decode()
    assert routes(hub)["resolve"] == 1
    assert entry.read_bytes() == APACHE  # rewritten from the verified download


def test_lfs_license_file_is_checked_by_its_sha256(make_hub: MakeHub) -> None:
    lfs = {"lfs": ["LICENSE"]}
    hub = make_hub({f"org/l{i}": {"README.md": CARD, "LICENSE": APACHE, "_hub.json": lfs} for i in range(2)})
    src = client(hub)
    got = [model(src.fetch(f"org/l{i}", None)) for i in range(2)]
    assert all(m.license_files[0].text == APACHE.decode() and m.file_problems == () for m in got)
    assert routes(hub)["cdn"] == 1  # the second repo's copy came from the store
    assert src.stats()["blob_hits"] == 1

    hub.set_faults(tamper_paths=r"^/repos/")  # the CDN serves other bytes (and their sha256 as ETag)
    got_bad = model(client(hub).fetch("org/l0", None))
    assert got_bad.license_files == ()
    assert [(p.path, p.kind) for p in got_bad.file_problems] == [("LICENSE", "error")]


def test_without_listed_blob_ids_the_resolvers_redirect_names_the_blob(make_hub: MakeHub) -> None:
    # On the Hub, list_models' siblings carry file names only (huggingface_hub's RepoSibling says so), and
    # card-first asks no model_info. The 307 of /resolve/<sha>/<path> names the blob (`etag=` in its
    # Location): a blob read before needs no second hop.
    hub = make_hub(
        {f"big-org/m{i}": {"README.md": CARD, "LICENSE": APACHE} for i in range(3)}
        | {f"solo/c{i}": {"README.md": CARD, "LICENSE": APACHE} for i in range(2)}
    )
    src = HfHubSource(hub.url, None)
    ids = src.list_models(author="big-org")
    got = [model(src.fetch(i, None)) for i in ids]
    assert all(isinstance(m, HubModel) and m.license_files[0].text == APACHE.decode() for m in got)
    assert "model_info" not in routes(hub)
    assert (routes(hub)["resolve"], routes(hub)["resolve_cache"]) == (3, 1)
    assert src.stats()["blob_hits"] == 2

    hub.reset_stats()
    lean = HfHubSource(hub.url, None, card_first=True)
    got = [model(lean.fetch(f"solo/c{i}", None)) for i in range(2)]
    assert all(m.license_files[0].text == APACHE.decode() for m in got)
    assert routes(hub)["resolve_cache"] == 2 + 1  # each README, and the LICENSE once
    assert lean.stats()["blob_hits"] == 1


def test_blob_refs_from_the_hub_are_checked_for_shape() -> None:
    oid = git_blob_oid(b"x")
    assert blob_ref(oid, 1, None) is not None
    assert blob_ref("../../etc/passwd", 1, None) is None
    assert blob_ref(oid.upper(), 1, None) is None
    assert blob_ref(oid, 1, "not-a-sha256") is None
    ref = blob_ref(oid, True, None)
    assert ref is not None and ref.size is None
    store = BlobStore(None, max_bytes=10)
    assert store.read(ref, 1.0, lambda: b"y") is None  # not the listed bytes: not returned, not kept
    assert store.read(ref, 1.0, lambda: b"x") == b"x"
    assert store.read(ref, 1.0, lambda: b"never asked") == b"x"


def test_a_readme_read_for_its_card_is_checked_against_its_blob_id(make_hub: MakeHub) -> None:
    # No front matter the Hub could parse: its README is read for the card, and checked like a license file.
    hub = make_hub({"org/a": {"README.md": "# A model with no front matter\n" * 4}})
    hub.set_faults(tamper_paths=r"/README\.md$")
    got = model(client(hub).fetch("org/a", None))
    assert got.card_error is not None and "not the blob" in got.card_error
    hub.set_faults(tamper_paths=None)
    assert model(client(hub).fetch("org/a", None)).card_error is None


def test_a_gated_repos_license_is_read_as_before_even_when_its_blob_is_held(make_hub: MakeHub) -> None:
    # Its file list (and blob ids) is public, its files are not: a copy held from an open repo must not stand
    # in for a file this caller may not read, or the verdict would depend on what was audited before.
    hub = make_hub(
        {
            "org/open": {"README.md": CARD, "LICENSE": APACHE},
            "org/gated": {"README.md": CARD, "LICENSE": APACHE, "_hub.json": {"gated": "manual"}},
        }
    )
    anonymous = client(hub)
    model(anonymous.fetch("org/open", None))
    got = model(anonymous.fetch("org/gated", None))
    assert got.license_files == ()
    assert [(p.path, p.kind) for p in got.file_problems] == [("LICENSE", "gated")]
    hub.reset_stats()
    with_access = client(hub, ACCESS)
    model(with_access.fetch("org/open", None))
    got = model(with_access.fetch("org/gated", None))
    assert got.license_files[0].text == APACHE.decode() and got.file_problems == ()
    assert routes(hub)["resolve_cache"] == 2  # read, and checked against its blob id, not taken from the store


def test_the_token_goes_to_the_endpoint_only_never_to_the_lfs_cdn(make_hub: MakeHub) -> None:
    hub = make_hub({"org/l": {"README.md": CARD, "LICENSE": APACHE, "_hub.json": {"lfs": ["LICENSE"]}}})
    got = model(client(hub, ACCESS).fetch("org/l", None))
    assert got.license_files[0].text == APACHE.decode()
    sent = {(r.route, r.auth) for r in hub.requests}
    assert sent == {("model_info", "access"), ("resolve", "access"), ("cdn", "anonymous")}
    assert same_origin("https://huggingface.co/org/m/resolve/x/LICENSE", "https://huggingface.co")
    assert same_origin("https://HuggingFace.co/api/models/x", "https://huggingface.co")
    for other in ("https://huggingface.co.evil.example/x", "https://huggingface.co@evil.example/x",
                  "https://huggingface.co:8443/x", "http://huggingface.co/x", "https://huggingface.co:bad/x",
                  "https://cdn-lfs.hf.co/repos/x"):  # fmt: skip
        assert not same_origin(other, "https://huggingface.co"), other
