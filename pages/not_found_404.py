"""A friendly 404: the path has no lesson, here are the ones that exist."""

import dash
from dash import dcc, html

from components.shell import nav_pages
from lab.i18n import N_, _, later

dash.register_page(__name__, path="/404", name=N_("Page not found"),
                   title=later("Not found: sharing data between callbacks"))


def layout(**_kwargs):
    return html.Div(
        [
            html.Div("404", className="lab-big"),
            html.H1(_("There is no lesson at this address"), className="h3 mt-3"),
            html.P(_("It may have been renamed, or the link has a typo. Pick one of these:"), className="lab-muted"),
            html.Ul([html.Li(dcc.Link(_(p["name"]), href=p["relative_path"])) for p in nav_pages()],
                    className="list-unstyled fs-5"),
        ],
        className="lab-notfound",
        id="not-found",
    )
