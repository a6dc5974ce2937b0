"""A running lab, reached over HTTP the way a browser reaches it.

`Lab` speaks the instructor API (`/api/health`, `/api/workers`, `/api/metrics/visits`) and Dash's
own routes: `GET /_dash-layout` opens a visit (the shell mints its signed id, which dash-renderer
then sends as `X-Lab-Session` with every callback), `GET /_dash-dependencies` lists the callbacks,
and `POST /_dash-update-component` runs one. Requests ask for compression as Chromium does, so
what the instruments measure on the wire is what a browser would receive.

`Renderer` follows a chain of callbacks as dash-renderer does: when a property changes, every
server callback with it among its Inputs fires at once (their bodies built from the dependency
list: outputs, inputs and state with their current values, the changed property); the outputs
they return change more properties, which fire the next callbacks, until nothing is left.
"""

from __future__ import annotations

import gzip
import http.client
import json
import threading
import time
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable

from lab.crowd import Address, connect_to

CALLBACK_PATH = "/_dash-update-component"
SESSION_HEADER = "X-Lab-Session"
TOKEN_HEADER = "X-Instructor-Token"
ACCEPT_ENCODING = "gzip, deflate, br, zstd"  # what Chromium sends
Prop = tuple[str, str]  # (component id, property)


class LabError(RuntimeError):
    """The lab answered something the runner cannot go on with; the message says what."""


def decode_body(wire: bytes, encoding: str | None) -> bytes:
    """A response body as the server meant it, whatever compression it chose."""
    if not wire or not encoding or encoding == "identity":
        return wire
    if encoding == "gzip":
        return gzip.decompress(wire)
    if encoding == "deflate":
        return zlib.decompress(wire)
    if encoding == "br":
        import brotli  # flask-compress's own dependency

        return brotli.decompress(wire)
    if encoding == "zstd":
        from flask_compress.compat import compression  # the binding flask-compress compresses with

        return compression.zstd.decompress(wire)
    raise LabError(f"the lab answered with an unknown Content-Encoding {encoding!r}")


@dataclass
class Reply:
    """One callback request: what was sent, what came back, and how long it took."""

    status: int  # 0 when no answer came
    response: dict | None  # Dash's `response`: {component id: {property: value}}
    seconds: float
    error: str | None = None


