"""The real source of a page's callbacks, read from the page module when the page is opened and
syntax-highlighted: what is shown is what runs."""

from __future__ import annotations

import inspect
import textwrap
from pathlib import Path

from dash import dcc, html

from lab.i18n import _

PROJECT_DIR = Path(__file__).resolve().parent.parent


def source_of(*functions) -> str:
    """The source of each function (decorators included), as it is in the file right now."""
    return "\n\n".join(textwrap.dedent(inspect.getsource(fn)).rstrip() for fn in functions)


def create_code_view(*functions, title: str | None = None, open: bool = False) -> html.Details:
    path = Path(inspect.getsourcefile(inspect.unwrap(functions[0]))).resolve()  # a decorator's wrapper is not the code
    try:
        shown = path.relative_to(PROJECT_DIR)
    except ValueError:
        shown = path.name
    return html.Details(
        [
            html.Summary([html.Span(title or _("The code that runs this demo"), className="lab-code-title"), html.Code(str(shown), className="ms-2")]),
            dcc.Markdown(f"```python\n{source_of(*functions)}\n```", className="lab-code"),
        ],
        className="lab-code-view",
        open=open,
    )
