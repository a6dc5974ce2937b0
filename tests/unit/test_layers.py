"""The house rules that keep the code easy to carry on, checked on the tree itself: the engine
(`lab/`) imports nothing from the UI, no Python file carries browser code, and the lessons' own
unit tests run without building the Dash app."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP_FILES = [ROOT / "app.py", *(p for folder in ("lab", "components", "pages") for p in (ROOT / folder).glob("*.py"))]
LESSONS = ["why_share_state", "global_variable", "dcc_store", "aggregations", "cache_signal", "session_cache",
           "send_less", "background"]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("path", sorted((ROOT / "lab").glob("*.py")), ids=lambda p: p.name)
def test_the_engine_imports_no_ui(path):
    ui = {m for m in imported_modules(path) if m.split(".")[0] in ("pages", "components", "app")}
    assert not ui, f"{path.name} imports {ui}"


def test_the_apps_python_carries_no_javascript_function():
    """The browser code lives in assets/, where its own tests reach it (tests/js)."""
    js = re.compile(r"""function\s*\w*\s*\([^)]*\)\s*\{|\w\)?\s*=>""")
    found = [f"{p.relative_to(ROOT)}:{n}" for p in APP_FILES
             for n, line in enumerate(p.read_text().splitlines(), 1) if js.search(line)]
    assert not found, found


@pytest.mark.parametrize("lesson", LESSONS)
def test_a_lessons_unit_tests_build_no_dash_app(lesson):
    """Importing the lesson's unit tests (and so its engine and views) registers no page."""
    code = (f"import sys, dash, tests.unit.test_{lesson}; "
            "assert 'app' not in sys.modules, 'the app was imported'; "
            "assert not dash.page_registry, 'pages were registered'")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
