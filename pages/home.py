"""Overview: the problem every lesson solves, why Dash is stateless, where shared data can live,
and a first go with the meters every lesson uses."""

import base64
import os
import random

import dash
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, dcc, html

from components import ids as shell_ids
from components.code_view import create_code_view
from components.lesson import section, toggle
from components.meters import MeterPanel
from components.shell import lesson_pages
from components.timeline import Timeline
from lab.cache import cache
from lab.compare.patterns import PATTERNS as COMPARED
from lab.instrument import expensive_step, simulate_work
from lab.schema import accepts, clicks, nullable, one_of, text
from lab.i18n import N_, _, decimal, later
from lab.settings import get_settings

dash.register_page(__name__, path="/", name=N_("Overview"), title=later("Sharing data between callbacks: a live lab"),
                   order=0, nav_label=N_("Overview"), pattern="overview", live_summary=True, live_comparison=True)


class ids:
    size = "overview-size"
    run = "overview-run"
    fetch = "overview-fetch"
    send = "overview-send"
    result = "overview-result"
    fetched = "overview-fetched"
    store = "overview-store"
    received = "overview-received"
    comparison = "overview-comparison"
    comparison_rows = "overview-comparison-rows"
    measured = "overview-measured"


SIZES = {1_000: "1 KB", 100_000: "100 KB", 1_000_000: "1 MB"}

accepts({
    (ids.size, "value"): one_of(*SIZES),
    (ids.run, "n_clicks"): clicks(),
    (ids.fetch, "n_clicks"): clicks(),
    (ids.send, "n_clicks"): clicks(),
    (ids.store, "data"): nullable(text(max(SIZES), r"[A-Za-z0-9+/=]*")),
})


def _problem():
    return html.Div(
        [
            html.Div(_("A live lab"), className="lab-kicker"),
            html.H1(_("Several callbacks need the same expensive result. Where do you keep it?")),
            html.P(
                [
                    _("Your app downloads data, queries a database or runs a model, and then several callbacks "
                      "need the result: a graph, a table, a summary. Computing it again in every callback is slow. "
                      "Keeping it in a Python global looks like it works on your laptop and then breaks as soon as "
                      "two people use the app, or it runs with more than one worker."), " ",
                    _("Each page of this lab is a working demo of one way to share the result, with live meters: "
                      "a timer, the number of real recomputes across all workers, and the bytes each callback "
                      "sends up and down, measured on the real HTTP bodies."),
                ],
                className="lab-lead",
            ),
        ],
        className="lab-hero",
    )


def _stateless():
    browsers = html.Div([html.Div([_("You"), html.Small(_("tab 1"))], className="lab-box"),
                         html.Div([_("Another learner"), html.Small(_("tab 2"))], className="lab-box"),
                         html.Div([_("You again"), html.Small(_("a new tab"))], className="lab-box")],
                        className="lab-diagram-col")
    workers = html.Div([html.Div([_("gunicorn master"), html.Small(_("hands each request to a free worker"))],
                                 className="lab-box"),
                        *[html.Div([_("worker %(number)s", number=i), html.Small(_("its own memory, its own globals"))],
                                   className="lab-box lab-box-worker") for i in (1, 2, 3)]],
                       className="lab-diagram-col")
    stores = html.Div([html.Div([_("Browser"), html.Small("dcc.Store")], className="lab-box lab-box-store"),
                       html.Div([_("Disk"), html.Small(_("files, a database"))], className="lab-box lab-box-store"),
                       html.Div([_("Shared memory"), html.Small("Redis")], className="lab-box lab-box-store")],
                      className="lab-diagram-col")
    arrow = html.Div("→", className="lab-arrow", **{"aria-hidden": "true"})
    return dbc.Row(
        [
            dbc.Col(
                html.Div(
                    [
                        html.H3(_("Dash is stateless, on purpose")),
                        html.P([_("A Dash app scales by running copies of itself: several worker processes on one "
                                  "machine"), " (", html.Code("gunicorn app:server --workers 8", className="text-nowrap"),
                                "), ", _("several containers, several servers behind a load balancer. If one copy "
                                         "fails, the others keep serving.")]),
                        html.P([_("The price:"), " ", html.Strong(_("there is no link between a user and a process.")),
                                " ", _("Any worker may answer any callback, so your next click can land on a process "
                                       "that has never seen your previous one. A global variable lives in one "
                                       "process's memory, is shared by every user of that process, and is missing "
                                       "from all the others.")]),
                        html.P(_("So data that callbacks share must live somewhere every process can reach."),
                               className="mb-0"),
                    ],
                    className="lab-card",
                ),
                lg=5,
            ),
            dbc.Col(html.Div([html.Div([browsers, arrow, workers, arrow, stores], className="lab-diagram")],
                             className="lab-card"), lg=7),
        ],
        className="g-3",
    )