class Lab:
    def __init__(self, address: Address, token: str | None = None, timeout: float = 120.0):
        self.address, self.token, self.timeout = address, token, timeout

    def __repr__(self) -> str:
        a = self.address
        return f"Lab({a.path if a.scheme == 'unix' else f'{a.scheme}://{a.host}:{a.port}'})"

    # -- plain HTTP ----------------------------------------------------------------------------

    def connect(self) -> http.client.HTTPConnection:
        """A connection opened now (its requests reach the server in the order connections opened)."""
        conn = connect_to(self.address, self.timeout)
        conn.connect()
        return conn

    def send(self, method: str, path: str, body: Any = None, headers: dict | None = None,
             conn: http.client.HTTPConnection | None = None) -> tuple[int, bytes]:
        data = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        conn = conn or connect_to(self.address, self.timeout)
        try:
            conn.request(method, path, body=data, headers={
                "Content-Type": "application/json", "Accept-Encoding": ACCEPT_ENCODING, **(headers or {})})
            response = conn.getresponse()
            wire = response.read()
            return response.status, decode_body(wire, response.getheader("Content-Encoding"))
        finally:
            conn.close()

    def json(self, method: str, path: str, body: Any = None, guarded: bool = False) -> tuple[int, Any]:
        headers = {TOKEN_HEADER: self.token} if guarded and self.token else {}
        try:
            status, raw = self.send(method, path, body, headers)
        except (OSError, http.client.HTTPException) as exc:
            raise LabError(f"the lab at {self!r} did not answer {method} {path}: {exc}") from exc
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, {"error": raw[:200].decode(errors="replace")}

    # -- the instructor API --------------------------------------------------------------------

    def health(self) -> dict:
        status, body = self.json("GET", "/api/health")
        if status != 200:
            raise LabError(f"GET /api/health answered {status}")
        return body

    def set_workers(self, count: int, timeout: float = 60.0) -> list[int]:
        """Ask gunicorn for `count` workers and wait until exactly that many are live."""
        status, body = self.json("POST", "/api/workers", {"count": count}, guarded=True)
        if status not in (200, 202):
            raise LabError(f"could not change the number of workers: {(body or {}).get('error', status)}")
        deadline = time.monotonic() + timeout
        while True:
            live = self.health()["workers"]
            if len(live) == count:
                self.wait_answering(live)
                return live
            if time.monotonic() > deadline:
                raise LabError(f"asked for {count} workers, {len(live)} still live after {timeout:.0f} s")
            time.sleep(0.1)

    def wait_answering(self, pids: list[int], timeout: float = 15.0) -> None:
        """Until every worker in `pids` has answered a request: a worker just forked is then in
        its accept loop, and users who click at the same moment really reach different workers.
        Sequential requests tend to land on one worker, so they go out in concurrent batches."""
        seen: set[int] = set()
        deadline = time.monotonic() + timeout
        while not seen.issuperset(pids):
            if time.monotonic() > deadline:
                raise LabError(f"workers {sorted(set(pids) - seen)} did not answer within {timeout:.0f} s")
            answers: list[int] = []

            def ask() -> None:
                try:
                    answers.append(self.health()["pid"])
                except (LabError, KeyError):
                    pass

            batch = [threading.Thread(target=ask, daemon=True) for _ in range(2 * len(pids))]
            for thread in batch:
                thread.start()
            for thread in batch:
                thread.join()
            seen.update(answers)

    def visit(self) -> str:
        """Open a visit as a page load does: the shell's signed visit id."""
        status, layout = self.json("GET", "/_dash-layout")
        token = (layout or {}).get("props", {}).get("data-lab-session") if status == 200 else None
        if not token:
            raise LabError(f"GET /_dash-layout answered {status} without a visit id")
        return token

    def visit_figures(self, visits: list[str], pattern: str) -> list[dict]:
        status, body = self.json("POST", "/api/metrics/visits", {"visits": visits, "pattern": pattern})
        if status != 200:
            raise LabError(f"POST /api/metrics/visits answered {status}: {(body or {}).get('error')}")
        return body["visits"]

    def dependencies(self) -> CallbackGraph:
        status, deps = self.json("GET", "/_dash-dependencies")
        if status != 200 or not isinstance(deps, list):
            raise LabError(f"GET /_dash-dependencies answered {status}")
        return CallbackGraph(deps)

    # -- callbacks -----------------------------------------------------------------------------

    def callback(self, body: dict, visit: str, conn: http.client.HTTPConnection | None = None) -> Reply:
        t0 = time.perf_counter()
        try:
            status, raw = self.send("POST", CALLBACK_PATH, body, {SESSION_HEADER: visit}, conn=conn)
        except (OSError, http.client.HTTPException) as exc:
            return Reply(0, None, time.perf_counter() - t0, f"{type(exc).__name__}: {exc}")
        seconds = time.perf_counter() - t0
        if status == 204:  # PreventUpdate: nothing changes
            return Reply(status, {}, seconds)
        try:
            parsed = json.loads(raw)
        except ValueError:
            return Reply(status, None, seconds, raw[:200].decode(errors="replace"))
        if status != 200:
            return Reply(status, None, seconds, str(parsed.get("error", parsed))[:300] if isinstance(parsed, dict)
                         else str(parsed)[:300])
        return Reply(status, parsed.get("response", {}), seconds)


# -- the callback graph, as dash-renderer reads it -------------------------------------------------


def parse_props(key: str) -> list[Prop]:
    """`a.x` or `..a.x...b.y..` (several outputs) → [("a", "x"), ("b", "y")]."""
    inner = key[2:-2] if key.startswith("..") and key.endswith("..") else key
    props = []
    for part in inner.split("..."):
        component, _, prop = part.rpartition(".")
        props.append((component, prop.split("@", 1)[0]))  # allow_duplicate adds "@<hash>"
    return props


