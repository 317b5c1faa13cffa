"""Where reports and lock files go: `-` is stdout, streams stay streams, files get the umask's mode,
links to files are refused, and a place that cannot be written is exit 2 naming it."""

from __future__ import annotations

import json
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from auditor import fileio
from auditor.errors import OutputFileError
from auditor.fileio import write_output
from tests.hostile.helpers import HUB_DIR, MODEL, assert_one_line_error, run_cli


@pytest.fixture
def umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_dash_is_stdout_and_creates_no_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys, "scan", "--hub-dir", HUB_DIR, MODEL, "--format", "json", "-o", "-")
    assert code in (0, 1), err
    assert json.loads(out)["models"][0]["id"] == MODEL
    assert not (tmp_path / "-").exists()


def test_dash_with_several_formats_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "scan", "--hub-dir", HUB_DIR, MODEL, "--format", "json,csv", "-o", "-")
    assert code == 2 and "-o DIR" in err


def test_discover_dash_is_stdout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "app.py").write_text(f'from transformers import AutoModel\nAutoModel.from_pretrained("{MODEL}")\n')
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(capsys, "discover", str(tmp_path), "-o", "-")
    assert code == 0 and MODEL in out
    assert not (tmp_path / "-").exists()


def test_fifo_target_stays_a_fifo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "report.fifo"
    os.mkfifo(target)
    received: list[bytes] = []

    def read() -> None:
        with open(target, "rb") as handle:
            received.append(handle.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    code, _, err = run_cli(capsys, "scan", "--hub-dir", HUB_DIR, MODEL, "--format", "json", "-o", str(target))
    reader.join(timeout=60)
    assert code in (0, 1), err
    assert stat.S_ISFIFO(target.lstat().st_mode)
    assert json.loads(received[0])["models"][0]["id"] == MODEL


def test_link_to_a_device_is_written_through(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    link = tmp_path / "null.json"
    link.symlink_to("/dev/null")
    code, _, err = run_cli(capsys, "scan", "--hub-dir", HUB_DIR, MODEL, "--format", "json", "-o", str(link))
    assert code in (0, 1), err
    assert link.is_symlink() and stat.S_ISCHR(os.stat(link).st_mode)


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_report_gets_the_mode_the_umask_gives(
    mask: int, mode: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = os.umask(mask)
    try:
        target = tmp_path / "out" / "report.json"
        code, _, err = run_cli(capsys, "scan", "--hub-dir", HUB_DIR, MODEL, "--format", "json", "-o", str(target))
    finally:
        os.umask(old)
    assert code in (0, 1), err
    assert stat.S_IMODE(target.stat().st_mode) == mode
    assert [p.name for p in target.parent.iterdir()] == ["report.json"]  # no temp file left behind


def test_lock_file_is_0644_under_umask_022(umask: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lock = tmp_path / "models.lock"
    code, _, err = run_cli(capsys, "lock", "--hub-dir", HUB_DIR, "--lock-file", str(lock), MODEL, "--no-progress")
    assert code == 0, err
    assert stat.S_IMODE(lock.stat().st_mode) == 0o644


def test_existing_report_is_replaced_atomically(umask: None, tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")
    before = target.stat().st_ino
    write_output(target, "new")
    assert target.read_text() == "new" and target.stat().st_ino != before


def test_a_report_written_in_pieces_that_fails_half_way_leaves_the_old_file(
    umask: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A streamed report (json renders model by model) is still all or nothing."""
    target = tmp_path / "report.json"
    write_output(target, iter(["new ", b"in ", "pieces"]))
    assert target.read_text() == "new in pieces"
    text = "a report of 𝄞, ünïcode and ✓ written a few characters at a time\n"
    monkeypatch.setattr(fileio, "_SLICE", 3)  # as a large report is encoded, a slice at a time
    write_output(target, text)
    assert target.read_text(encoding="utf-8") == text

    def failing() -> Iterator[str]:
        yield "half"
        raise RuntimeError("a renderer bug")

    with pytest.raises(RuntimeError):
        write_output(target, failing())
    assert target.read_text(encoding="utf-8") == text
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temp file left behind


def test_a_temp_name_someone_else_holds_is_neither_used_nor_fatal(
    umask: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Temp names come from a per-process prefix and a counter; a forked child shares both, and a local
    user can guess them: a name that exists is refused by O_EXCL and a fresh random one is taken."""
    import itertools

    import auditor.fileio as fileio

    monkeypatch.setattr(fileio, "_TEMP_PREFIX", "guessed")
    monkeypatch.setattr(fileio, "_temp_numbers", itertools.count())
    squatter = tmp_path / ".entry.json.guessed0.tmp"
    squatter.symlink_to(tmp_path / "elsewhere")
    fileio.write_atomic(tmp_path / "entry.json", "{}")
    assert (tmp_path / "entry.json").read_text() == "{}"
    assert squatter.is_symlink() and not (tmp_path / "elsewhere").exists()  # not written through
    assert sorted(p.name for p in tmp_path.iterdir()) == [".entry.json.guessed0.tmp", "entry.json"]


@pytest.mark.parametrize("dangling", [False, True], ids=["to-a-file", "dangling"])
def test_link_to_a_file_is_refused_and_left_alone(
    dangling: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    victim = tmp_path / "elsewhere" / "authorized_keys"
    victim.parent.mkdir()
    if not dangling:
        victim.write_text("keep me\n")
    link = tmp_path / "report.json"
    link.symlink_to(victim)
    code, _, err = run_cli(capsys, "scan", "--hub-dir", HUB_DIR, MODEL, "--format", "json", "-o", str(link))
    assert_one_line_error(code, err, link)
    assert "symbolic link" in err
    assert link.is_symlink()
    assert victim.read_text() == "keep me\n" if not dangling else not victim.exists()


def test_lock_into_a_folder_that_cannot_exist_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "ci"
    blocker.write_text("a file where the folder should be")
    lock = blocker / "models.lock"
    code, _, err = run_cli(capsys, "lock", "--hub-dir", HUB_DIR, "--lock-file", str(lock), MODEL, "--no-progress")
    assert_one_line_error(code, err, lock)
    assert "cannot write" in err


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes into read-only folders")
def test_lock_into_a_read_only_folder_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o500)
    lock = folder / "models.lock"
    try:
        code, _, err = run_cli(capsys, "lock", "--hub-dir", HUB_DIR, "--lock-file", str(lock), MODEL, "--no-progress")
    finally:
        folder.chmod(0o700)
    assert_one_line_error(code, err, lock)
    assert "Permission denied" in err


def test_a_directory_target_is_refused(tmp_path: Path) -> None:
    with pytest.raises(OutputFileError, match="a directory"):
        write_output(tmp_path, "x")


def test_save_snapshot_goes_through_the_writer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    link = tmp_path / "audit.snapshot.json"
    link.symlink_to(tmp_path / "elsewhere.json")
    code, _, err = run_cli(capsys, "scan", "--hub-dir", HUB_DIR, MODEL, "--save-snapshot", str(link))
    assert code == 2 and "symbolic link" in err and str(link) in err
    assert link.is_symlink() and not (tmp_path / "elsewhere.json").exists()
