"""Lesson 7's comparisons, side by side in one run: what each way of updating sends over the wire.

    python -m bench.send_less [--backend filesystem|redis|both] [--workers 2] [--rounds 5]

For each backend it starts gunicorn with `--workers` workers and STEP_SECONDS=0, then, with the
callback bodies a browser sends (bytes as they cross the wire, compressed where the server
compresses):

- a series of 100,000 readings grows by 10, 100 and 1,000 readings a click, `--rounds` clicks
  each: the median bytes down per update of the callback returning the whole figure, and of the
  one returning a dash.Patch;
- a callback answers a question about a table of 10,000 and 50,000 rows: bytes up when it reads
  the table's dcc.Store, and when it reads a small store holding a key (the server keeps the
  table under it, in the cache of that backend).

Then a headless Chromium (/usr/bin/chromium, if installed) opens the page and changes the unit
`--rounds` times: requests the browser sent for the server callback and for the clientside one,
and what the server counted for each (the page's own table).

Targets: the Patch ≥ 100× fewer bytes down than the whole figure at 100,000 readings appending 100;
the key ≥ 100× fewer bytes up than the store; the clientside callback 0 requests, and the server
callback one per change. Prints a table and exits 1 if a target is missed.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

from bench.common import arguments, on_backends
from lab.http_client import callback_body, exchange
from lab.local_servers import LabServer, free_port
from lab.send_less import APPEND_CHOICES, BASE_POINTS, TABLE_ROWS

PROJECT_DIR = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"  # Debian's package; Playwright never downloads one here
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
P = "send-less"


def grow(side: str, length: int, append: int, clicks: int) -> dict:
    return callback_body([f"{P}-grow-{side}-receipt.data", f"{P}-grow-{side}-graph.figure",
                          f"{P}-grow-{side}-length.data"],
                         {f"{P}-grow-append.n_clicks": clicks},
                         {f"{P}-grow-{side}-length.data": length, f"{P}-grow-points.value": append})


def bytes_down_per_update(server: LabServer, append: int, rounds: int) -> dict:
    """Median bytes down per click on each side, the two sides asked in turn from the same length."""
    down = {"whole": [], "patch": []}
    for click in range(1, rounds + 1):
        length = BASE_POINTS + (click - 1) * append
        for side in down:
            reply = exchange(server.url, grow(side, length, append, click))
            if reply.status != 200:
                raise RuntimeError(f"{side} answered {reply.status}: {reply.content[:200]!r}")
            down[side].append(reply.received)
    return {side: statistics.median(values) for side, values in down.items()}


def bytes_up_per_read(server: LabServer, rows: int, rounds: int) -> dict:
    """Median bytes up per question on each side, after each side's load (both answers checked equal)."""
    def call(outputs, inputs):
        reply = exchange(server.url, callback_body(outputs, inputs))
        if reply.status != 200:
            raise RuntimeError(f"{outputs[0]} answered {reply.status}: {reply.content[:200]!r}")
        return reply
    loaded = {side: call([f"{P}-read-{side}-data.data"], {f"{P}-read-rows.value": rows})
              .json()["response"][f"{P}-read-{side}-data"]["data"] for side in ("store", "key")}
    up, answers = {"store": [], "key": []}, set()
    for i in range(rounds):
        region = ("north", "south", "east", "west")[i % 4]
        for side in up:
            reply = call([f"{P}-read-{side}-receipt.data", f"{P}-read-{side}-result.children"],
                         {f"{P}-read-region.value": region, f"{P}-read-{side}-data.data": loaded[side]})
            up[side].append(reply.sent)
            answers.add((region, reply.json()["response"][f"{P}-read-{side}-result"]["children"]))
    return {**{side: statistics.median(values) for side, values in up.items()}, "same": len(answers) == min(rounds, 4)}


