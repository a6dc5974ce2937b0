"""The comparison: the same users doing the same thing on every pattern, side by side, measured.

One button runs a scripted scenario through every pattern (their callbacks are in
`pages/compare_workload.py`), at each worker count chosen, against this very lab: real requests
through gunicorn, the instruments and the real backends. The runner is a process of its own
(`lab.compare`), so it never occupies the workers it measures; its progress and its result live
on the shared board, so every worker, every browser and the overview show the same run.
"""

from __future__ import annotations

import time

import dash
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, dcc, html
from plotly.subplots import make_subplots

from components import ids as shell_ids
from components.code_view import create_code_view
from components.lesson import explain, section, takeaways, toggle
from components.worker_strip import ids as strip_ids
from lab.compare import runs
from lab.compare import workload as w
from lab.background import MODES as OFFLOAD_MODES
from lab.compare.findings import findings
from lab.compare.patterns import BY_SLUG, PAGE_PATTERN, PATTERNS
from lab.compare.runner import Config
from lab.guard import authorize
from lab.i18n import N_, _, decimal, later, ngettext
from lab.schema import accepts, clicks, list_of, nullable, one_of, text, whole
from lab.settings import MAX_WORKERS, get_settings
from lab import style
from lab.sizes import human_bytes, human_duration
from pages.compare_workload import CODE

dash.register_page(
    __name__, path="/compare", name=N_("Compare the patterns"), order=20, nav_label=N_("Compare"),
    pattern=PAGE_PATTERN, title=later("Every pattern side by side, measured"), live_comparison=True,
    description=N_("The same users doing the same thing through every pattern, at 1 and several workers: "
                   "correct? isolated? executions, bytes, waits — measured, one button."),
)


class ids:
    users = f"{PAGE_PATTERN}-users"
    workers = f"{PAGE_PATTERN}-workers"
    rows = f"{PAGE_PATTERN}-rows"
    run = f"{PAGE_PATTERN}-run"
    cancel = f"{PAGE_PATTERN}-cancel"
    message = f"{PAGE_PATTERN}-message"
    bar = f"{PAGE_PATTERN}-bar"
    now = f"{PAGE_PATTERN}-now"
    labels = f"{PAGE_PATTERN}-labels"
    estimate = f"{PAGE_PATTERN}-estimate"
    step = f"{PAGE_PATTERN}-step"
    shown = f"{PAGE_PATTERN}-shown"  # the id of the result on the page (the browser follows the snapshot's)
    results = f"{PAGE_PATTERN}-results"


WORKER_CHOICES = [n for n in (1, 2, 3, 4, 6, 8) if n <= MAX_WORKERS]
WORKER_COLORS = (style.MUTED, *style.WORKERS)  # one per worker count of a run, in order

accepts({
    (ids.users, "value"): nullable(whole(w.MIN_USERS, w.MAX_USERS)),
    (ids.workers, "value"): nullable(list_of(one_of(*WORKER_CHOICES), len(WORKER_CHOICES))),
    (ids.rows, "value"): one_of(*w.ROW_CHOICES),
    (ids.run, "n_clicks"): clicks(),
    (ids.cancel, "n_clicks"): clicks(),
    (ids.shown, "data"): nullable(text(64, r"[0-9a-f]*")),
})


# -- starting and cancelling (instructor actions) -------------------------------------------------


@callback(Output(ids.message, "children"), Input(ids.run, "n_clicks"), Input(ids.cancel, "n_clicks"),
          State(ids.users, "value"), State(ids.workers, "value"), State(ids.rows, "value"),
          State(strip_ids.token, "value"), prevent_initial_call=True)
def run_or_cancel(_run, _cancel, users, workers, rows, token):
    settings = get_settings()
    refusal = authorize(settings, token)
    if refusal:
        return html.Div(refusal, className="cmp-message cmp-message-bad")
    if dash.ctx.triggered_id == ids.cancel:
        stopping = runs.cancel(settings)
        return html.Div(_("Cancelling after the current round…") if stopping else _("No comparison is running."),
                        className="cmp-message")
    try:
        runs.start(settings, Config(users, tuple(sorted(workers or [])), rows))
    except runs.RunRefused as exc:
        return html.Div(str(exc), className="cmp-message cmp-message-bad")
    return html.Div(_("Started: the runner is a process of its own. Its progress shows below, on every browser, "
                      "even after you leave this page and come back."), className="cmp-message cmp-message-ok")


