#!/usr/bin/env python3
"""Render a project's deployment graph to HTML and take a PNG screenshot of it with headless Chromium.

    python scripts/screenshot_graph.py fixtures/incident -o docs/graph-incident.png
    python scripts/screenshot_graph.py path/to/repo --html graph.html --width 1600 --height 1400

The HTML comes from `composelint graph --format html` (run with this interpreter). Chromium is
found as `$CHROMIUM`, `chromium`, `chromium-browser`, `google-chrome` or `google-chrome-stable`
(Debian: `apt-get install chromium`). It runs headless, without network features, in a
throw-away profile. `tests/test_graph_html.py` uses the helpers below to check the page in a real
browser.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

TIMEOUT = 60  # seconds for one Chromium run (it takes about 2)
SPARE = 320  # extra window height that is cropped away (see screenshot())
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}  # PNG colour type -> bytes per pixel at 8 bits
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """The Chromium (or Chrome) executable, or None."""
    named = os.environ.get("CHROMIUM")
    if named:
        return shutil.which(named) or (named if Path(named).is_file() else None)
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def chromium_command(chromium: str, profile: str, *extra: str) -> list[str]:
    """Headless, no sandbox (root in CI containers), no GPU, nothing that talks to the network."""
    return [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-default-apps", "--disable-extensions", "--hide-scrollbars", "--mute-audio",
            f"--user-data-dir={profile}", *extra]


def _run(chromium: str, *extra: str, attempts: int = 2) -> subprocess.CompletedProcess:
    """Run Chromium once more if it hangs; on a timeout its whole process group is killed."""
    for attempt in range(attempts):
        with tempfile.TemporaryDirectory(prefix="composelint-chromium-") as profile:
            command = chromium_command(chromium, profile, *extra)
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       start_new_session=True)
            try:
                stdout, stderr = process.communicate(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.communicate()
                if attempt + 1 == attempts:
                    raise
                continue
            return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
    raise AssertionError("unreachable")


def dump_dom(html: Path, chromium: str | None = None) -> str:
    """The DOM Chromium builds from the file, serialized (``--dump-dom``)."""
    chromium = chromium or find_chromium()
    if chromium is None:
        raise RuntimeError("Chromium is not installed (Debian: apt-get install chromium)")
    result = _run(chromium, "--dump-dom", Path(html).resolve().as_uri())
    if result.returncode != 0 or not result.stdout:
        raise RuntimeError(f"chromium --dump-dom failed ({result.returncode}): "
                           f"{result.stderr.decode(errors='replace')[-2000:]}")
    return result.stdout.decode("utf-8", "replace")


def screenshot(html: Path, png: Path, width: int = 1440, height: int = 1100, scale: float = 1.0,
               chromium: str | None = None) -> Path:
    """A PNG of the page's first ``width`` x ``height`` CSS pixels."""
    chromium = chromium or find_chromium()
    if chromium is None:
        raise RuntimeError("Chromium is not installed (Debian: apt-get install chromium)")
    png = Path(png).resolve()
    png.parent.mkdir(parents=True, exist_ok=True)
    if png.exists():
        png.unlink()
    # Headless Chromium may capture before the tiles at the bottom of the window are painted:
    # shoot a taller window and keep the top.
    result = _run(chromium, f"--screenshot={png}", f"--window-size={width},{height + SPARE}",
                  f"--force-device-scale-factor={scale:g}", "--default-background-color=ffffffff",
                  Path(html).resolve().as_uri())
    if result.returncode != 0 or not png.exists():
        raise RuntimeError(f"chromium --screenshot failed ({result.returncode}): "
                           f"{result.stderr.decode(errors='replace')[-2000:]}")
    crop_png(png, round(height * scale))
    return png


def _chunks(data: bytes):
    if data[:8] != PNG_SIGNATURE:
        raise ValueError("not a PNG file")
    pos = 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        yield kind, data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IEND":
            break


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def crop_png(path: Path, height: int) -> None:
    """Keep the top ``height`` rows of a non-interlaced PNG (its filters only look upwards)."""
    data = Path(path).read_bytes()
    chunks = list(_chunks(data))
    header = chunks[0][1]
    width, old_height, depth, color, compression, filtering, interlace = struct.unpack(">IIBBBBB", header)
    if height >= old_height:
        return
    if interlace or depth != 8 or color not in CHANNELS:
        raise ValueError("only 8-bit non-interlaced PNGs can be cropped")
    pixels = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    kept = pixels[:height * (1 + width * CHANNELS[color])]
    header = struct.pack(">IIBBBBB", width, height, depth, color, compression, filtering, interlace)
    out = [PNG_SIGNATURE, _chunk(b"IHDR", header)]
    out += [_chunk(kind, body) for kind, body in chunks[1:] if kind not in (b"IHDR", b"IDAT", b"IEND")]
    out += [_chunk(b"IDAT", zlib.compress(kept, 9)), _chunk(b"IEND", b"")]
    Path(path).write_bytes(b"".join(out))


def read_png(path: Path) -> tuple[int, int, int, list[bytes]]:
    """Width, height, bytes per pixel and the unfiltered rows of an 8-bit non-interlaced PNG."""
    chunks = list(_chunks(Path(path).read_bytes()))
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    if interlace or depth != 8 or color not in CHANNELS:
        raise ValueError("only 8-bit non-interlaced PNGs are read")
    size = CHANNELS[color]
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    stride = width * size
    rows: list[bytes] = []
    previous = bytearray(stride)
    for index in range(height):
        start = index * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:
            for x in range(size, stride):
                line[x] = (line[x] + line[x - size]) & 0xFF
        elif kind == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, previous))
        elif kind == 3:
            for x in range(stride):
                left = line[x - size] if x >= size else 0
                line[x] = (line[x] + ((left + previous[x]) >> 1)) & 0xFF
        elif kind == 4:
            for x in range(stride):
                a = line[x - size] if x >= size else 0
                b = previous[x]
                c = previous[x - size] if x >= size else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, size, rows


def render_html(project: Path, html: Path, deployment: str | None = None) -> Path:
    """Write ``composelint graph --format html`` of ``project`` to ``html``."""
    Path(html).parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "composelint", "graph", str(project), "--format", "html", "-o", str(html)]
    if deployment:
        command += ["--deployment", deployment]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"composelint graph failed ({result.returncode}): {result.stderr.strip()}")
    return html


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("project", nargs="?", default=".", type=Path, help="repository to draw (default: .)")
    parser.add_argument("-o", "--output", type=Path, default=Path("graph.png"), help="PNG to write")
    parser.add_argument("--html", type=Path, help="also keep the HTML page here")
    parser.add_argument("--deployment", help="draw one deployment only")
    parser.add_argument("--width", type=int, default=1440, help="viewport width in CSS pixels")
    parser.add_argument("--height", type=int, default=1100, help="viewport height in CSS pixels")
    parser.add_argument("--scale", type=float, default=1.0, help="device scale factor (2 for a sharper image)")
    args = parser.parse_args(argv)
    chromium = find_chromium()
    if chromium is None:
        print("screenshot_graph: Chromium is not installed (Debian: apt-get install chromium)", file=sys.stderr)
        return 2
    try:
        with tempfile.TemporaryDirectory(prefix="composelint-graph-") as scratch:
            html = args.html or Path(scratch) / "graph.html"
            render_html(args.project, html, args.deployment)
            png = screenshot(html, args.output, args.width, args.height, args.scale, chromium)
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        print(f"screenshot_graph: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {png}" + (f" and {args.html}" if args.html else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
