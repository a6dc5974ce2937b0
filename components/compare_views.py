"""The comparison's result as the page shows it: the run's line, the findings, the table per pattern
and worker count, the charts, and lesson 8's crowd (its table and chart). Plain functions of a
result document (`lab.compare.runner.run_comparison`), so every browser draws the same run."""

from __future__ import annotations

import time

import plotly.graph_objects as go
from dash import dcc, html
from plotly.subplots import make_subplots

from lab import style
from lab.background import MODES as OFFLOAD_MODES
from lab.compare.findings import findings
from lab.compare.patterns import BY_SLUG, PATTERNS
from lab.i18n import _, decimal, ngettext
from lab.sizes import human_bytes, human_duration

WORKER_COLORS = (style.MUTED, *style.WORKERS)  # one per worker count of a run, in order


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
