"""The hostile HTML report in a real browser: it renders, logs nothing, and its card's script never runs.

Needs a Chromium binary (CI installs Debian's `chromium`; `AUDITOR_CHROMIUM` may name another).
The hostile script is `document.title='PWNED'`, so `--dump-dom` shows whether it ran. A control page
with a live script proves that this check (and the console check) can fail. The page is also loaded
with its Content-Security-Policy removed: escaping alone must keep it inert; the CSP is a second wall.
Set `AUDITOR_BROWSER_ARTIFACTS=DIR` to keep the screenshot for a person to look at.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from auditor.report import render
from auditor.report.html import CSP
from tests.fixtures.report.sample import hostile_report

pytestmark = pytest.mark.browser

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
FLAGS = (
    "--headless",
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
)
CONSOLE = re.compile(r":CONSOLE[:(]")


def find_chromium() -> str | None:
    named = os.environ.get("AUDITOR_CHROMIUM")
    if named:
        return shutil.which(named) or (named if Path(named).is_file() else None)
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def chromium() -> str:
    binary = find_chromium()
    if binary is None:
        pytest.skip("no chromium binary found (install Debian's `chromium`, or set AUDITOR_CHROMIUM)")
    return binary


def run(chromium: str, tmp: Path, page: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp / f"profile-{page.stem}-{len(list(tmp.iterdir()))}"
    return subprocess.run(
        [chromium, *FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "HOME": str(tmp)},
    )


class _Elements(HTMLParser):
    """Tags, attribute names and text of the DOM Chromium built."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes |= {name.lower() for name, _ in attrs}

    def handle_data(self, data: str) -> None:
        self.text += data


def title(dom: str) -> str:
    match = re.search(r"<title>(.*?)</title>", dom, flags=re.S)
    assert match, dom[:500]
    return match.group(1)


def console_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if CONSOLE.search(line)]


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and the rows of an 8-bit RGB/RGBA PNG, decoded with zlib (no imaging library)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, []
    width = height = bpp = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8, depth
            assert colour in (2, 6), colour  # RGB or RGBA
            assert interlace == 0, interlace
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat.append(body)
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        row_filter, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        if row_filter == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif row_filter == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev, strict=True))
        elif row_filter == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif row_filter == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, height, rows


def screenshot(
    chromium: str, tmp: Path, html: str, name: str, height: int
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """A 1280-wide screenshot of `html`; kept as NAME.png in $AUDITOR_BROWSER_ARTIFACTS for a person to look at."""
    page = tmp / f"{name}.html"
    page.write_text(html, encoding="utf-8")
    shot = tmp / f"{name}.png"
    done = run(chromium, tmp, page, f"--screenshot={shot}", f"--window-size=1280,{height}", "--hide-scrollbars")
    assert shot.is_file(), done.stderr[-2000:]
    artifacts = os.environ.get("AUDITOR_BROWSER_ARTIFACTS")
    if artifacts:
        Path(artifacts).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(artifacts) / f"{name}.png")
    return shot, done


def test_png_decoder_reads_a_known_image() -> None:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = [b"\x00" + bytes([255, 0, 0, 0, 255, 0]), b"\x02" + bytes([0, 0, 255, 0, 0, 0])]  # None, then Up
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )
    assert png_pixels(png) == (2, 2, [bytes([255, 0, 0, 0, 255, 0]), bytes([255, 0, 255, 0, 255, 0])])


def test_the_checks_can_fail_a_page_whose_script_runs(chromium: str, tmp_path: Path) -> None:
    page = tmp_path / "control.html"
    page.write_text(
        "<!DOCTYPE html><title>ok</title><p>control</p>"
        "<script>document.title='PWNED'; console.error('control-error')</script>",
        encoding="utf-8",
    )
    done = run(chromium, tmp_path, page, "--dump-dom")
    assert title(done.stdout) == "PWNED"
    assert any("control-error" in line for line in console_lines(done.stderr)), done.stderr[-2000:]


