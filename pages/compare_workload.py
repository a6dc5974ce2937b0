"""The seven patterns the comparison runs, each written as the few callbacks a real app would have.

Every pattern serves the same little page: pick a shop (the expensive step makes its year of
sales), two readers show it (the year's revenue in a currency, the best month), and the currency
is a display-only option. What differs is only where the expensive result is kept between the
pick and the readers. No layout holds these components: the comparison runner drives them
through Dash's callback endpoint with requests built from `/_dash-dependencies`, exactly as
dash-renderer would for a page that had them, so every figure passes through gunicorn, the
instruments and the real cache, lock and session store.

Every input is checked before any work (a crafted request gets a 400, runs no step, writes no
cache entry). Cache entries live `ROUND_SECONDS`; a round's cache namespace and the session ids
are visit ids the server signed, so a request cannot invent cache keys.
"""

from __future__ import annotations

import datetime as dt
import functools
import time

from dash import Input, Output, State, callback
from dash.exceptions import PreventUpdate

from lab import sessions
from lab.backend import redis_link
from lab.cache import cache
from lab.compare import workload as w
from lab.compare.patterns import BY_SLUG, CURRENCY, PAGE_PATTERN, ROUND, ROWS, SHOP, TOKEN
from lab.instrument import expensive_step, simulate_work
from lab.schema import accepts, list_of, nullable, number, one_of, record, refusing, table, token, whole
from lab.serialization import ARROW
from lab.session_store import RedisSessionStore, SessionStore, SqliteSessionStore, Stored, get_or_compute
from lab.settings import get_settings
from lab.singleflight import cached, locker_for

ROUND_SECONDS = 120  # a round's cache entries are needed for seconds; they go soon after
SESSION_BOUND = 4 * w.MAX_USERS  # the comparison's own session store: learners' sessions are never evicted by it


def _id(slug: str, part: str) -> str:
    return BY_SLUG[slug].id(part)


# What every pattern's callbacks accept (see lab.schema): the same picker, currency, size and signed
# ids everywhere; what each writer puts in `kept` differs, and so does its rule.
_SHOP = one_of(*w.SHOPS)
_KEPT = {
    "global": record(shop=_SHOP, at=number(0, 1e11)),
    "store": record(shop=_SHOP, table=table(w.COLUMNS, max(w.ROW_CHOICES))),
    "aggregates": record(shop=_SHOP, monthly=list_of(whole(0, 10**13), 12, 12)),
    "memoize": record(shop=_SHOP), "once": record(shop=_SHOP), "session": record(shop=_SHOP),
}
for _slug in BY_SLUG:
    accepts({(_id(_slug, SHOP), "value"): _SHOP, (_id(_slug, CURRENCY), "value"): one_of(*w.CURRENCIES),
             (_id(_slug, ROWS), "data"): one_of(*w.ROW_CHOICES), (_id(_slug, ROUND), "data"): token(),
             (_id(_slug, TOKEN), "data"): token()})
    if _slug in _KEPT:
        accepts({(_id(_slug, "kept"), "data"): nullable(_KEPT[_slug])})


def produce(slug: str, shop: str, rows: int):
    """The expensive step every pattern needs: a shop's year of sales (counted as step `slug`)."""
    with expensive_step(PAGE_PATTERN, slug):
        simulate_work()
        return w.shop_sales(shop, rows)


def signed(token) -> str:
    """The visit id inside a token this server signed (InvalidSession, a 400, for anything else)."""
    return sessions.verify(get_settings().secret_key, token)


def monthly_of(frame) -> list[int]:
    return w.monthly_revenue(frame)


# -- 1. recompute in every callback: nothing is shared --------------------------------------------


@callback(Output(_id("baseline", "read-total"), "data"), Input(_id("baseline", SHOP), "value"),
          Input(_id("baseline", CURRENCY), "value"), State(_id("baseline", ROWS), "data"))
def baseline_total(shop, currency, rows):
    shop, rows, currency = w.check_shop(shop), w.check_rows(rows), w.check_currency(currency)
    return w.read_total(shop, monthly_of(produce("baseline", shop, rows)), currency)  # the step, again


@callback(Output(_id("baseline", "read-month"), "data"), Input(_id("baseline", SHOP), "value"),
          State(_id("baseline", ROWS), "data"))
def baseline_month(shop, rows):
    shop, rows = w.check_shop(shop), w.check_rows(rows)
    return w.read_best_month(shop, monthly_of(produce("baseline", shop, rows)))  # and again


# -- 2. a module-level global: one copy per worker, shared by all its users -----------------------

latest = None  # {"shop", "frame"}: written by the pick, read by the readers, in whichever worker runs them


@callback(Output(_id("global", "kept"), "data"), Input(_id("global", SHOP), "value"),
          State(_id("global", ROWS), "data"))
