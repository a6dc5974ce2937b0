"""The meter panel every lesson places: a live timer, the real executions of the lesson's
expensive step (this visit and everyone), and the bytes its callbacks sent up and down, last
callback and this visit, with a per-callback breakdown on demand.

All-in-One: the page only places `MeterPanel(...)`; the panel's rendering callback is defined
once here (it runs in the browser from the shell's snapshot: no request of its own). The timer
is driven by `assets/lab.js`, which sees every callback request the page makes.
"""

from __future__ import annotations

from dash import MATCH, ClientsideFunction, Input, Output, clientside_callback, dcc, html

from components import ids as shell_ids
from lab.i18n import _


class MeterPanel(html.Div):
    class ids:
        @staticmethod
        def body(aio_id: str) -> dict:
            return {"type": "lab-meters-body", "aio_id": aio_id}

        @staticmethod
        def config(aio_id: str) -> dict:
            return {"type": "lab-meters-config", "aio_id": aio_id}

    def __init__(self, pattern: str, scope: str | None = None, steps: list[str] | None = None,
                 title: str | None = None, step_label: str | None = None, aio_id: str | None = None):
        """`scope`: the id prefix of the callbacks to measure (default: the whole page);
        `steps`: which of the pattern's expensive steps to count (default: all)."""
        scope = scope or pattern
        aio_id = aio_id or scope
        title, step_label = title or _("Meters"), step_label or _("Expensive step ran")
        super().__init__(
            [
                html.Div(title, className="lab-meters-title"),
                html.Div(
                    [
                        html.Div(
                            [html.Div(_("Callback time"), className="lab-meter-label"),
                             html.Div("—", className="lab-timer lab-meter-value", **{"data-scope": scope}),
                             html.Div(_("ticks while a callback runs"), className="lab-meter-sub")],
                            className="lab-meter",
                        ),
                        html.Div(id=self.ids.body(aio_id), className="lab-meter-body"),
                    ],
                    className="lab-meter-grid",
                ),
                dcc.Store(id=self.ids.config(aio_id),
                          data={"pattern": pattern, "scope": scope, "steps": steps, "stepLabel": step_label}),
            ],
            className="lab-meters",
            id=f"lab-meters-{aio_id}",
        )


clientside_callback(
    ClientsideFunction("lab", "renderMeters"),
    Output(MeterPanel.ids.body(MATCH), "children"),
    Input(shell_ids.SNAPSHOT, "data"),
    Input(MeterPanel.ids.config(MATCH), "data"),
)