PLACES = [
    ("1", N_("In the browser"), "dcc.Store",
     N_("The data travels with the user's session: nothing to run on the server, isolated per user for free."),
     [N_("no server memory"), N_("per user")], [N_("sent over the network, up again with every callback that reads it")]),
    ("2", N_("On disk"), "files, a database, FileSystemCache",
     N_("Every process on the machine reads the same files. Simple and durable."),
     [N_("shared by all workers"), N_("survives restarts")], [N_("one machine only"), N_("slower than memory")]),
    ("3", N_("In shared memory"), "Redis",
     N_("A server every process and every machine can reach: the way to scale past one box."),
     [N_("shared by all workers and servers"), N_("fast")], [N_("one more service to run")]),
]


def _places():
    cards = []
    for number, title, how, body, good, bad in PLACES:
        cards.append(dbc.Col(html.Div([
            html.Div(_("Place %(number)s", number=number), className="lab-kicker"),
            html.H3(_(title)),
            html.Div(html.Code(how), className="mb-2"),
            html.P(_(body)),
            html.Div([*[html.Span(["✓ ", _(g)], className="lab-tag lab-tag-good") for g in good],
                      *[html.Span(["✗ ", _(b)], className="lab-tag lab-tag-bad") for b in bad]]),
        ], className="lab-card"), md=4))
    return dbc.Row(cards, className="g-3")


# Where each lesson keeps the shared result (a description; whether that is right under several
# workers and users is measured by the comparison, /compare, and shown beside it).
WHERE = {
    "why-share-state": N_("recomputed by every callback, or kept in a dcc.Store and downloaded once"),
    "global-variable": N_("a module-level global, one copy per worker"),
    "dcc-store": N_("the browser (dcc.Store)"),
    "aggregations": N_("the browser, aggregated first"),
    "cache-signal": N_("the server cache (Redis or disk), for everyone"),
    "session-cache": N_("the server cache, keyed by a signed session id"),
    "send-less": N_("wherever it lives: only the change travels (a Patch, a clientside callback, a key)"),
    "background": N_("a background job's result store (Diskcache on disk, or Redis for Celery)"),
}

GUIDE = [
    (N_("Do the outputs need the expensive step for different inputs?"),
     N_("Split the callbacks: the expensive one writes a store, cheap ones read it."), 1),
    (N_("Tempted to keep it in a module-level variable?"),
     N_("Don't: each worker has its own copy, and every user of a worker shares it."), 2),
    (N_("Is the result per user and small?"), N_("Keep it in the browser with dcc.Store."), 3),
    (N_("Do the graphs need only a summary of it?"), N_("Compute the aggregates upfront; send those, not the rows."), 4),
    (N_("Is the result the same for everyone, and slow?"),
     N_("Compute it once on the server, cache it, and signal the readers."), 5),
    (N_("Is it per user and large?"), N_("Keep it on the server, keyed by a signed session id, with a bound."), 6),
    (N_("Do callbacks resend what the browser already has?"),
     N_("Return a Patch, convert in a clientside callback, read a key instead of a large store."), 7),
    (N_("Does the step take seconds while many users wait?"),
     N_("Run it in a background callback (Diskcache, or Celery on Redis) so the web workers stay free."), 8),
]


def _comparison():
    rows = [{"pattern": p["pattern"], "name": _(p["name"]), "href": p["relative_path"], "lesson": p["lesson"],
             "where": _(WHERE[p["pattern"]]) if p["pattern"] in WHERE else "—",
             "measured": [{"slug": c.slug, "short": _(c.short)} for c in COMPARED if c.taught_in(p["relative_path"])]}
            for p in lesson_pages()]
    head = [_("Lesson"), _("The shared result lives in"), _("Several workers?"), _("Per user?"), _("Executions"),
            _("Callbacks"), _("Bytes up · down"), _("Median")]
    return html.Div(
        [
            html.P([_("Whether each way of keeping the result stays right under several workers and keeps users "
                      "apart, as the comparison measured it"), " (", dcc.Link(_("run it"), href="/compare"), "); ",
                    _("then everyone's figures on this server, live: how often each lesson's expensive step really "
                      "ran, how many callbacks it took and what they sent over the network.")], className="lab-muted"),
            html.Div(html.Table([html.Thead(html.Tr([html.Th(h) for h in head])),
                                 html.Tbody(id=ids.comparison)], className="table lab-comparison"),
                     className="lab-card p-0 table-responsive"),
            html.Div(id=ids.measured, className="lab-figure-note mt-2"),
            dcc.Store(id=ids.comparison_rows, data=rows),
        ]
    )


clientside_callback(
    ClientsideFunction("overview", "renderPatterns"),
    Output(ids.comparison, "children"),
    Output(ids.measured, "children"),
    Input(shell_ids.SNAPSHOT, "data"),
    Input(ids.comparison_rows, "data"),
)


def _lesson(number: int) -> dict:
    return next(p for p in lesson_pages() if p["lesson"] == number)


