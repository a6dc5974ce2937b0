"""The browser's formatters (`formatBytes`, `formatDuration` in assets/lab.js) and the server's
(`lab.sizes`) print every number alike, halves and unit boundaries included: both run here on the
same numbers, the browser's in Node."""

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from lab.sizes import human_bytes, human_duration
from tests.conftest import need

SCRIPT = Path(__file__).resolve().parent.parent / "js" / "print-formats.js"

BYTES = [0, 1, 999, 1000, 1005, 1125, 1234, 9995, 9_999, 10_000, 12_345, 99_950, 99_999, 100_000, 123_456,
         999_499, 999_500, 999_999, 1_000_000, 4_558_204, 13_700_000, 2_500_000_000, 7_000_000_000_000]
DURATIONS = [0, 0.05, 0.25, 4.23, 9.94, 9.95, 9.96, 10, 12.5, 321.4, 999.4, 999.5, 1000, 1005, 3012, 9994, 9995,
             9999.9, 10_000, 12_345, 123_456.7]


def browser_formats(numbers: dict) -> dict:
    node = shutil.which("node")
    need(node is not None, "node is not installed (apt-get install nodejs)")
    done = subprocess.run([node, str(SCRIPT)], input=json.dumps(numbers), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_python_and_browser_formatters_agree(lang):
    rng = random.Random(7)
    numbers = {"lang": lang, "bytes": BYTES + [rng.randrange(0, 10 ** rng.randint(1, 13)) for _ in range(300)],
               "durations": DURATIONS + [round(rng.uniform(0, 10 ** rng.randint(0, 5)), rng.randint(0, 3))
                                         for _ in range(300)]}
    browser = browser_formats(numbers)
    assert browser["bytes"] == [human_bytes(n, lang) for n in numbers["bytes"]]
    assert browser["durations"] == [human_duration(ms, lang) for ms in numbers["durations"]]
    if lang == "es":
        assert human_bytes(1234, lang) == "1,23 KB" and human_duration(3012, lang) == "3,01 s"
