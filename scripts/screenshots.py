#!/usr/bin/env python3
"""Screenshots of every report kind in headless Chromium, for the README and for review: writes
``reports/screenshots/{analyze,compare,lint}.png`` (first 1400x900 screen) and ``*-390.png`` (a phone-width
first screen), from the project's own fixtures.

Run from the repository root: ``python3 scripts/screenshots.py`` (needs Chromium, e.g. ``apt-get install
chromium``, and ``websocket-client`` from the test extra). The PNGs are committed: re-run after changing the
report's templates.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser import chromium_page, find_chromium  # noqa: E402  (the repository root is on the path now)

OUT = ROOT / "reports" / "screenshots"
MODEL = Path("fixtures") / "models" / "xlmr_tiny_ts_op17.onnx"  # relative to ROOT: short paths in the pictures
ENGINES = Path("fixtures") / "engines"


def _trtdiag(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "trtdiag", *args, "--no-timestamp"], cwd=ROOT, check=True,
                   capture_output=True)


def make_reports(folder: Path) -> dict[str, Path]:
    """The three reports the screenshots show, written from the fixtures."""
    pages = {name: folder / f"{name}.html" for name in ("analyze", "compare", "lint")}
    _trtdiag("analyze", str(Path("fixtures") / "logs" / "xlmr_int8_only_trtexec.log"), str(MODEL),
             "-o", str(pages["analyze"]))
    _trtdiag("compare", "--fp16", str(ENGINES / "fp16"), "--int8", str(ENGINES / "int8_only"), "--model",
             str(MODEL), "-o", str(pages["compare"]))
    _trtdiag("lint", str(Path("fixtures") / "models" / "qdq" / "ort_default_qdq.onnx"), "--fail-on", "never",
             "-o", str(pages["lint"]))
    return pages


def main() -> int:
    chromium = find_chromium()
    if chromium is None:
        print("screenshots: no Chromium found (apt-get install chromium)", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, chromium_page(chromium) as page:
        for name, html in make_reports(Path(tmp)).items():
            for width, height, suffix in ((1400, 900, ""), (390, 844, "-390")):
                page.viewport(width, height)
                page.open(html)
                target = OUT / f"{name}{suffix}.png"
                page.screenshot(target)
                print(f"screenshots: wrote {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
