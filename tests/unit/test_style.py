"""The lab's colours and Plotly template, defined once in lab.style: what the browser receives
(CSS custom properties on the shell) is exactly that definition, and every lesson figure uses the
one registered template."""

import re
from pathlib import Path

import plotly.io as pio
import pytest

from lab import style
from lab.datasets import weather_for

ASSETS = Path(__file__).resolve().parents[2] / "assets"


def test_every_colour_reaches_the_browser_as_a_custom_property():
    variables = style.css_variables()
    assert variables["--lab-ink"] == style.INK and variables["--lab-gone"] == style.GONE
    assert [variables[f"--lab-worker-{i}"] for i in range(len(style.WORKERS))] == list(style.WORKERS)
    assert {f: variables[f"--lab-fruit-{f}"] for f in style.FRUITS} == style.FRUITS
    assert all(re.fullmatch(r"#[0-9a-f]{6}", v) for v in variables.values())


def test_the_stylesheets_use_the_properties_the_shell_sets():
    used = {m for css in ASSETS.glob("*.css") for m in re.findall(r"var\((--lab-[a-z0-9-]+)\)", css.read_text())}
    defined = set(style.css_variables()) | {"--lab-radius"}  # the one non-colour property, in lab.css
    assert used and used <= defined, used - defined
    fruits = (ASSETS / "global-variable.css").read_text()
    assert not any(color in fruits for color in style.FRUITS.values()), "fruit colours come from lab.style"


def test_worker_colours_follow_the_live_order():
    live = [30, 10, 20]
    assert style.worker_color(30, live) == style.WORKERS[0] and style.worker_color(20, live) == style.WORKERS[2]
    assert style.worker_color(99, live) == style.GONE


@pytest.mark.parametrize("module, build", [
    ("why_share_state", lambda m: m.weather_figure(weather_for(m.DAYS[0]), "C")),
    ("global_variable", lambda m: m.sales_figure(None, "units")),
    ("cache_signal", lambda m: m.waiting_figure()),
    ("aggregations", lambda m: m.revenue_figure("figs", {r: [1] * 12 for r in ("north", "south", "east", "west")})),
])
def test_lesson_figures_use_the_registered_template(module, build):
    import importlib
    figure = build(importlib.import_module(f"lab.{module}"))
    assert figure.layout.template == pio.templates[style.TEMPLATE]


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_is_measured_as_wcag_defines_it():
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast("#777777", "#ffffff"), 2) == 4.48  # the classic just-failing grey


@pytest.mark.parametrize("name, colour", [("ink", style.INK), ("muted", style.MUTED), ("accent", style.ACCENT),
                                          ("ok", style.OK), ("bad", style.BAD), ("warn", style.WARN)])
def test_text_colours_pass_wcag_aa_on_the_lab_backgrounds(name, colour):
    for background in ("#ffffff", style.BACKGROUND):
        assert contrast(colour, background) >= 4.5, (name, colour, background)


@pytest.mark.parametrize("colour", [*style.WORKERS, style.GONE, style.OK, style.BAD, style.WARN, style.ACCENT])
def test_white_text_on_chips_and_marks_passes_wcag_aa(colour):
    assert contrast("#ffffff", colour) >= 4.5, colour