# The progress bar and what runs now, from the shell's snapshot (no request of its own).
clientside_callback(
    ClientsideFunction("compare", "renderProgress"),
    Output(ids.bar, "value"), Output(ids.bar, "label"), Output(ids.bar, "animated"), Output(ids.bar, "color"),
    Output(ids.now, "children"), Output(ids.run, "disabled"), Output(ids.cancel, "style"), Output(ids.shown, "data"),
    Input(shell_ids.SNAPSHOT, "data"), State(ids.labels, "data"), State(ids.shown, "data"),
)


# How long the choices will take, before pressing Run (in the browser, from the step time).
clientside_callback(
    ClientsideFunction("compare", "estimate"),
    Output(ids.estimate, "children"),
    Input(ids.users, "value"), Input(ids.workers, "value"), Input(ids.rows, "value"), State(ids.step, "data"),
)


@callback(Output(ids.results, "children"), Input(ids.shown, "data"), prevent_initial_call=True)
def show_results(_result_id):
    return results_view(runs.latest(get_settings()))


# -- the result: findings, table, charts ------------------------------------------------------------


def mark(ok: bool, good: str, bad: str, title: str = "") -> html.Span:
    return html.Span([html.Span("✓ " if ok else "✗ ", className="cmp-mark"), good if ok else bad],
                     className=f"cmp-{'yes' if ok else 'no'}", title=title)


def results_table(result: dict) -> html.Table:
    order = {p.slug: i for i, p in enumerate(PATTERNS)}
    ordered = sorted(result["rows"], key=lambda r: (order[r["pattern"]], r["workers"]))
    rows, count = [], len(result["config"]["workers"])
    for i, row in enumerate(ordered):
        v, pattern = row["verdict"], BY_SLUG[row["pattern"]]
        examples = "\n".join(v["examples"])
        first = [html.Td([dcc.Link(_(pattern.label), href=pattern.lesson), html.Div(_(pattern.keeps), className="cmp-keeps")],
                         rowSpan=count, className="cmp-pattern")] if i % count == 0 else []
        rows.append(html.Tr(first + [
            html.Td(row["workers"], className="cmp-num"),
            html.Td(mark(v["correct"], _("%(right)s/%(expected)s right", right=v["right"], expected=v["expected"]),
                         _("%(right)s/%(expected)s right", right=v["right"], expected=v["expected"]), examples)),
            html.Td(mark(v["isolated"], _("no leak"), _("%(leaks)s leaked", leaks=v["leaks"]), examples)),
            html.Td(row["executions"], className="cmp-num cmp-strong"),
            html.Td(row["callbacks"], className="cmp-num"),
            html.Td(human_bytes(row["bytes_up"]), className="cmp-num"),
            html.Td(human_bytes(row["bytes_down"]), className="cmp-num"),
            html.Td(_ms(row["p95_ms"]), className="cmp-num", title=f"p50 {_ms(row['p50_ms'])}"),
            html.Td(_ms(row["wait_p95_ms"]), className="cmp-num", title=f"p50 {_ms(row['wait_p50_ms'])}"),
            html.Td(row["errors"] + row["unanswered"], className="cmp-num"),
        ], className="cmp-group-start" if i % count == 0 else None))
    head = [_("Pattern"), _("Workers"), _("Correct"), _("Isolated"), _("Step ran"), _("Calls"), _("Bytes up"),
            _("Bytes down"), _("Server p95"), _("Waited p95"), _("Errors")]
    return html.Table([html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(rows)],
                      className="table cmp-table")


