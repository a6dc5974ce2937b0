"""A client that speaks to the lab the way a browser's dash-renderer does: for the tests, the
benchmarks and the lab's own simulated users (`lab.crowd`).

    CALLBACK_PATH, SESSION_HEADER   where callbacks are posted, and the header carrying a visit's id
    callback_body(...)              the JSON dash-renderer posts for one callback
    exchange(base_url, body)        POST it like a browser; an `Exchange` with the wire sizes
    post_callback(base_url, body)   POST it plainly; the `requests` response
    render_page(base_url, path)     the Pages router's answer for `path` (title and layout)
    visit_token(base_url)           a fresh visit's signed id, as the shell hands it to the browser
    find_component(tree, test)      the first component of a rendered layout that passes `test`
    executions(base_url, pattern, step)   real executions of a lesson's step, from /api/metrics

`callback_body` needs nothing but the standard library; the HTTP helpers use `requests`, which the
test extras install (the app itself never imports this module's HTTP helpers).
"""

from __future__ import annotations

import json

CALLBACK_PATH = "/_dash-update-component"
SESSION_HEADER = "X-Lab-Session"  # set by assets/lab.js on every callback request


def _prop(spec: str) -> dict:
    component, name = spec.rsplit(".", 1)
    return {"id": component, "property": name}


def callback_body(outputs: list[str], inputs: dict[str, object], state: dict[str, object] | None = None,
                  changed: list[str] | None = None) -> dict:
    """The JSON dash-renderer posts for a callback: outputs as `id.prop`, inputs/state as
    {`id.prop`: value}. A single output is sent the way the renderer sends it; `changed` names the
    inputs that triggered it (default: the first)."""
    if len(outputs) == 1:
        output, outs = outputs[0], _prop(outputs[0])
    else:
        output = ".." + "...".join(outputs) + ".."
        outs = [_prop(o) for o in outputs]
    body = {
        "output": output,
        "outputs": outs,
        "inputs": [{**_prop(k), "value": v} for k, v in inputs.items()],
        "changedPropIds": changed if changed is not None else list(inputs)[:1],
    }
    if state:
        body["state"] = [{**_prop(k), "value": v} for k, v in state.items()]
    return body


def post_callback(base_url: str, body: dict, headers: dict | None = None, timeout: float = 60):
    """POST a callback body as compact JSON; the `requests` response."""
    import requests

    data = json.dumps(body, separators=(",", ":")).encode()
    return requests.post(base_url + CALLBACK_PATH, data=data, timeout=timeout,
                         headers={"Content-Type": "application/json", **(headers or {})})


class Exchange:
    """One callback request as the wire saw it: bytes up, bytes down (compressed, if it was)."""

    def __init__(self, status: int, sent: int, received: int, body: bytes, headers, decoded: bytes):
        self.status, self.sent, self.received = status, sent, received
        self.wire_body, self.headers, self.content = body, headers, decoded

    def json(self):
        return json.loads(self.content)


def exchange(base_url: str, body: dict | bytes, headers: dict | None = None, timeout: float = 120) -> Exchange:
    """POST a callback like a browser (compact JSON, accepting compression) and keep the response
    body's wire size."""
    import requests

    data = body if isinstance(body, bytes) else json.dumps(body, separators=(",", ":")).encode()
    response = requests.post(
        base_url + CALLBACK_PATH, data=data, timeout=timeout, stream=True,
        headers={"Content-Type": "application/json", "Accept-Encoding": "gzip, deflate, br, zstd", **(headers or {})},
    )
    wire = response.raw.read(decode_content=False)
    decoded = response.content if not wire else _decode(wire, response.headers.get("Content-Encoding"))
    return Exchange(response.status_code, len(data), len(wire), wire, response.headers, decoded)


def _decode(wire: bytes, encoding: str | None) -> bytes:
    if not encoding or encoding == "identity":
        return wire
    if encoding == "gzip":
        import gzip
        return gzip.decompress(wire)
    if encoding == "deflate":
        import zlib
        return zlib.decompress(wire)
    if encoding == "br":
        import brotli
        return brotli.decompress(wire)
    if encoding == "zstd":
        from flask_compress.compat import compression  # the app's own zstd binding
        return compression.zstd.decompress(wire)
    raise ValueError(f"unknown Content-Encoding {encoding}")


def render_page(base_url: str, path: str) -> dict:
    """Ask the Pages router callback for `path`, as a click on a link does; returns the title and layout."""
    body = callback_body(["_pages_content.children", "_pages_store.data"],
                         {"_pages_location.pathname": path, "_pages_location.search": ""})
    reply = exchange(base_url, body, timeout=60)
    if reply.status != 200:
        raise RuntimeError(f"rendering {path} answered {reply.status}: {reply.content[:300]!r}")
    result = reply.json()["response"]
    return {"title": result["_pages_store"]["data"]["title"], "layout": result["_pages_content"]["children"]}


def visit_token(base_url: str) -> str:
    """A fresh visit's signed session id, as the shell layout hands it to the browser."""
    import requests

    layout = requests.get(base_url + "/_dash-layout", timeout=30).json()
    return layout["props"]["data-lab-session"]


def find_component(tree, test):
    """The first component of a rendered tree (Dash's JSON) for which `test(props)` is true."""
    if isinstance(tree, dict):
        if "props" in tree and test(tree["props"]):
            return tree
        return next((c for c in (find_component(v, test) for v in tree.values()) if c), None)
    if isinstance(tree, list):
        return next((c for c in (find_component(v, test) for v in tree) if c), None)
    return None


def executions(base_url: str, pattern: str, step: str) -> int:
    """Real executions of `pattern`'s `step` so far, across every worker (counted at once, not batched)."""
    import requests

    figures = requests.get(base_url + "/api/metrics", timeout=30).json()["patterns"].get(pattern, {})
    return figures.get("recomputes_by_step", {}).get(step, 0)
