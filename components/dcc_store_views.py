"""Lesson 3's views: what the clean callback just did (with the warnings that apply), and the
table reader's four rows. `pages/dcc_store.py` places them."""

from __future__ import annotations

import pandas as pd
from dash import html

from lab.dcc_store import HEAVY_BYTES
from lab.sales import ALL, region_totals
from lab.sizes import human_bytes


def totals_table(sales: pd.DataFrame) -> html.Table:
    totals = region_totals(sales)
    return html.Table(
        [html.Thead(html.Tr([html.Th("Region"), html.Th("Rows"), html.Th("Units"), html.Th("Revenue")])),
         html.Tbody([html.Tr([html.Td(r.region), html.Td(f"{r.rows:,}"), html.Td(f"{r.units:,}"),
                              html.Td(f"{r.revenue:,.2f}")]) for r in totals.itertuples()])],
        className="table table-sm ds-totals",
    )


def clean_note(receipt: dict) -> list:
    """What the clean callback just did, with the warnings that apply."""
    what = "all fruits" if receipt["fruit"] == ALL else receipt["fruit"]
    size = human_bytes(receipt["json_bytes"])
    lines = []
    if receipt["skipped"]:
        lines.append(html.Div([html.Strong("Not cleaned again: "),
                               f"your browser still holds {receipt['kept_rows']:,} rows of {what} ({size} of JSON) "
                               f"in {receipt['kept_in']} storage from before. The readers still upload it."],
                              className="ds-note ds-note-ok"))
    else:
        cleaned = (f"Cleaned {receipt['rows']:,} rows of all fruits" if receipt["fruit"] == ALL
                   else f"Cleaned {receipt['rows']:,} rows, kept the {receipt['kept_rows']:,} of {what}")
        lines.append(html.Div([html.Strong(cleaned), f": {size} of JSON, kept in ",
                               html.Code(f"{receipt['kept_in']}"), " storage."], className="ds-note"))
    if receipt["kept_in"] != receipt["storage"]:
        lines.append(html.Div(
            [html.Strong(f"Too big for {receipt['storage']}Storage in this browser: "),
             f"it needs {receipt['json_bytes']:,} characters and has room for {receipt['room']:,}. "
             "A dcc.Store would fail here (Chromium throws QuotaExceededError and the write is lost), so this "
             "page kept the data in memory instead."],
            className="ds-note ds-note-bad"))
    if receipt["json_bytes"] >= HEAVY_BYTES:
        lines.append(html.Div(
            [html.Strong(f"Heavy store: {size}. "),
             "Every callback that reads it uploads all of it again, uncompressed, and home connections upload "
             "far slower than they download. Lesson 4 sends only what the graphs draw."],
            className="ds-note ds-note-warn"))
    return lines
