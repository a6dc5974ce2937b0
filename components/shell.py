"""The shell every page sits in: navbar generated from `dash.page_registry`, backend badge,
degraded-mode banner, the page container and the one-per-second snapshot of the server's state.

The snapshot is the only request the shell makes on its own (at most one per second per open
page); the badge and banner are drawn from it in the browser (`assets/lab.js`).
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, dcc, html, no_update

from lab.health import backend_status
from lab.settings import get_settings
from lab.workers import server_info


class ids:
    tick = "lab-tick"
    snapshot = "lab-snapshot"
    badge = "lab-backend-badge"
    banner = "lab-degraded-banner"
    navbar = "lab-navbar"


SNAPSHOT_INTERVAL_MS = 1000


def nav_pages() -> list[dict]:
    """The pages that appear in the navigation, in teaching order (`order` in `register_page`)."""
    pages = [p for p in dash.page_registry.values() if p.get("nav_label")]
    return sorted(pages, key=lambda p: (p.get("order") is None, p.get("order") or 0, p["name"]))


def lesson_pages() -> list[dict]:
    """The pattern pages (those registered with a `lesson` number), in teaching order."""
    return [p for p in nav_pages() if p.get("lesson")]


def create_navbar() -> dbc.Navbar:
    links = [
        dbc.NavItem(
            dbc.NavLink(
                [html.Span(str(p["lesson"]), className="lab-nav-number") if p.get("lesson") else None,
                 p["nav_label"]],
                href=p["relative_path"],
                active="exact",
                className="lab-nav-link",
                id={"type": "lab-nav-link", "path": p["path"]},
            )
        )
        for p in nav_pages()
    ]
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand(
                    [html.Span("⇄", className="lab-brand-mark"), "Sharing data between callbacks"],
                    href=dash.get_relative_path("/"),
                    className="lab-brand",
                ),
                dbc.NavbarToggler(id="lab-navbar-toggler"),
                dbc.Collapse(
                    [dbc.Nav(links, navbar=True, className="me-auto"),
                     html.Span(id=ids.badge, className="lab-badge")],
                    id="lab-navbar-collapse",
                    navbar=True,
                ),
            ],
            fluid=True,
        ),
        id=ids.navbar,
        color="dark",
        dark=True,
        className="lab-navbar",
    )


def snapshot() -> dict:
    """What the shell shows about the server right now (not which worker answered: that
    changes on every tick and would defeat the unchanged-snapshot check)."""
    info = server_info()
    info.pop("pid")
    return {"health": {**backend_status(dash.get_app().server, get_settings()), **info}}


def create_shell(**_kwargs):
    """The app layout, evaluated on every page load."""
    return html.Div(
        [
            create_navbar(),
            html.Div(id=ids.banner, className="lab-banner", role="alert", hidden=True),
            dbc.Container(dash.page_container, fluid="xl", className="lab-page"),
            html.Footer(
                ["A live lab on the Dash docs chapter “Sharing Data Between Callbacks”. ",
                 "Every number on these pages is measured on this server, now."],
                className="lab-footer",
            ),
            dcc.Store(id=ids.snapshot, data=snapshot()),
            dcc.Interval(id=ids.tick, interval=SNAPSHOT_INTERVAL_MS),
        ],
        className="lab-shell",
    )


@callback(
    Output(ids.snapshot, "data"),
    Input(ids.tick, "n_intervals"),
    State(ids.snapshot, "data"),
    prevent_initial_call=True,
)
def refresh_snapshot(_n, previous):
    fresh = snapshot()
    return no_update if fresh == previous else fresh


clientside_callback(
    ClientsideFunction("lab", "renderBackend"),
    Output(ids.badge, "children"),
    Output(ids.badge, "className"),
    Output(ids.banner, "children"),
    Output(ids.banner, "hidden"),
    Input(ids.snapshot, "data"),
)

clientside_callback(
    "function (n, open) { return !open; }",
    Output("lab-navbar-collapse", "is_open"),
    Input("lab-navbar-toggler", "n_clicks"),
    State("lab-navbar-collapse", "is_open"),
    prevent_initial_call=True,
)
