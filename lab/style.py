"""The lab's look, defined once: its colours and its Plotly template.

Python figures use these names directly. The browser gets the same values from here: the shell
sets `css_variables()` as CSS custom properties on its root element, and `assets/*.css` and
`assets/lab.js` read `var(--lab-…)` from there, so a colour changed here changes everywhere.

The Plotly template `lab` is registered once with `plotly.io.templates`; every figure names it
(`template=TEMPLATE`). It is lean on purpose (a few properties, no per-trace defaults), so a
figure's JSON stays small next to the data the lessons measure.
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

INK = "#1d2433"
MUTED = "#5b6477"
ACCENT = "#4f46e5"
ACCENT_SOFT = "#eef0ff"
# Every colour that carries text, or white text on it, passes WCAG AA (4.5:1) on white and on BACKGROUND;
# tests/unit/test_style.py measures it.
OK = "#15803d"
BAD = "#b91c1c"
WARN = "#b45309"
BACKGROUND = "#f4f6fb"
CARD_BORDER = "#e3e7f0"
PLOT_BACKGROUND = "#fbfcfe"
GRID = "#e3e7f0"
GONE = "#6b7280"  # a worker that is no longer live
BACKGROUND_JOB = "#334155"  # a background process (job process, Celery worker) on the timeline
FONT = "system-ui, sans-serif"

# One colour per live worker, in PID order (the worker strip, the timeline, the chips).
WORKERS = ("#4f46e5", "#0e7490", "#15803d", "#b45309", "#be185d", "#7c3aed", "#0f766e", "#c2410c",
           "#1d4ed8", "#4d7c0f", "#be123c", "#0369a1")
FRUITS = {"apples": "#dc2626", "oranges": "#ea580c", "figs": "#7c3aed", "pineapples": "#a16207"}
REGIONS = {"north": "#4f46e5", "south": "#0e7490", "east": "#15803d", "west": "#b45309"}


def worker_color(pid: int, live: list[int]) -> str:
    """The colour of worker `pid` among the `live` ones (grey once it is gone)."""
    return WORKERS[live.index(pid) % len(WORKERS)] if pid in live else GONE


def css_variables() -> dict[str, str]:
    """Every colour above as a CSS custom property (`--lab-ink`, `--lab-worker-0`, `--lab-fruit-figs`…)."""
    named = {"ink": INK, "muted": MUTED, "accent": ACCENT, "accent-soft": ACCENT_SOFT, "ok": OK, "bad": BAD,
             "warn": WARN, "bg": BACKGROUND, "card-border": CARD_BORDER, "plot-bg": PLOT_BACKGROUND, "grid": GRID,
             "gone": GONE, "background": BACKGROUND_JOB}
    variables = {f"--lab-{name}": value for name, value in named.items()}
    variables.update({f"--lab-worker-{i}": color for i, color in enumerate(WORKERS)})
    variables.update({f"--lab-fruit-{fruit}": color for fruit, color in FRUITS.items()})
    variables.update({f"--lab-region-{region}": color for region, color in REGIONS.items()})
    return variables


TEMPLATE = "lab"

pio.templates[TEMPLATE] = go.layout.Template(layout={
    "font": {"family": FONT, "color": INK},
    "title": {"font": {"size": 15}, "x": 0.01},
    "colorway": list(WORKERS),
    "plot_bgcolor": PLOT_BACKGROUND,
    "paper_bgcolor": "rgba(0,0,0,0)",
    "xaxis": {"gridcolor": GRID, "zeroline": False},
    "yaxis": {"gridcolor": GRID, "zeroline": False},
    "hoverlabel": {"font": {"family": FONT}},
})