def clientside(server: LabServer, changes: int) -> dict | None:
    """Unit changes in a real browser: requests it sent per side, and the server's count the page shows."""
    if not Path(CHROMIUM).exists():
        return None
    from playwright.sync_api import sync_playwright

    sent = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("request", lambda r: "_dash-update-component" in r.url and sent.append(r.post_data or ""))
            page.goto(server.url + "/send-less")
            page.wait_for_selector(f"#{P}-unit-proof .sl-proof", timeout=30_000)
            for i in range(changes):
                symbol = "°F" if i % 2 == 0 else "°C"
                page.click(f"#{P}-unit-label + div label:has-text('{symbol}')")
                page.wait_for_selector(f"#{P}-unit-server-graph .ytitle:has-text('{symbol}')", timeout=15_000)
                page.wait_for_selector(f"#{P}-unit-client-graph .ytitle:has-text('{symbol}')", timeout=15_000)
            page.wait_for_selector(f"#{P}-unit-proof .sl-server-requests:text-is('{changes}')", timeout=15_000)
            shown = {side: page.inner_text(f"#{P}-unit-proof .sl-{side}-requests").split()[0]
                     for side in ("server", "client")}
        finally:
            browser.close()
    return {"sent_server": sum(f"{P}-unit-server" in b for b in sent),
            "sent_client": sum(f"{P}-unit-client" in b for b in sent),
            "counted_server": int(shown["server"]), "counted_client": int(shown["client"])}


def start(directory: Path, name: str, workers: int, redis_url: str | None) -> LabServer:
    server = LabServer(PROJECT_DIR, directory / name, port=free_port(), host="127.0.0.1", workers=workers,
                       redis_url=redis_url, env={"STEP_SECONDS": "0"}, argv=None)
    server.start()
    server.wait_ready()
    return server


def measure(backend: str, redis_url: str | None, args, directory: Path, with_browser: bool) -> dict:
    server = start(directory, f"{backend}-send-less", args.workers, redis_url)
    try:
        grows = {n: bytes_down_per_update(server, n, args.rounds) for n in APPEND_CHOICES}
        reads = {rows: bytes_up_per_read(server, rows, args.rounds) for rows in TABLE_ROWS}
        browser = clientside(server, args.rounds) if with_browser else None
    finally:
        server.stop()
    return {"backend": backend, "grows": grows, "reads": reads, "browser": browser}


def kb(n: float) -> str:
    return f"{n:,.0f} B" if n < 1000 else f"{n / 1000:,.1f} KB"


def main(argv=None) -> int:
    parser = arguments(__doc__, workers=2)
    parser.add_argument("--rounds", type=int, default=5, help="clicks (and questions, and unit changes) per case")
    args = parser.parse_args(argv)
    done: list[str] = []

    def one(backend, redis_url, tmp):
        result = measure(backend, redis_url, args, tmp, with_browser=not done)  # one browser run is enough
        done.append(backend)
        return result

    results = on_backends(args.backend, one)
    rows: list[tuple[str, str, str, str, str, bool | None]] = []
    for r in results:
        b = r["backend"]
        for n, g in r["grows"].items():
            ratio = g["whole"] / g["patch"]
            target = n == 100
            rows.append((b, f"append {n:,} to {BASE_POINTS:,} readings: bytes down per update" +
                         (" (Patch ≥ 100×)" if target else ""), f"whole figure {kb(g['whole'])}",
                         f"Patch {kb(g['patch'])}", f"{ratio:,.0f}×", ratio >= 100 if target else None))
        for rows_, d in r["reads"].items():
            ratio = d["store"] / d["key"]
            rows.append((b, f"read a {rows_:,}-row table: bytes up per callback (key ≥ 100×, same answer)",
                         f"whole store {kb(d['store'])}", f"key {kb(d['key'])}",
                         f"{ratio:,.0f}× · {'same' if d['same'] else 'DIFFERENT'}", ratio >= 100 and d["same"]))
        c = r["browser"]
        if r is results[0]:
            if c is None:
                rows.append((b, "unit changes in Chromium: requests per side", "", "", f"skipped: no {CHROMIUM}", None))
            else:
                rows.append((b, f"{args.rounds} unit changes in Chromium: requests sent (browser) · counted (server)",
                             f"server callback {c['sent_server']} · {c['counted_server']}",
                             f"clientside {c['sent_client']} · {c['counted_client']}", "",
                             c["sent_client"] == c["counted_client"] == 0
                             and c["sent_server"] == c["counted_server"] == args.rounds))

    print(f"\nSend less: gunicorn {args.workers} workers, median of {args.rounds}, measured side by side in one run")
    header = ("backend", "case", "baseline", "send less", "ratio")
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(5)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + "  verdict")
    failed = False
    for row in rows:
        failed |= row[5] is False
        verdict = "" if row[5] is None else "PASS" if row[5] else "FAIL"
        print("  ".join(str(c).ljust(w) for c, w in zip(row[:5], widths, strict=True)) + f"  {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
