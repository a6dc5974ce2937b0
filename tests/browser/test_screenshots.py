"""`make screenshots` in CI's browser set-up: the script starts its own lab, photographs a page in
both languages and stops the lab again."""

import struct
import subprocess
import sys
from pathlib import Path

import pytest

from lab.settings import PROJECT_DIR
from tests.conftest import need
from tests.support import CHROMIUM

pytestmark = pytest.mark.browser


def png_size(path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


def test_shot001_the_screenshots_script_runs_in_both_languages(tmp_path):
    """Two real 1280×720 PNGs of the overview, one per language, that differ."""
    need(Path(CHROMIUM).exists(), f"{CHROMIUM} is missing (apt-get install chromium chromium-driver)")
    done = subprocess.run([sys.executable, "scripts/screenshots.py", "--pages", "home", "--out", str(tmp_path)],
                          cwd=PROJECT_DIR, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    shots = {lang: tmp_path / lang / "home.png" for lang in ("en", "es")}
    for lang, shot in shots.items():
        assert png_size(shot) == (1280, 720), lang
        assert shot.stat().st_size > 20_000, f"{lang}: an almost empty picture"
    assert shots["en"].read_bytes() != shots["es"].read_bytes()
