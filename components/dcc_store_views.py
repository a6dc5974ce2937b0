"""Lesson 3's views: what the clean callback just did (with the warnings that apply), and the
table reader's four rows. `pages/dcc_store.py` places them."""

from __future__ import annotations

import pandas as pd
from dash import html

from components.workshop import Answer, Question
from lab.dcc_store import HEAVY_BYTES
from lab.i18n import _, decimal
from lab.sales import ALL, region_totals
from lab.sizes import human_bytes


def totals_table(sales: pd.DataFrame) -> html.Table:
    totals = region_totals(sales)
    return html.Table(
        [html.Thead(html.Tr([html.Th(_("Region")), html.Th(_("Rows")), html.Th(_("Units")), html.Th(_("Revenue"))])),
         html.Tbody([html.Tr([html.Td(_(r.region)), html.Td(decimal(r.rows)), html.Td(decimal(r.units)),
                              html.Td(decimal(r.revenue, 2))]) for r in totals.itertuples()])],
        className="table table-sm ds-totals",
    )


def clean_note(receipt: dict) -> list:
    """What the clean callback just did, with the warnings that apply."""
    what = _("all fruits") if receipt["fruit"] == ALL else _(receipt["fruit"])
    size = human_bytes(receipt["json_bytes"])
    lines = []
    if receipt["skipped"]:
        lines.append(html.Div([html.Strong(_("Not cleaned again:")), " ",
                               _("your browser still holds %(rows)s rows of %(what)s (%(size)s of JSON) in %(storage)s "
                                 "storage from before. The readers still upload it.", rows=decimal(receipt["kept_rows"]),
                                 what=what, size=size, storage=receipt["kept_in"])],
                              className="ds-note ds-note-ok"))
    else:
        cleaned = (_("Cleaned %(rows)s rows of all fruits", rows=decimal(receipt["rows"])) if receipt["fruit"] == ALL
                   else _("Cleaned %(rows)s rows, kept the %(kept)s of %(what)s", rows=decimal(receipt["rows"]),
                          kept=decimal(receipt["kept_rows"]), what=what))
        lines.append(html.Div([html.Strong(cleaned), ": ",
                               _("%(size)s of JSON, kept in %(storage)s storage.", size=size,
                                 storage=receipt["kept_in"])], className="ds-note"))
    if receipt["kept_in"] != receipt["storage"]:
        lines.append(html.Div(
            [html.Strong(_("Too big for %(storage)sStorage in this browser:", storage=receipt["storage"])), " ",
             _("it needs %(needs)s characters and has room for %(room)s. A dcc.Store would fail here (Chromium "
               "throws QuotaExceededError and the write is lost), so this page kept the data in memory instead.",
               needs=decimal(receipt["json_bytes"]), room=decimal(receipt["room"]))],
            className="ds-note ds-note-bad"))
    if receipt["json_bytes"] >= HEAVY_BYTES:
        lines.append(html.Div(
            [html.Strong(_("Heavy store: %(size)s.", size=size)), " ",
             _("Every callback that reads it uploads all of it again, uncompressed, and home connections upload far "
               "slower than they download. Lesson 4 sends only what the graphs draw.")],
            className="ds-note ds-note-warn"))
    return lines


def self_check_questions() -> list[Question]:
    return [
        Question(_("A graph callback takes a 2 MB dcc.Store as an Input. What does each of its requests carry?"), (
            Answer(_("All 2 MB of the store, uncompressed."), True,
                   _("A callback's inputs travel in its request body, and browsers do not compress what they send.")),
            Answer(_("Only the store's id: the server already has the data."), False,
                   _("The server keeps nothing for a dcc.Store: the data lives in the browser and must come up.")),
            Answer(_("Only what changed since the last request."), False,
                   _("Dash sends whole values of its inputs; there is no diff on the way up.")))),
        Question(_("You switch the store from memory to local storage. What changes?"), (
            Answer(_("How long the data lives in the browser: it survives reloads and restarts."), True,
                   _("The storage type decides lifetime and sharing between tabs, not how far the data travels.")),
            Answer(_("The readers stop uploading it."), False,
                   _("Whatever the storage type, every reader still sends the whole store up with each request.")),
            Answer(_("It moves to the server."), False,
                   _("local and session are the browser's own storage; nothing goes to the server's memory.")))),
        Question(_("Why is dcc.Store safe with several workers, unlike a global variable?"), (
            Answer(_("Each request carries the user's own data, so any worker can answer it correctly."), True,
                   _("The data travels with the request: no worker needs to remember anything.")),
            Answer(_("gunicorn copies the store to every worker."), False,
                   _("gunicorn copies nothing: the browser sends the store along with each callback.")),
            Answer(_("Because it is compressed."), False,
                   _("Compression only shrinks what comes down; safety comes from where the data lives.")))),
    ]