def global_pick(shop, rows):
    global latest
    shop, rows = w.check_shop(shop), w.check_rows(rows)
    latest = {"shop": shop, "frame": produce("global", shop, rows)}
    return {"shop": shop, "at": time.time()}  # only a receipt: the data stays in this worker


@callback(Output(_id("global", "read-total"), "data"), Input(_id("global", "kept"), "data"),
          Input(_id("global", CURRENCY), "value"))
def global_total(_kept, currency):
    currency, kept = w.check_currency(currency), latest  # whatever this worker's copy holds now
    return w.read_total(kept and kept["shop"], kept and monthly_of(kept["frame"]), currency)


@callback(Output(_id("global", "read-month"), "data"), Input(_id("global", "kept"), "data"))
def global_month(_kept):
    kept = latest
    return w.read_best_month(kept and kept["shop"], kept and monthly_of(kept["frame"]))


# -- 3. dcc.Store: the whole table goes to the browser, and up again with every reader -----------


@callback(Output(_id("store", "kept"), "data"), Input(_id("store", SHOP), "value"),
          State(_id("store", ROWS), "data"))
def store_pick(shop, rows):
    shop, rows = w.check_shop(shop), w.check_rows(rows)
    return {"shop": shop, "table": w.to_columns(produce("store", shop, rows))}


def _stored(kept) -> tuple[str, list[int]]:
    if kept is None:
        raise PreventUpdate  # the store is empty until the pick has filled it
    with refusing(ValueError, TypeError, what="the stored table"):  # its shape was checked, not its cells
        return w.check_shop(kept["shop"]), monthly_of(w.from_columns(kept["table"]))


@callback(Output(_id("store", "read-total"), "data"), Input(_id("store", "kept"), "data"),
          Input(_id("store", CURRENCY), "value"))
def store_total(kept, currency):
    currency = w.check_currency(currency)
    return w.read_total(*_stored(kept), currency)  # the whole table came up with this request


@callback(Output(_id("store", "read-month"), "data"), Input(_id("store", "kept"), "data"))
def store_month(kept):
    return w.read_best_month(*_stored(kept))


# -- 4. aggregations upfront: the pick sends only the 12 numbers the readers draw ----------------


@callback(Output(_id("aggregates", "kept"), "data"), Input(_id("aggregates", SHOP), "value"),
          State(_id("aggregates", ROWS), "data"))
def aggregates_pick(shop, rows):
    shop, rows = w.check_shop(shop), w.check_rows(rows)
    return {"shop": shop, "monthly": monthly_of(produce("aggregates", shop, rows))}


def _aggregated(kept) -> tuple[str, list[int]]:
    if kept is None:
        raise PreventUpdate
    monthly = kept["monthly"]
    if not (isinstance(monthly, list) and len(monthly) == 12 and all(type(v) is int for v in monthly)):
        raise ValueError("the aggregates must be 12 whole numbers")
    return w.check_shop(kept["shop"]), monthly


@callback(Output(_id("aggregates", "read-total"), "data"), Input(_id("aggregates", "kept"), "data"),
          Input(_id("aggregates", CURRENCY), "value"))
def aggregates_total(kept, currency):
    currency = w.check_currency(currency)
    return w.read_total(*_aggregated(kept), currency)  # nothing to parse or add up


@callback(Output(_id("aggregates", "read-month"), "data"), Input(_id("aggregates", "kept"), "data"))
def aggregates_month(kept):
    return w.read_best_month(*_aggregated(kept))


# -- 5. the server cache with plain memoize (the reference's code): no lock ----------------------


@cache.memoize(timeout=ROUND_SECONDS)
def memoized_sales(shop, rows, round_id):
    return produce("memoize", shop, rows)


def _signalled(signal) -> str:
    """The shop a signal names (the data itself is read from the server)."""
    if signal is None:
        raise PreventUpdate
    return w.check_shop(signal["shop"])


@callback(Output(_id("memoize", "kept"), "data"), Input(_id("memoize", SHOP), "value"),
          State(_id("memoize", ROWS), "data"), State(_id("memoize", ROUND), "data"))
def memoize_pick(shop, rows, round_token):
    shop, rows, round_id = w.check_shop(shop), w.check_rows(rows), signed(round_token)
    memoized_sales(shop, rows, round_id)
    return {"shop": shop}  # the signal: the data stays in the cache


@callback(Output(_id("memoize", "read-total"), "data"), Input(_id("memoize", "kept"), "data"),
          Input(_id("memoize", CURRENCY), "value"), State(_id("memoize", ROWS), "data"),
          State(_id("memoize", ROUND), "data"))
def memoize_total(signal, currency, rows, round_token):
    shop, currency, rows, round_id = _signalled(signal), w.check_currency(currency), w.check_rows(rows), signed(round_token)
    return w.read_total(shop, monthly_of(memoized_sales(shop, rows, round_id)), currency)


@callback(Output(_id("memoize", "read-month"), "data"), Input(_id("memoize", "kept"), "data"),
          State(_id("memoize", ROWS), "data"), State(_id("memoize", ROUND), "data"))
