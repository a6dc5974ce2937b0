"""A timeline of this visit's recent callbacks on a page: one lane per worker PID, so learners see
callbacks run side by side on several workers, or queue on one. Drawn in the browser from the
shell's snapshot."""

from __future__ import annotations

from dash import MATCH, ClientsideFunction, Input, Output, clientside_callback, dcc, html

from components import ids as shell_ids
from lab.i18n import _


class Timeline(html.Div):
    class ids:
        @staticmethod
        def graph(aio_id: str) -> dict:
            return {"type": "lab-timeline-graph", "aio_id": aio_id}

        @staticmethod
        def config(aio_id: str) -> dict:
            return {"type": "lab-timeline-config", "aio_id": aio_id}

    def __init__(self, pattern: str, scope: str | None = None, title: str | None = None,
                 aio_id: str | None = None):
        aio_id = aio_id or scope or pattern
        super().__init__(
            [
                html.Div([html.Span(title or _("Where your callbacks ran"), className="lab-meters-title"),
                          html.Span(_("one lane per worker process · latest 60 s"), className="lab-muted small ms-2")]),
                dcc.Graph(id=self.ids.graph(aio_id), config={"displayModeBar": False, "responsive": True},
                          className="lab-timeline-graph", style={"height": "220px"}),
                dcc.Store(id=self.ids.config(aio_id), data={"pattern": pattern, "scope": scope or pattern}),
            ],
            className="lab-timeline",
        )


clientside_callback(
    ClientsideFunction("lab", "renderTimeline"),
    Output(Timeline.ids.graph(MATCH), "figure"),
    Input(shell_ids.SNAPSHOT, "data"),
    Input(Timeline.ids.config(MATCH), "data"),
)