def charts(result: dict) -> go.Figure:
    panels = [("executions", _("Expensive step ran"), False), ("bytes_up", _("Bytes up"), True),
              ("bytes_down", _("Bytes down"), True), ("wait_p95_ms", _("Users waited, p95 (ms)"), False)]
    figure = make_subplots(rows=2, cols=2, subplot_titles=[title for _, title, _ in panels],
                           vertical_spacing=0.16, horizontal_spacing=0.08)
    slugs = list(dict.fromkeys(r["pattern"] for r in result["rows"]))
    for n, count in enumerate(result["config"]["workers"]):
        mine = {r["pattern"]: r for r in result["rows"] if r["workers"] == count}
        for k, (field, _title, _log) in enumerate(panels):
            figure.add_bar(x=[_(BY_SLUG[s].short) for s in slugs], y=[mine[s][field] for s in slugs],
                           name=ngettext("%(num)s worker", "%(num)s workers", count), legendgroup=str(count),
                           showlegend=k == 0,
                           marker_color=WORKER_COLORS[n % len(WORKER_COLORS)], row=k // 2 + 1, col=k % 2 + 1,
                           hovertemplate="%{x}: %{y:,}<extra>" + f"{count} W</extra>")
    for k, (_field, _title, log) in enumerate(panels):
        figure.update_yaxes(type="log" if log else "linear", dtick=1 if log else None, tickformat="~s",
                            row=k // 2 + 1, col=k % 2 + 1)
    figure.update_layout(template=style.TEMPLATE, barmode="group", height=620,
                         margin={"l": 60, "r": 10, "t": 40, "b": 40}, legend={"orientation": "h", "y": 1.09, "x": 0})
    return figure


def offload_table(rows: list[dict]) -> html.Table:
    """Lesson 8's crowd: one row per way × worker count, the ways grouped like the patterns above."""
    order = {mode: i for i, mode in enumerate(OFFLOAD_MODES)}
    ordered = sorted(rows, key=lambda r: (order[r["mode"]], r["workers"]))
    body = []
    for i, row in enumerate(ordered):
        group = [r for r in ordered if r["mode"] == row["mode"]]
        first = row is group[0]
        busy = row["web_workers_busy"]
        served = _("%(served)s/%(users)s", served=row["served"], users=row["users"])
        body.append(html.Tr(([html.Td(dcc.Link(_(row["label"]), href=row["lesson"]), rowSpan=len(group),
                                      className="cmp-pattern")] if first else []) + [
            html.Td(row["workers"], className="cmp-num"),
            html.Td(mark(row["served"] == row["users"], served, served)),
            html.Td(mark(busy == 0, _("none"), _("%(busy)s of %(live)s", busy=busy, live=row["live_workers"]))),
            html.Td(_ms(row["cheap_p95_ms"]), className="cmp-num cmp-strong",
                    title=_("max %(max)s", max=_ms(row["cheap_max_ms"]))),
            html.Td(human_duration(row["seconds"] * 1000), className="cmp-num"),
        ], className="cmp-group-start" if first and i else None))
    head = [_("Where the step ran"), _("Workers"), _("Users served"), _("Web workers busy"),
            _("Cheap callback p95"), _("Took")]
    return html.Table([html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(body)],
                      className="table cmp-table cmp-offload")


def offload_chart(rows: list[dict], counts: list[int]) -> go.Figure:
    """What a cheap callback waited (p95) beside the crowd, per way and worker count (log scale)."""
    figure = go.Figure()
    modes = [m for m in OFFLOAD_MODES if any(r["mode"] == m for r in rows)]
    for n, count in enumerate(counts):
        mine = {r["mode"]: r for r in rows if r["workers"] == count}
        figure.add_bar(x=[_(OFFLOAD_MODES[m]) for m in modes], y=[(mine.get(m) or {}).get("cheap_p95_ms") for m in modes],
                       name=ngettext("%(num)s worker", "%(num)s workers", count),
                       marker_color=WORKER_COLORS[n % len(WORKER_COLORS)],
                       hovertemplate="%{x}: %{y:,} ms<extra>" + f"{count} W</extra>")
    figure.update_yaxes(type="log", dtick=1, tickformat="~s")
    figure.update_layout(template=style.TEMPLATE, barmode="group", height=320,
                         title={"text": _("What a cheap callback waited meanwhile, p95 (ms)"), "x": 0.5},
                         margin={"l": 60, "r": 10, "t": 60, "b": 40},
                         legend={"orientation": "h", "y": 1.02, "x": 0, "yanchor": "bottom"})
    return figure


def offload_view(result: dict):
    offload = result.get("offload") or {}
    rows = offload.get("rows", [])
    if not rows:
        why = offload.get("missing") or _("this run predates it")
        return html.P(_("Lesson 8's crowd is not in this run: %(why)s.", why=_(why)), className="lab-figure-note mt-3")
    step = decimal(rows[0]["step_seconds"])
    return html.Div([
        html.H3(_("Off the web workers: the same crowd, the step in three places"), className="cmp-subhead"),
        html.P(_("At each worker count, %(users)s users each ask at once for a different report (a %(step)s s step, "
                 "nothing cached), while a cheap callback is asked every 0.2 s. In plain callbacks the step occupies "
                 "the web workers; as a background callback it runs in Diskcache job processes or on a Celery "
                 "worker, and the web workers stay free.", users=rows[0]["users"], step=step),
               className="lab-figure-note"),
        html.Div(offload_table(rows), className="lab-card p-0 table-responsive"),
        html.Div(dcc.Graph(figure=offload_chart(rows, result["config"]["workers"]), config={"displayModeBar": False}),
                 className="lab-graph mt-3"),
        html.P(_("Not in this run: %(why)s.", why=_(offload["missing"])), className="lab-figure-note mt-2")
        if offload.get("missing") else None,
    ], className="mt-4")


def results_view(result: dict | None):
    if not result:
        return html.Div([html.Strong(_("Not measured yet.")), " ",
                         _("Choose the users, worker counts and data size above and press Run: the table and charts "
                           "appear here, and on the overview.")], className="lab-card cmp-empty")
    tone = {"good": "cmp-finding-good", "bad": "cmp-finding-bad", "note": "cmp-finding-note"}
    return html.Div([
        html.Div([html.Span(_("Latest run"), className="lab-kicker me-2"), html.Span(describe_here(result)),
                  html.A("JSON", href="/api/compare/latest.json", className="btn btn-sm btn-outline-primary ms-3"),
                  html.A("CSV", href="/api/compare/latest.csv", className="btn btn-sm btn-outline-primary ms-1")],
                 className="cmp-meta"),
        html.Ul([html.Li(f.text, className=tone[f.tone]) for f in findings(result)], className="cmp-findings"),
        html.Div(results_table(result), className="lab-card p-0 table-responsive"),
        html.P(_("Correct: readings that showed the user's own shop with that shop's numbers. Isolated: no reading "
                 "showed a shop another user picked (hover for examples). Step ran, calls and bytes: what the "
                 "instruments recorded for the simulated users' visits, on the wire. Server p95: time inside a "
                 "worker; waited p95: what a user waited for an answer, queueing included."),
               className="lab-figure-note mt-2"),
        html.Div(dcc.Graph(figure=charts(result), config={"displayModeBar": False}), className="lab-graph mt-3"),
        offload_view(result),
    ])


def _ms(value: float | None) -> str:
    return "—" if value is None else human_duration(value)


def describe_here(result: dict) -> str:
    """When, on what, how big: the run's line, in the page's language."""
    config, lab = result["config"], result["lab"]
    return _("%(when)s · %(backend)s backend · %(users)s users · %(rows)s rows · STEP_SECONDS=%(step)s · "
             "workers %(workers)s · %(seconds)s s",
             when=time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(result["finished_at"])), backend=lab["backend"],
             users=config["users"], rows=decimal(config["rows"]), step=f"{lab['step_seconds']:g}",
             workers=", ".join(map(str, config["workers"])), seconds=decimal(result["seconds"]))


