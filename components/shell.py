"""The shell every page sits in: navbar generated from `dash.page_registry`, backend badge,
degraded-mode banner, worker strip, the page container, and the snapshot of the server's state.

Each page load mints a signed session id (a "visit"); `assets/lab.js` sends it with every
callback request, so the meters can tell this visit's callbacks from everyone's. The snapshot
is the only request the instruments make: one light request per second per open page, answered
with 204 when nothing changed. Badge, banner, worker strip, meters and timelines are drawn from
it in the browser.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import ALL, ClientsideFunction, Input, Output, State, callback, clientside_callback, dcc, html
from dash.exceptions import PreventUpdate

from components import ids
from components.worker_strip import create_worker_strip
from lab import i18n, sessions, snapshot, style
from lab.i18n import _
from lab.schema import accepts, clicks, nullable, text
from lab.instrument import current_session
from lab.settings import get_settings

SNAPSHOT_INTERVAL_MS = 1000

# What the shell's callbacks (and Dash's own page router) accept; see lab.schema.
accepts({
    ("_pages_location", "pathname"): nullable(text(300, r"/[A-Za-z0-9/_.~%-]*")),
    ("_pages_location", "search"): nullable(text(1000)),
    (ids.TICK, "n_intervals"): clicks(),
    (ids.DIGEST, "data"): nullable(text(64, r"[0-9a-f]*")),
})


def nav_pages() -> list[dict]:
    """The pages that appear in the navigation, in teaching order (`order` in `register_page`)."""
    pages = [p for p in dash.page_registry.values() if p.get("nav_label")]
    return sorted(pages, key=lambda p: (p.get("order") is None, p.get("order") or 0, p["name"]))


def lesson_pages() -> list[dict]:
    """The pattern pages (those registered with a `lesson` number), in teaching order."""
    return [p for p in nav_pages() if p.get("lesson")]


def page_at(pathname: str | None) -> dict:
    """The registered page at `pathname` (its `pattern` names the ids, and so the callbacks, it owns)."""
    for page in dash.page_registry.values():
        if page["relative_path"] == pathname:
            return page
    return {}


def create_navbar() -> dbc.Navbar:
    links = [
        dbc.NavItem(
            dbc.NavLink(
                [html.Span(str(p["lesson"]), className="lab-nav-number") if p.get("lesson") else None,
                 _(p["nav_label"])],
                href=p["relative_path"],
                active="exact",
                className="lab-nav-link",
            )
        )
        for p in nav_pages()
    ]
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand(
                    [html.Span("⇄", className="lab-brand-mark", **{"aria-hidden": "true"}),
                     html.Span(_("Sharing data between callbacks"), className="lab-brand-long"),
                     html.Span(_("Sharing data"), className="lab-brand-short")],
                    href=dash.get_relative_path("/"),
                    className="lab-brand",
                ),
                dbc.NavbarToggler(id="lab-navbar-toggler"),
                dbc.Collapse(
                    # Badge and language first: on a wide screen they sit beside the brand, and the
                    # lessons take a row of their own under them (assets/lab.css, "Navbar").
                    [html.Span(id=ids.BADGE, className="lab-badge"),
                     create_language_switch(),
                     dbc.Nav(links, navbar=True, className="lab-nav-links")],
                    id="lab-navbar-collapse",
                    navbar=True,
                ),
            ],
            fluid=True,
        ),
        id=ids.NAVBAR,
        color="dark",
        dark=True,
        className="lab-navbar",
    )


def create_language_switch() -> html.Div:
    """EN · ES: a link per language (`/lang/<code>`, remembered per browser), back to this page."""
    here = i18n.current()
    return html.Div(
        [html.A(code.upper(), href=f"/lang/{code}", id={"type": ids.LANGUAGE, "lang": code}, lang=code, title=name,
                className=f"lab-lang{' lab-lang-current' if code == here else ''}",
                **({"aria-current": "true"} if code == here else {}))
         for code, name in i18n.LANGUAGES.items()],
        className="lab-langs", role="group", **{"aria-label": _("Language")},
    )


def create_shell(**_kwargs):
    """The app layout, evaluated on every page load: each load is a new visit."""
    settings = get_settings()
    token = sessions.mint(settings.secret_key)
    visit = sessions.verify(settings.secret_key, token)
    first = snapshot.build(dash.get_app().server, settings, visit, None)
    return html.Div(
        [
            html.A(_("Skip to the lesson"), href="#lab-main", className="lab-skip"),
            create_navbar(),
            create_worker_strip(),
            html.Div(id=ids.BANNER, className="lab-banner", role="alert", hidden=True),
            html.Main(dbc.Container(dash.page_container, fluid="xl", className="lab-page"), id="lab-main",
                      tabIndex="-1"),
            html.Footer(
                [_("A live lab on the Dash docs chapter “Sharing Data Between Callbacks”."), " ",
                 _("Every number on these pages is measured on this server, now.")],
                className="lab-footer",
            ),
            dcc.Store(id=ids.SNAPSHOT, data=first),
            dcc.Store(id=ids.DIGEST, data=snapshot.digest(first)),
            dcc.Interval(id=ids.TICK, interval=SNAPSHOT_INTERVAL_MS),
        ],
        id=ids.SHELL,
        className="lab-shell",
        style=style.css_variables(),  # the lab's colours, for assets/*.css and lab.js (lab/style.py)
        **{"data-lab-session": token},
    )


@callback(
    Output(ids.SNAPSHOT, "data"),
    Output(ids.DIGEST, "data"),
    Input(ids.TICK, "n_intervals"),
    Input("_pages_location", "pathname"),
    State(ids.DIGEST, "data"),
    prevent_initial_call=True,
)
def refresh_snapshot(_n, pathname, previous_digest):
    page = page_at(pathname)
    fresh = snapshot.build(dash.get_app().server, get_settings(), current_session(), page.get("pattern"),
                           with_summary=bool(page.get("live_summary")),
                           with_comparison=bool(page.get("live_comparison")))
    fresh_digest = snapshot.digest(fresh)
    if fresh_digest == previous_digest:
        raise PreventUpdate
    return fresh, fresh_digest


# The language links come back to the page they were clicked on (in the browser: no request).
clientside_callback(
    ClientsideFunction("lab", "languageLinks"),
    Output({"type": ids.LANGUAGE, "lang": ALL}, "href"),
    Input("_pages_location", "pathname"),
    State({"type": ids.LANGUAGE, "lang": ALL}, "id"),
)

clientside_callback(
    ClientsideFunction("lab", "renderBackend"),
    Output(ids.BADGE, "children"),
    Output(ids.BADGE, "className"),
    Output(ids.BANNER, "children"),
    Output(ids.BANNER, "hidden"),
    Input(ids.SNAPSHOT, "data"),
)

clientside_callback(
    ClientsideFunction("lab", "toggleNavbar"),
    Output("lab-navbar-collapse", "is_open"),
    Input("lab-navbar-toggler", "n_clicks"),
    State("lab-navbar-collapse", "is_open"),
    prevent_initial_call=True,
)
