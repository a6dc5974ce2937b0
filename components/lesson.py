"""Building blocks every lesson page is made of, so the lessons read alike.

`lesson_layout` is the skeleton every lesson page's `layout` returns: the header (the lesson's
number and question), explanation cards, "Try it" with the demo (controls, meters, outputs), the
timeline of this visit's callbacks, the lesson's further sections, the code that runs it, and the
takeaways. The other builders are its furniture: `explain` cards, a `side_by_side` comparison with
its `verdict`s, the `toggle` every lesson's choices use, `section` titles.
"""

from __future__ import annotations

from collections.abc import Sequence

import dash
import dash_bootstrap_components as dbc
from dash import html

from components.workshop import Question, self_check, try_this, why_line
from lab.i18n import _


def lesson_layout(module: str, *, question: str, lead, why, cards: Sequence, try_steps: Sequence[tuple],
                  demo: Sequence, timeline, code, takeaways: Sequence, check: Sequence[Question],
                  sections: Sequence[tuple[str, object]] = (), try_title: str | None = None) -> html.Div:
    """A lesson page, in the order every lesson follows: header → the one-line `why` →
    explanation cards → `try_title` with the "Try this" steps (action, what the meters then show)
    and the `demo` (controls, meters, outputs) → the `timeline` → the further `sections` (title,
    content) → the code → the takeaways → the self-check (`check`: three questions). The page's
    root id is the lesson's `pattern`."""
    page = dash.page_registry[module]
    width = 12 // max(1, len(cards))
    children = [
        lesson_header(module, question, lead),
        why_line(why),
        dbc.Row([dbc.Col(card, md=6 if width < 12 else 12, lg=width) for card in cards], className="g-3"),
        section(try_title or _("Try it")),
        html.Div(try_this(list(try_steps)), id=f"{page['pattern']}-try"),
        *demo,
        html.Div(timeline, className="mt-3"),
    ]
    for title, content in sections:
        children += [section(title), content]
    children += [section(_("The code")), *(code if isinstance(code, (list, tuple)) else [code]),
                 html.Div(_takeaways_card(*takeaways), className="mt-3"),
                 html.Div(self_check(page["pattern"], list(check)), className="mt-3", id=f"{page['pattern']}-check")]
    return html.Div(children, id=page["pattern"])


def toggle(id_, options: dict, value, className: str = "", multi: bool = False, **kwargs):
    """The lab's choice of one value (or, with `multi`, of several: `value` is then a list), drawn
    as a group of buttons: `options` maps each value to its label. Extra keyword arguments go to
    `dbc.RadioItems` / `dbc.Checklist` (persistence, say)."""
    kind = dbc.Checklist if multi else dbc.RadioItems
    return kind(id=id_, options=[{"label": label, "value": v} for v, label in options.items()],
                value=value, inline=True, className=f"btn-group lab-toggle {className}".strip(),
                inputClassName="btn-check", labelClassName="btn btn-outline-primary",
                labelCheckedClassName="active", **kwargs)


def lesson_header(module: str, question: str, lead) -> html.Div:
    """The lesson's number (from its `register_page`), its question, and a lead paragraph."""
    page = dash.page_registry[module]
    return html.Div(
        [
            html.Div(_("Lesson %(number)s · %(name)s", number=page["lesson"], name=_(page["name"])), className="lab-kicker"),
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
    return html.Div([html.Span("✓" if good else "✗", className="lab-verdict-mark", **{"aria-hidden": "true"}),
                     html.Span(_("Works:") if good else _("Falls short:"), className="visually-hidden"), text],
                    className=f"lab-verdict {'lab-verdict-good' if good else 'lab-verdict-bad'}")


def side_by_side(left, right, left_title: str, right_title: str, left_good: bool = False,
                 right_good: bool = True) -> dbc.Row:
    """Two columns that differ in one thing: the anti-pattern (or weaker one) and the better one."""
    def column(title, good, body):
        return dbc.Col(html.Div([verdict(good, title), *body], className="lab-side"), lg=6)
    return dbc.Row([column(left_title, left_good, left), column(right_title, right_good, right)], className="g-3")


def takeaways(*points) -> html.Div:
    return html.Div([html.H3(_("Takeaways")), html.Ul([html.Li(p) for p in points])],
                    className="lab-card lab-takeaways")


def section(title: str) -> html.H2:
    return html.H2(title, className="lab-section-title")


_takeaways_card = takeaways  # lesson_layout's `takeaways` argument shadows the name
