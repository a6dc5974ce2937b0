"""Building blocks every lesson page is made of, so the lessons read alike: a header with the
lesson's number and question, short explanation cards, a side-by-side comparison, and takeaways.

A lesson page is: `lesson_header(...)`, a short explanation, the live demo with its meters (see
`components.meters`, `components.timeline`), the code view (`components.code_view`), takeaways.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html


def lesson_header(module: str, question: str, lead) -> html.Div:
    """The lesson's number (from its `register_page`), its question, and a lead paragraph."""
    page = dash.page_registry[module]
    return html.Div(
        [
            html.Div(f"Lesson {page['lesson']} · {page['name']}", className="lab-kicker"),
            html.H1(question),
            html.P(lead, className="lab-lead"),
        ],
        className="lab-hero",
    )


def explain(title: str, *body, className: str = "") -> html.Div:
    """A card of explanation: a title and paragraphs (strings or components)."""
    return html.Div([html.H3(title), *[html.P(p) if isinstance(p, (str, list)) else p for p in body]],
                    className=f"lab-card {className}".strip())


def verdict(good: bool, text) -> html.Div:
    """The one-line judgement over a side of a comparison: ✗ what goes wrong, ✓ what works."""
    return html.Div([html.Span("✓" if good else "✗", className="lab-verdict-mark"), text],
                    className=f"lab-verdict {'lab-verdict-good' if good else 'lab-verdict-bad'}")


def side_by_side(left, right, left_title: str, right_title: str, left_good: bool = False,
                 right_good: bool = True) -> dbc.Row:
    """Two columns that differ in one thing: the anti-pattern (or weaker one) and the better one."""
    def column(title, good, body):
        return dbc.Col(html.Div([verdict(good, title), *body], className="lab-side"), lg=6)
    return dbc.Row([column(left_title, left_good, left), column(right_title, right_good, right)], className="g-3")


def takeaways(*points) -> html.Div:
    return html.Div([html.H3("Takeaways"), html.Ul([html.Li(p) for p in points])],
                    className="lab-card lab-takeaways")


def section(title: str) -> html.H2:
    return html.H2(title, className="lab-section-title")
