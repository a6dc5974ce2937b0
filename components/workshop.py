"""What every lesson gives a learner besides its demo: a one-line "Why" naming the mechanism, a
"Try this" box (two or three concrete actions and what the meters should then show), and a
three-question self-check whose answers explain themselves, right or wrong.

The self-check runs in the browser (assets/workshop.js): choosing an answer shows its explanation
at once, with no request. Its ids start with `lab-`, like the instruments': nothing counts them.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import dash_bootstrap_components as dbc
from dash import MATCH, ClientsideFunction, Input, Output, State, clientside_callback, dcc, html

from lab.i18n import _


@dataclass(frozen=True)
class Answer:
    text: str
    right: bool
    why: str  # shown when this answer is chosen: why it is right, or why not


@dataclass(frozen=True)
class Question:
    text: str
    answers: tuple[Answer, ...]


class ids:
    @staticmethod
    def choice(page: str, number: int) -> dict:
        return {"type": "lab-check-choice", "page": page, "q": number}

    @staticmethod
    def feedback(page: str, number: int) -> dict:
        return {"type": "lab-check-feedback", "page": page, "q": number}

    @staticmethod
    def answers(page: str, number: int) -> dict:
        return {"type": "lab-check-answers", "page": page, "q": number}


def why_line(text) -> html.P:
    """"Why: …" — the mechanism the lesson is about, in one line."""
    return html.P([html.Strong(_("Why:")), " ", text], className="lab-why")


def try_this(steps: list[tuple]) -> html.Div:
    """Two or three things to do, each with what the meters should show afterwards."""
    return html.Div(
        [html.H3(_("Try this"), className="lab-try-title"),
         html.Ol([html.Li([html.Span(action, className="lab-try-action"), " ",
                           html.Span(["→ ", expect], className="lab-try-expect")]) for action, expect in steps],
                 className="lab-try-steps")],
        className="lab-try", role="note", **{"aria-label": _("Try this")},
    )


def self_check(page: str, questions: list[Question]) -> html.Div:
    """A self-check: each question's answers as radio buttons; choosing one explains it."""
    blocks = []
    for number, question in enumerate(questions, 1):
        # The right answer is written first in the code; shown in an order that is stable (the same
        # on every worker and reload) but not "always the first".
        question = Question(question.text, tuple(sorted(question.answers, key=lambda a: zlib.crc32(a.text.encode()))))
        label_id = f"lab-check-{page}-{number}-label"
        blocks.append(html.Div([
            html.Div([html.Span(f"{number}. ", className="lab-check-number"), question.text], id=label_id,
                     className="lab-check-question"),
            html.Div(dbc.RadioItems(id=ids.choice(page, number),
                                    options=[{"label": a.text, "value": i} for i, a in enumerate(question.answers)],
                                    className="lab-check-options"),
                     role="radiogroup", **{"aria-labelledby": label_id}),
            html.Div(id=ids.feedback(page, number), className="lab-check-feedback", role="status",
                     **{"aria-live": "polite"}),
            dcc.Store(id=ids.answers(page, number),
                      data=[{"right": a.right, "why": a.why} for a in question.answers]),
        ], className="lab-check-block"))
    return html.Div([html.H3(_("Check yourself")),
                     html.P(_("Choose an answer: each one explains itself, right or wrong."), className="lab-muted"),
                     *blocks], className="lab-card lab-check")


clientside_callback(
    ClientsideFunction("workshop", "explain"),
    Output(ids.feedback(MATCH, MATCH), "children"),
    Output(ids.feedback(MATCH, MATCH), "className"),
    Input(ids.choice(MATCH, MATCH), "value"),
    State(ids.answers(MATCH, MATCH), "data"),
)