def _guide():
    """Each question leads to its lesson, and straight to the lesson's "Try this" and self-check
    (a full page load: the browser scrolls to the anchor once the lesson has rendered)."""
    def links(number):
        page = _lesson(number)
        return html.Div([dcc.Link(_("Lesson %(number)s", number=number), href=page["relative_path"],
                                  className="lab-guide-lesson"),
                         html.A(_("Try this"), href=f"{page['relative_path']}#{page['pattern']}-try",
                                className="lab-guide-more"),
                         html.A(_("Check yourself"), href=f"{page['relative_path']}#{page['pattern']}-check",
                                className="lab-guide-more")], className="lab-guide-links")

    return html.Div(
        [html.Div([html.Div(_(question), className="lab-guide-q"), html.Div(_(answer), className="lab-guide-a"),
                   links(lesson)], className="lab-guide-row")
         for question, answer, lesson in GUIDE],
        className="lab-card lab-guide",
    )


def _lessons():
    pages = lesson_pages()
    if not pages:
        return html.P(_("The pattern pages appear here as they are added to the lab."), className="lab-muted")
    return dbc.Row(
        [
            dbc.Col(dcc.Link(html.Div([html.Div(str(p["lesson"]), className="lab-lesson-number"),
                                       html.H3(_(p["name"])),
                                       html.P(_(p["description"]) if p.get("description") else "",
                                              className="lab-muted")],
                                      className="lab-card"),
                             href=p["relative_path"], className="lab-lesson"), md=6, lg=4)
            for p in pages
        ],
        className="g-3",
    )


def make_payload(size: int) -> str:
    """`size` characters of deterministic, hard-to-compress data (base64 of seeded random bytes)."""
    raw = random.Random(size).randbytes(size * 3 // 4 + 3)
    return base64.b64encode(raw).decode()[:size]


def compute_result(size: int) -> str:
    """The demo's expensive step: slow, counted, and its result kept in the shared server cache."""
    with expensive_step("overview", "demo"):
        simulate_work()
        payload = make_payload(size)
    cache.set(f"overview:{size}", payload)
    return payload


@callback(Output(ids.result, "children"), Input(ids.run, "n_clicks"), State(ids.size, "value"),
          prevent_initial_call=True)
def run_step(_clicks, size):
    compute_result(size)
    return _("Computed %(size)s on worker %(pid)s and kept it in the server cache.", size=SIZES[size], pid=os.getpid())


@callback(Output(ids.store, "data"), Output(ids.fetched, "children"), Input(ids.fetch, "n_clicks"),
          State(ids.size, "value"), prevent_initial_call=True)
def fetch_into_browser(_clicks, size):
    payload = cache.get(f"overview:{size}")
    how = _("a cache hit") if payload is not None else _("a cache miss, so the step ran")
    if payload is None:
        payload = compute_result(size)
    return payload, _("Fetched %(size)s into a dcc.Store from worker %(pid)s (%(how)s).", size=SIZES[size],
                      pid=os.getpid(), how=how)


@callback(Output(ids.received, "children"), Input(ids.send, "n_clicks"), State(ids.store, "data"),
          prevent_initial_call=True)
def send_back_up(_clicks, data):
    if not data:
        return _("Fetch something first: the store is empty.")
    return _("Worker %(pid)s received %(count)s characters from your browser.", pid=os.getpid(),
             count=decimal(len(data)))


def _try_the_meters():
    step = get_settings().step_seconds
    buttons = [
        (ids.run, _("1 · Run the expensive step (%(seconds)s s)", seconds=f"{step:g}"), ids.result),
        (ids.fetch, _("2 · Fetch the result into the browser"), ids.fetched),
        (ids.send, _("3 · Send it back up in a callback"), ids.received),
    ]
    return html.Div(
        [
            html.P([_("Every lesson has these instruments. Try them here: run a slow step, then fetch its result "
                      "into a dcc.Store and send it back up. Watch the timer tick while a callback runs, the count "
                      "of real executions, the bytes on the wire, and which worker process answered each click "
                      "(in the strip under the navbar and in the timeline).")],
                   className="lab-muted"),
            dbc.Row(
                [
                    dbc.Col(html.Div([
                        html.Div(_("Size of the result"), id=f"{ids.size}-label", className="fw-semibold"),
                        html.Div(toggle(ids.size, SIZES, 100_000), role="group",
                                 **{"aria-labelledby": f"{ids.size}-label"}),
                        *[html.Div([dbc.Button(label, id=button, n_clicks=0, color="primary", outline=True,
                                               className="w-100 text-start"),
                                    html.Div(id=out, className="lab-demo-result")], className="mt-2")
                          for button, label, out in buttons],
                        dcc.Store(id=ids.store),
                    ], className="lab-demo"), lg=5),
                    dbc.Col([MeterPanel("overview", title=_("Meters for this demo")),
                             html.Div(Timeline("overview"), className="mt-3")], lg=7),
                ],
                className="g-3",
            ),
            html.Div(create_code_view(run_step, fetch_into_browser, send_back_up, compute_result), className="mt-3"),
        ]
    )


def layout(**_kwargs):
    return html.Div(
        [
            _problem(),
            _stateless(),
            section(_("Three places to keep shared data")),
            _places(),
            section(_("The lessons")),
            _lessons(),
            section(_("The patterns side by side")),
            _comparison(),
            section(_("Which pattern?")),
            _guide(),
            section(_("How to read the meters")),
            _try_the_meters(),
        ],
        id="home",
    )