@dataclass(frozen=True)
class Callback:
    key: str  # the `output` string Dash knows the callback by
    outputs: tuple[Prop, ...]
    inputs: tuple[Prop, ...]
    state: tuple[Prop, ...]
    clientside: bool

    @property
    def multi(self) -> bool:
        return self.key.startswith("..")

    def body(self, values: dict[Prop, Any], changed: set[Prop]) -> dict:
        """The request dash-renderer would post for this callback, given the page's current values."""
        def spec(prop: Prop) -> dict:
            return {"id": prop[0], "property": prop[1]}

        body = {
            "output": self.key,
            "outputs": [spec(p) for p in self.outputs] if self.multi else spec(self.outputs[0]),
            "inputs": [{**spec(p), "value": values.get(p)} for p in self.inputs],
            "changedPropIds": [f"{c}.{p}" for c, p in self.inputs if (c, p) in changed],
        }
        if self.state:
            body["state"] = [{**spec(p), "value": values.get(p)} for p in self.state]
        return body


class CallbackGraph:
    """The app's callbacks, from `GET /_dash-dependencies`."""

    def __init__(self, dependencies: list[dict]):
        self.callbacks = [
            Callback(d["output"], tuple(parse_props(d["output"])),
                     tuple((i["id"], i["property"]) for i in d.get("inputs", [])),
                     tuple((s["id"], s["property"]) for s in d.get("state", [])),
                     bool(d.get("clientside_function")))
            for d in dependencies if isinstance(d.get("output"), str)
        ]

    def triggered_by(self, changed: set[Prop]) -> list[Callback]:
        """The callbacks a change of these properties fires, in the order Dash lists them."""
        return [cb for cb in self.callbacks if changed.intersection(cb.inputs)]

    def within(self, prefix: str) -> CallbackGraph:
        """Only the callbacks whose every output belongs to components named `prefix…`."""
        graph = CallbackGraph([])
        graph.callbacks = [cb for cb in self.callbacks if all(c.startswith(prefix) for c, _ in cb.outputs)]
        return graph

    def props(self) -> set[Prop]:
        return {p for cb in self.callbacks for p in (*cb.outputs, *cb.inputs, *cb.state)}


@dataclass
class Call:
    """One callback request a simulated page made, and what it returned."""

    callback: str
    phase: str
    reply: Reply
    outputs: dict[Prop, Any] = field(default_factory=dict)


class Renderer:
    """One simulated page: the values of its properties, and the chains of callbacks a change fires.

    `fire` is how each request is sent (so a caller can hold the first ones until everybody is
    ready, to make users click at the same moment)."""

    MAX_DEPTH = 6  # a chain longer than this is a loop, not a page

    def __init__(self, lab: Lab, graph: CallbackGraph, visit: str, values: dict[Prop, Any] | None = None):
        self.lab, self.graph, self.visit = lab, graph, visit
        self.values: dict[Prop, Any] = dict(values or {})
        self.calls: list[Call] = []
        self._lock = threading.Lock()

    def change(self, prop: Prop, value: Any, phase: str,
               fire: Callable[[Callback, dict], Reply] | None = None) -> None:
        """Set `prop` (as a user's click does) and run every callback chain it starts."""
        self.values[prop] = value
        changed = {prop}
        for depth in range(self.MAX_DEPTH):
            wave = [cb for cb in self.graph.triggered_by(changed) if not cb.clientside]
            if not wave:
                return
            send = fire if depth == 0 and fire is not None else (lambda cb, body: self.lab.callback(body, self.visit))
            calls = self._fire_wave(wave, changed, phase, send)
            changed = set()
            for call in calls:
                for prop_, new in call.outputs.items():
                    self.values[prop_] = new
                    changed.add(prop_)
        raise LabError(f"callbacks kept firing each other after {self.MAX_DEPTH} rounds")

    def _fire_wave(self, wave: list[Callback], changed: set[Prop], phase: str,
                   send: Callable[[Callback, dict], Reply]) -> list[Call]:
        bodies = [(cb, cb.body(self.values, changed)) for cb in wave]
        calls: list[Call | None] = [None] * len(bodies)

        def run(i: int, cb: Callback, body: dict) -> None:
            reply = send(cb, body)
            outputs = {}
            for component, props in (reply.response or {}).items():
                for name, value in (props or {}).items():
                    if (component, name) in cb.outputs:
                        outputs[component, name] = value
            calls[i] = Call(cb.key, phase, reply, outputs)

        threads = [threading.Thread(target=run, args=(i, cb, body), daemon=True) for i, (cb, body) in enumerate(bodies)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        done = [c for c in calls if c is not None]
        with self._lock:
            self.calls.extend(done)
        return done