# -- layout -------------------------------------------------------------------------------------------


def _controls():
    return html.Div([
        html.Div([html.Label(_("Users at once"), htmlFor=ids.users),
                  dcc.Slider(id=ids.users, min=w.MIN_USERS, max=w.MAX_USERS, step=1, value=w.DEFAULT_USERS,
                             marks={n: str(n) for n in (2, 4, 8, 12, 16)})], className="cmp-users"),
        html.Div([html.Div(_("Worker counts"), id=f"{ids.workers}-label", className="cmp-label"),
                  html.Div(toggle(ids.workers, {n: str(n) for n in WORKER_CHOICES}, [1, 4], multi=True), role="group",
                           **{"aria-labelledby": f"{ids.workers}-label"})]),
        html.Div([html.Div(_("Rows per shop"), id=f"{ids.rows}-label", className="cmp-label"),
                  html.Div(toggle(ids.rows, {n: decimal(n) for n in w.ROW_CHOICES}, w.DEFAULT_ROWS), role="group",
                           **{"aria-labelledby": f"{ids.rows}-label"})]),
        html.Div([dbc.Button(_("Run the comparison"), id=ids.run, n_clicks=0, color="primary"),
                  dbc.Button(_("Cancel"), id=ids.cancel, n_clicks=0, color="secondary", outline=True,
                             className="ms-2", style={"display": "none"}),
                  html.Div(id=ids.estimate, className="lab-figure-note mt-1")]),
        dcc.Store(id=ids.step, data=get_settings().step_seconds),
    ], className="lab-card lab-controls")