@pytest.mark.parametrize("with_csp", [True, False], ids=["as-shipped", "csp-removed"])
def test_hostile_report_script_does_not_run_and_nothing_is_logged(
    chromium: str, tmp_path: Path, with_csp: bool
) -> None:
    html = render("html", hostile_report())
    assert isinstance(html, str)
    meta = f'<meta http-equiv="Content-Security-Policy" content="{CSP.replace(chr(39), "&#39;")}">'
    assert meta in html
    if not with_csp:
        html = html.replace(meta, "")
    page = tmp_path / "hostile.html"
    page.write_text(html, encoding="utf-8")
    done = run(chromium, tmp_path, page, "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert title(dom).startswith("Model license audit"), title(dom)
    assert "PWNED" not in title(dom)
    elements = _Elements()
    elements.feed(dom)
    assert "script" not in elements.tags
    assert "img" not in elements.tags
    assert [name for name in elements.attributes if name.startswith("on")] == []
    assert "document.title='PWNED'" in elements.text  # the attack is on the page, as text
    assert console_lines(done.stderr) == [], console_lines(done.stderr)


def test_hostile_report_renders_a_page_that_is_not_blank(chromium: str, tmp_path: Path) -> None:
    html = render("html", hostile_report())
    assert isinstance(html, str)
    shot, done = screenshot(chromium, tmp_path, html, "hostile-report", 2000)
    width, height, rows = png_pixels(shot.read_bytes())
    assert (width, height) == (1280, 2000)
    bpp = len(rows[0]) // width
    pixels = [row[i : i + 3] for row in rows[::4] for i in range(0, len(row), bpp * 2)]
    counts: dict[bytes, int] = {}
    for pixel in pixels:
        counts[pixel] = counts.get(pixel, 0) + 1
    background = max(counts.values())
    assert len(counts) > 50, f"only {len(counts)} colours: the page looks blank"
    assert background / len(pixels) < 0.9, "nine tenths of the page is one colour"
    # Our verdict colours are on the page: the summary tiles and badges rendered.
    assert bytes.fromhex("b35900") in counts  # needs-review
    assert console_lines(done.stderr) == []


# ---------------------------------------------------------------- an inventory report with several uses

ROOT = Path(__file__).resolve().parent.parent
INVENTORY_REPORT = ROOT / "reports" / "auditor-report.html"  # examples/inventory.yaml: saas, research, product…

# Run only in the copy with its CSP removed: measures the laid-out page and writes the figures in the title.
MEASURE = """<script>
const badges = [...document.querySelectorAll('.badge')];
const wrapped = badges.filter(b => b.getClientRects().length > 1
  || b.getBoundingClientRect().height > 2 * parseFloat(getComputedStyle(b).fontSize)).length;
const spilled = [...document.querySelectorAll('td .badge')]
  .filter(b => b.getBoundingClientRect().right > b.closest('td').getBoundingClientRect().right + 0.5).length;
const uses = [...document.querySelectorAll('table.models td.use')].map(td => td.textContent.trim());
document.title = JSON.stringify({badges: badges.length, wrapped, spilled, uses});
</script>"""


def measured(chromium: str, tmp: Path, html: str, width: int) -> dict[str, object]:
    meta = f'<meta http-equiv="Content-Security-Policy" content="{CSP.replace(chr(39), "&#39;")}">'
    assert meta in html
    page = tmp / f"measure-{width}.html"
    page.write_text(html.replace(meta, "").replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    done = run(chromium, tmp, page, "--dump-dom", f"--window-size={width},1200")
    assert done.returncode == 0, done.stderr[-2000:]
    import html as html_lib
    import json

    figures: dict[str, object] = json.loads(html_lib.unescape(title(done.stdout)))
    return figures


@pytest.mark.parametrize("width", [1280, 800])
def test_verdict_badges_never_wrap_or_spill_out_of_their_cell(chromium: str, tmp_path: Path, width: int) -> None:
    from tests.fixtures.report.sample import sample_report

    for html in (render("html", sample_report()), INVENTORY_REPORT.read_text(encoding="utf-8")):
        assert isinstance(html, str)
        figures = measured(chromium, tmp_path, html, width)
        assert figures["badges"], figures  # the check saw the badges
        assert figures["wrapped"] == 0, figures
        assert figures["spilled"] == 0, figures


def test_the_checks_can_see_a_wrapped_badge(chromium: str, tmp_path: Path) -> None:
    html = INVENTORY_REPORT.read_text(encoding="utf-8").replace("</style>", ".badge { white-space: normal; }</style>")
    figures = measured(chromium, tmp_path, html.replace("td .badge {", "td .badge { max-width: 40px;"), 1280)
    assert figures["wrapped"] or figures["spilled"], figures


def test_an_inventory_report_with_several_uses_reads_at_a_glance(chromium: str, tmp_path: Path) -> None:
    html = INVENTORY_REPORT.read_text(encoding="utf-8")
    figures = measured(chromium, tmp_path, html, 1280)
    uses = figures["uses"]
    assert isinstance(uses, list) and len(set(uses)) >= 3, uses  # one Use cell per row, several uses
    assert "internal-research (not commercial)" in uses
    shot, done = screenshot(chromium, tmp_path, html, "inventory-report", 1700)
    width, _, rows = png_pixels(shot.read_bytes())
    bpp = len(rows[0]) // width
    colours = {row[i : i + 3] for row in rows[::2] for i in range(0, len(row), bpp)}
    # Above the fold: the not-commercial banner's border, a blocked badge and a needs-review badge.
    assert bytes.fromhex("b35900") in colours
    assert bytes.fromhex("c62828") in colours
    assert console_lines(done.stderr) == []