def memoize_month(signal, rows, round_token):
    shop, rows, round_id = _signalled(signal), w.check_rows(rows), signed(round_token)
    return w.read_best_month(shop, monthly_of(memoized_sales(shop, rows, round_id)))


# -- 6. the server cache with compute-once: get → lock → get again → compute → set --------------


def once_sales(shop: str, rows: int, round_id: str):
    key = f"{PAGE_PATTERN}:once:{round_id}:{shop}:{rows}"
    return cached(cache, locker_for(get_settings()), key, lambda: produce("once", shop, rows),
                  timeout=ROUND_SECONDS).value


@callback(Output(_id("once", "kept"), "data"), Input(_id("once", SHOP), "value"),
          State(_id("once", ROWS), "data"), State(_id("once", ROUND), "data"))
def once_pick(shop, rows, round_token):
    shop, rows, round_id = w.check_shop(shop), w.check_rows(rows), signed(round_token)
    once_sales(shop, rows, round_id)
    return {"shop": shop}


@callback(Output(_id("once", "read-total"), "data"), Input(_id("once", "kept"), "data"),
          Input(_id("once", CURRENCY), "value"), State(_id("once", ROWS), "data"),
          State(_id("once", ROUND), "data"))
def once_total(signal, currency, rows, round_token):
    shop, currency, rows, round_id = _signalled(signal), w.check_currency(currency), w.check_rows(rows), signed(round_token)
    return w.read_total(shop, monthly_of(once_sales(shop, rows, round_id)), currency)


@callback(Output(_id("once", "read-month"), "data"), Input(_id("once", "kept"), "data"),
          State(_id("once", ROWS), "data"), State(_id("once", ROUND), "data"))
def once_month(signal, rows, round_token):
    shop, rows, round_id = _signalled(signal), w.check_rows(rows), signed(round_token)
    return w.read_best_month(shop, monthly_of(once_sales(shop, rows, round_id)))


# -- 7. per-session data on the server, keyed by a signed session id -----------------------------


@functools.lru_cache(maxsize=1)
def session_store() -> SessionStore:
    """The comparison's own bounded session store (apart from lesson 6's, whose sessions it never evicts)."""
    settings = get_settings()
    if settings.redis_url:
        return RedisSessionStore(redis_link(settings.redis_url), SESSION_BOUND, prefix="lab:{compare-sessions}:")
    return SqliteSessionStore(settings.data_dir / "compare-sessions.sqlite3", SESSION_BOUND)


def session_sales(session: str, shop: str, rows: int) -> tuple[str, list[int]]:
    """The session's data: computed once per session across every worker, kept as Arrow IPC."""
    flight = get_or_compute(
        session_store(), locker_for(get_settings()), session,
        fresh=lambda entry: entry.meta.get("shop") == shop and entry.meta.get("rows") == rows,
        compute=lambda _previous: Stored(ARROW.encode(produce("session", shop, rows)),
                                         {"shop": shop, "rows": rows, "at": dt.datetime.now().isoformat()}),
    )
    return flight.entry.meta["shop"], monthly_of(ARROW.decode(flight.entry.payload))


@callback(Output(_id("session", "kept"), "data"), Input(_id("session", SHOP), "value"),
          State(_id("session", ROWS), "data"), State(_id("session", TOKEN), "data"))
def session_pick(shop, rows, token):
    shop, rows, session = w.check_shop(shop), w.check_rows(rows), signed(token)
    session_sales(session, shop, rows)
    return {"shop": shop}


@callback(Output(_id("session", "read-total"), "data"), Input(_id("session", "kept"), "data"),
          Input(_id("session", CURRENCY), "value"), State(_id("session", ROWS), "data"),
          State(_id("session", TOKEN), "data"))
def session_total(signal, currency, rows, token):
    shop, currency, rows, session = _signalled(signal), w.check_currency(currency), w.check_rows(rows), signed(token)
    return w.read_total(*session_sales(session, shop, rows), currency)  # whose data: the stored entry says


@callback(Output(_id("session", "read-month"), "data"), Input(_id("session", "kept"), "data"),
          State(_id("session", ROWS), "data"), State(_id("session", TOKEN), "data"))
def session_month(signal, rows, token):
    shop, rows, session = _signalled(signal), w.check_rows(rows), signed(token)
    return w.read_best_month(*session_sales(session, shop, rows))


CODE = {
    "baseline": (baseline_total, baseline_month),
    "global": (global_pick, global_total, global_month),
    "store": (store_pick, store_total, store_month),
    "aggregates": (aggregates_pick, aggregates_total, aggregates_month),
    "memoize": (memoized_sales, memoize_pick, memoize_total, memoize_month),
    "once": (once_sales, once_pick, once_total, once_month),
    "session": (session_sales, session_pick, session_total, session_month),
}