def _progress():
    return html.Div([
        html.Label(_("Progress of the comparison"), htmlFor=ids.bar, className="lab-label"),
        dbc.Progress(id=ids.bar, value=0, label="", striped=True, className="cmp-bar"),
        html.Div(id=ids.now, className="cmp-now"),
        html.Div(id=ids.message),
        dcc.Store(id=ids.labels, data={**{p.slug: _(p.label) for p in PATTERNS},
                                       **{f"offload-{mode}": _(label) for mode, label in OFFLOAD_MODES.items()}}),
    ], className="lab-card mt-3")


def layout(**_kwargs):
    settings = get_settings()
    result = runs.latest(settings)
    return html.Div([
        html.Div([html.Div(_("The comparison"), className="lab-kicker"),
                  html.H1(_("Every pattern, the same users, side by side")),
                  html.P(_("Simulated users pick a shop at the same moment (half of them the same one), two reader "
                           "callbacks show what each picked, then each user changes a display-only option. The same "
                           "script runs through every pattern, at each worker count you choose, on this lab. Is every "
                           "reader right? Does anyone see another user's pick? How often does the expensive step "
                           "run, and what crosses the wire?"), className="lab-lead")], className="lab-hero"),
        dbc.Row([
            dbc.Col(explain(_("One workload, seven patterns"),
                            _("Recompute in every callback, a module-level global, dcc.Store, aggregations upfront, "
                              "the server cache with plain memoize and with a lock, and the per-session server "
                              "cache: each the few callbacks a real app would have, shown at the bottom of this "
                              "page.")), lg=4),
            dbc.Col(explain(_("Measured, not asserted"),
                            _("Executions, callbacks and bytes are what the instruments recorded for the simulated "
                              "users' visits, on the real HTTP bodies. “Correct” and “isolated” are judged from what "
                              "every reader actually showed, against the numbers of the shop its user picked.")), lg=4),
            dbc.Col(explain(_("Off the workers it measures"),
                            _("The runner is a process of its own: it asks gunicorn for each worker count, waits "
                              "until it is live, and restores the count at the end. The step takes %(seconds)s s "
                              "(STEP_SECONDS). One run at a time; starting one is an instructor action.",
                              seconds=f"{settings.step_seconds:g}")), lg=4),
        ], className="g-3"),
        section(_("Run it")),
        _controls(),
        _progress(),
        dcc.Store(id=ids.shown, data=(result or {}).get("id")),
        section(_("What the latest run measured")),
        html.Div(results_view(result), id=ids.results),
        section(_("What each pattern ran")),
        html.Div([create_code_view(*CODE[p.slug], title=_(p.label)) for p in PATTERNS], className="cmp-code"),
        html.Div(takeaways(
            _("Correct under several workers and isolated per user are properties of where the data lives, not of "
              "the code that computes it: the global variable fails both, with the same callbacks."),
            _("Among the correct patterns, the costs differ: executions (recompute everywhere, memoize's race), "
              "bytes up (a dcc.Store goes up with every reader), bytes down (aggregate before you send)."),
            _("Compute-once and the per-session cache run the step exactly as often as there are distinct results."),
        ), className="mt-3"),
    ], id=PAGE_PATTERN)
