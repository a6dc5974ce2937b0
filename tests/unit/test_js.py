"""The browser scripts' own tests (tests/js/*.test.js), run by Node's built-in test runner, so the
README's one test command covers them too."""

import shutil
import subprocess
from pathlib import Path

from tests.conftest import need

JS_TESTS = Path(__file__).resolve().parent.parent / "js"


def test_browser_scripts():
    node = shutil.which("node")
    need(node is not None, "node is not installed (apt-get install nodejs)")
    done = subprocess.run([node, "--test", str(JS_TESTS)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "# fail 0" in done.stdout and "# pass 0" not in done.stdout, done.stdout[-2000:]
