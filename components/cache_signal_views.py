"""Lesson 5's views: what the select callback just did, and the two stores' crowd results side by
side. `pages/cache_signal.py` places them."""

from __future__ import annotations

import time

import dash_bootstrap_components as dbc
from dash import html

from components.lesson import verdict
from lab.cache_signal import HOW, MEMOIZE, MODES, ONCE, VALUES
from lab.settings import get_settings
from lab.singleflight import DEGRADED, HIT, WAITED
from lab.sizes import human_duration


def status_view(signal: dict) -> html.Div:
    """The line under the controls: what the select callback just did, and the entry's age."""
    settings = get_settings()
    name, pid, took = VALUES[signal["value"]], signal["pid"], human_duration(signal["ms"])
    age = time.time() - signal["computed_at"]
    left = max(0, settings.cache_timeout - age)
    if signal["source"] == HIT:
        icon, text = "⚡", [html.Strong(f"Cache hit: {name}"), f" read on worker {pid} in {took}"]
        detail = (f"computed {age:,.0f} s ago by worker {signal['computed_by']}; "
                  f"this entry expires in {left:,.0f} s, then the next request computes it again")
    elif signal["source"] == WAITED:
        icon, text = "⏳", [html.Strong(f"Waited for the lock: {name}"),
                            f" worker {signal['computed_by']} was computing it; worker {pid} read it after {took}"]
        detail = f"expires in {left:,.0f} s"
    elif signal["source"] == DEGRADED:
        icon, text = "⚠", [html.Strong(f"Computed {name} without the cache"), f" on worker {pid} in {took}"]
        detail = "Redis is unreachable: nothing was kept, the next request computes again"
    else:
        icon, text = "⚙", [html.Strong(f"Computed {name}"), f" on worker {pid} in {took}"]
        detail = f"kept in the server cache for {settings.cache_timeout:,} s (CACHE_TIMEOUT); the other workers stayed free"
    return html.Div([html.Span(icon, className="cache-signal-status-icon"),
                     html.Div([html.Div(text), html.Div(detail, className="cache-signal-status-detail")])],
                    className=f"cache-signal-status cache-signal-status-{signal['source']}")


def crowd_card(mode: str, run: dict | None):
    if not run:
        body = html.P("Not run yet in this mode.", className="lab-muted mb-0")
    else:
        users = run["users"]
        big = [("ran the step", f"{run['executions']}", f"times for {users} users"),
               ("wall time", f"{run['wall']:.2f} s", f"the step takes {run['step']:g} s"),
               ("workers used", str(len(run["pids"])), f"of {run['live_workers']} live")]
        table = html.Table([
            html.Thead(html.Tr([html.Th(h) for h in ("user", "worker", "what happened", "time")])),
            html.Tbody([html.Tr([html.Td(r["user"]), html.Td(r["pid"] or "—"),
                                 html.Td(HOW[r["source"]] if r["source"] else (r["error"] or f"HTTP {r['status']}")),
                                 html.Td(f"{r['seconds']:.2f} s")]) for r in run["rows"]]),
        ], className="table table-sm cache-signal-crowd-table")
        same = "every user got the same numbers" if run["same_data"] else "users got different numbers"
        body = [
            html.Div([html.Div([html.Div(label, className="lab-meter-label"), html.Div(value, className="lab-meter-value"),
                                html.Div(sub, className="lab-meter-sub")], className="lab-meter")
                      for label, value, sub in big], className="cache-signal-crowd-figures"),
            html.P(f"{VALUES[run['value']]} · served by workers {', '.join(map(str, run['pids']))} · {run['copies']} "
                   f"cop{'y' if run['copies'] == 1 else 'ies'} of the data made · {same}"
                   + (f" · {run['failed']} requests failed" if run["failed"] else ""),
                   className="lab-figure-note mt-2 mb-1"),
            html.Details([html.Summary("Per user"), table], className="cache-signal-crowd-details"),
        ]
    return html.Div([verdict(mode == ONCE, MODES[mode]), html.Div(body, className="lab-card")], className="lab-side")


def crowd_results(results: dict, error: str | None = None):
    return [
        html.Div(error, className="cache-signal-refused mb-2") if error else None,
        dbc.Row([dbc.Col(crowd_card(MEMOIZE, results.get(MEMOIZE)), lg=6),
                 dbc.Col(crowd_card(ONCE, results.get(ONCE)), lg=6)], className="g-3"),
    ]
