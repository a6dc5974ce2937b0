"""Lesson 5's views: what the select callback just did, and the two stores' crowd results side by
side. `pages/cache_signal.py` places them."""

from __future__ import annotations

import time

import dash_bootstrap_components as dbc
from dash import html

from components.lesson import verdict
from components.workshop import Answer, Question
from lab.cache_signal import HOW, MEMOIZE, MODES, ONCE, sensor
from lab.i18n import _, decimal, localize, ngettext
from lab.settings import get_settings
from lab.singleflight import DEGRADED, HIT, WAITED
from lab.sizes import human_duration


def status_view(signal: dict) -> html.Div:
    """The line under the controls: what the select callback just did, and the entry's age."""
    settings = get_settings()
    name, pid, took = sensor(signal["value"]), signal["pid"], human_duration(signal["ms"])
    age = time.time() - signal["computed_at"]
    left = decimal(max(0, settings.cache_timeout - age))
    if signal["source"] == HIT:
        icon, text = "⚡", [html.Strong(_("Cache hit: %(name)s", name=name)), " ",
                           _("read on worker %(pid)s in %(took)s", pid=pid, took=took)]
        detail = _("computed %(age)s s ago by worker %(by)s; this entry expires in %(left)s s, then the next request "
                   "computes it again", age=decimal(age), by=signal["computed_by"], left=left)
    elif signal["source"] == WAITED:
        icon, text = "⏳", [html.Strong(_("Waited for the lock: %(name)s", name=name)), " ",
                           _("worker %(by)s was computing it; worker %(pid)s read it after %(took)s",
                             by=signal["computed_by"], pid=pid, took=took)]
        detail = _("expires in %(left)s s", left=left)
    elif signal["source"] == DEGRADED:
        icon, text = "⚠", [html.Strong(_("Computed %(name)s without the cache", name=name)), " ",
                          _("on worker %(pid)s in %(took)s", pid=pid, took=took)]
        detail = _("Redis is unreachable: nothing was kept, the next request computes again")
    else:
        icon, text = "⚙", [html.Strong(_("Computed %(name)s", name=name)), " ",
                          _("on worker %(pid)s in %(took)s", pid=pid, took=took)]
        detail = _("kept in the server cache for %(seconds)s s (CACHE_TIMEOUT); the other workers stayed free",
                   seconds=decimal(settings.cache_timeout))
    return html.Div([html.Span(icon, className="cache-signal-status-icon", **{"aria-hidden": "true"}),
                     html.Div([html.Div(text), html.Div(detail, className="cache-signal-status-detail")])],
                    className=f"cache-signal-status cache-signal-status-{signal['source']}")


def crowd_card(mode: str, run: dict | None):
    if not run:
        body = html.P(_("Not run yet in this mode."), className="lab-muted mb-0")
    else:
        users = run["users"]
        big = [(_("ran the step"), str(run["executions"]), _("times for %(users)s users", users=users)),
               (_("wall time"), human_duration(run["wall"] * 1000),
                _("the step takes %(seconds)s s", seconds=localize(f"{run['step']:g}"))),
               (_("workers used"), str(len(run["pids"])), _("of %(live)s live", live=run["live_workers"]))]
        table = html.Table([
            html.Thead(html.Tr([html.Th(h) for h in (_("user"), _("worker"), _("what happened"), _("time"))])),
            html.Tbody([html.Tr([html.Td(r["user"]), html.Td(r["pid"] or "—"),
                                 html.Td(_(HOW[r["source"]]) if r["source"] else (r["error"] or f"HTTP {r['status']}")),
                                 html.Td(human_duration(r["seconds"] * 1000))]) for r in run["rows"]]),
        ], className="table table-sm cache-signal-crowd-table")
        same = _("every user got the same numbers") if run["same_data"] else _("users got different numbers")
        copies = ngettext("%(num)s copy of the data made", "%(num)s copies of the data made", run["copies"])
        failed = (" · " + ngettext("%(num)s request failed", "%(num)s requests failed", run["failed"])
                  if run["failed"] else "")
        body = [
            html.Div([html.Div([html.Div(label, className="lab-meter-label"), html.Div(value, className="lab-meter-value"),
                                html.Div(sub, className="lab-meter-sub")], className="lab-meter")
                      for label, value, sub in big], className="cache-signal-crowd-figures"),
            html.P(_("%(sensor)s · served by workers %(pids)s", sensor=sensor(run["value"]),
                     pids=", ".join(map(str, run["pids"]))) + f" · {copies} · {same}{failed}",
                   className="lab-figure-note mt-2 mb-1"),
            html.Details([html.Summary(_("Per user")), table], className="cache-signal-crowd-details"),
        ]
    return html.Div([verdict(mode == ONCE, _(MODES[mode])), html.Div(body, className="lab-card")], className="lab-side")


def crowd_results(results: dict, error: str | None = None):
    return [
        html.Div(error, className="cache-signal-refused mb-2") if error else None,
        dbc.Row([dbc.Col(crowd_card(MEMOIZE, results.get(MEMOIZE)), lg=6),
                 dbc.Col(crowd_card(ONCE, results.get(ONCE)), lg=6)], className="g-3"),
    ]


def self_check_questions() -> list[Question]:
    return [
        Question(_("Eight users ask for the same uncached value at the same moment, with plain memoize and four "
                   "free workers. How many times can the expensive step run?"), (
            Answer(_("Up to four: once per worker that misses before the first result is stored."), True,
                   _("memoize has no lock: every caller that misses computes. The crowd above measures it.")),
            Answer(_("Exactly once: the cache is shared."), False,
                   _("Sharing the cache is not enough: nobody stops the others while the first one computes.")),
            Answer(_("Eight times, one per user."), False,
                   _("Only as many can compute at once as there are free workers; the rest find the stored "
                     "result.")))),
        Question(_("Why does the select callback return a small signal instead of the data?"), (
            Answer(_("So the data never travels: each graph callback reads it from the server cache."), True,
                   _("A few hundred bytes go to the browser; four graphs read the cache in parallel.")),
            Answer(_("Because dcc.Store cannot hold DataFrames."), False,
                   _("A store holds JSON; the point is to keep a large result off the wire.")),
            Answer(_("To make the graphs run on the same worker."), False,
                   _("The opposite: the four graph callbacks run in parallel, on any workers.")))),
        Question(_("A worker dies while holding the compute-once lock on Redis. What happens to the users waiting "
                   "for it?"), (
            Answer(_("The lock expires after a few seconds, one of them computes, the others read."), True,
                   _("The holder renews the lock while it computes; once it is dead the expiry frees it.")),
            Answer(_("They wait forever."), False,
                   _("The lock has an expiry for exactly this case: a dead holder blocks nobody for long.")),
            Answer(_("Each of them computes at once."), False,
                   _("They keep waiting for the lock, then the first to take it computes once.")))),
    ]
