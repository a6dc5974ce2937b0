// assets/lab.js: the timers tick only while a callback is in flight; the owner of a callback key;
// the formatters; the renderers draw from the snapshot with the shell's colours.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const { load, element, plain } = require("./harness");

const COLORS = { "--lab-worker-0": "#111111", "--lab-worker-1": "#222222", "--lab-gone": "#999999",
                 "--lab-ink": "#000000", "--lab-grid": "#eeeeee", "--lab-plot-bg": "#ffffff", "--lab-muted": "#555555" };

function deferred() {
  let resolve;
  const promise = new Promise((r) => { resolve = r; });
  return { promise, resolve };
}

function callbackInit(output) {
  return { method: "POST", headers: {}, body: JSON.stringify({ output, inputs: [] }) };
}

const reply = { status: 200, headers: { get: (name) => (name === "X-Lab-Worker" ? "4242" : null) } };

test("no timer runs while no callback is in flight", () => {
  const window = load(["lab.js"]);
  assert.equal(window.intervals.size, 0);
});

test("a timer ticks while its callback is in flight, then stops and shows the duration", async () => {
  const pending = deferred();
  const sent = [];
  const timer = element({ "data-scope": "cache-signal-live" });
  const other = element({ "data-scope": "dcc-store" });
  const window = load(["lab.js"], {
    timers: [timer, other],
    fetch: (input, init) => { sent.push(init); return pending.promise; },
  });
  const answered = window.fetch("/_dash-update-component", callbackInit("cache-signal-live-signal.data"));
  assert.equal(window.intervals.size, 1, "one interval while the callback runs");
  assert.equal(sent[0].headers.get("X-Lab-Session"), "visit.token", "the visit's id goes with the request");
  window.now = 1234;
  const [{ fn }] = window.intervals.values();
  fn();
  assert.equal(timer.textContent, "1.23 s");
  assert.equal(timer.getAttribute("data-state"), "running");
  assert.equal(other.getAttribute("data-state"), "idle", "another scope's timer does not run");

  window.now = 1500;
  pending.resolve(reply);
  await answered;
  assert.equal(timer.textContent, "1.50 s");
  assert.equal(timer.getAttribute("data-state"), "done");
  fn();  // the next tick finds nothing in flight and stops
  assert.equal(window.intervals.size, 0, "no interval once nothing is in flight");
});

test("the instruments' own requests neither run a timer nor get counted", async () => {
  const timer = element({ "data-scope": "" });
  const window = load(["lab.js"], { timers: [timer], fetch: async () => reply });
  await window.fetch("/_dash-update-component", callbackInit("..lab-snapshot.data...lab-snapshot-digest.data.."));
  assert.equal(window.intervals.size, 0);
  assert.equal(timer.getAttribute("data-state"), null);
});

test("the owner of a callback is its first output's component id", () => {
  const { ownerOf } = load(["lab.js"]).labHelpers;
  assert.equal(ownerOf("dcc-store-read-graph.figure"), "dcc-store-read-graph");
  assert.equal(ownerOf("..a-b.children...c.data.."), "a-b");
  assert.equal(ownerOf('{"type":"aggregations-full-drawn","fruit":"figs"}.data'), "aggregations-full-drawn");
});

test("worker colours come from the shell's CSS custom properties, in live order", () => {
  const { workerColor } = load(["lab.js"], { cssVariables: COLORS }).labHelpers;
  assert.equal(workerColor(20, [10, 20, 30]), "#222222");
  assert.equal(workerColor(30, [10, 20, 30]), "#111111", "the palette wraps around");
  assert.equal(workerColor(99, [10, 20, 30]), "#999999", "a worker that is gone is grey");
});

test("the timeline has a lane per live worker and a bar per call, in the shell's colours", () => {
  const window = load(["lab.js"], { cssVariables: COLORS });
  const snapshot = { health: { workers: [10, 20] }, meters: { calls: [
    { p: "overview", cb: "overview-result.children", pid: 20, t0: 100, t1: 100.5, up: 10, down: 2000 },
    { p: "elsewhere", cb: "x.children", pid: 10, t0: 101, t1: 102, up: 1, down: 1 },
  ] } };
  const figure = plain(window.dash_clientside.lab.renderTimeline(snapshot, { pattern: "overview", scope: "overview" }));
  assert.deepEqual(figure.layout.yaxis.categoryarray, ["PID 10", "PID 20"]);
  const bars = figure.data.filter((t) => t.type === "bar");
  assert.equal(bars.length, 1);
  assert.deepEqual(bars[0].marker.color, ["#222222"]);
  assert.equal(figure.layout.plot_bgcolor, "#ffffff");
  assert.deepEqual(bars[0].customdata[0], ["500 ms", "10 B", "2.00 KB", 20]);
});

test("background jobs get lanes of their own after the web workers, and never count as the last callback", () => {
  const window = load(["lab.js"], { cssVariables: COLORS });
  const calls = [
    { p: "background", cb: "background-live-diskcache-job.run", pid: 77, t0: 100, t1: 101, up: 0, down: 0, ln: "bg" },
    { p: "background", cb: "background-live-diskcache-result.data", pid: 10, t0: 100, t1: 100.1, up: 300, down: 40 },
  ];
  const figure = plain(window.dash_clientside.lab.renderTimeline({ health: { workers: [10, 20] }, meters: { calls } },
    { pattern: "background", scope: "background-live" }));
  assert.deepEqual(figure.layout.yaxis.categoryarray, ["PID 10", "PID 20", "background 77"]);
  const [tiles] = plain(window.dash_clientside.lab.renderMeters(
    { instruments: true, health: { workers: [10] }, meters: { recomputes: { mine: {}, everyone: {} }, callbacks: {}, calls } },
    { pattern: "background", scope: "background-live" }));
  assert.equal(tiles.props.children[1].props.children[1].props.children, "300 B");
});

test("the meters count this visit's bytes in scope and everyone's executions", () => {
  const window = load(["lab.js"], { cssVariables: COLORS });
  const snapshot = { instruments: true, health: { workers: [10] }, meters: {
    recomputes: { mine: { clean: 2, other: 5 }, everyone: { clean: 7 } },
    callbacks: { "dcc-store-clean-receipt.data": { n: 2, in: 1000, out: 50000, ms: 300 },
                 "dcc-store-read-graph.figure": { n: 1, in: 99, out: 1, ms: 1 } },
    calls: [{ p: "dcc-store", cb: "dcc-store-clean-receipt.data", pid: 10, t0: 1, t1: 2, up: 600, down: 30000 }],
  } };
  const [tiles] = plain(window.dash_clientside.lab.renderMeters(snapshot,
    { pattern: "dcc-store", scope: "dcc-store-clean", steps: ["clean"] }));
  const values = tiles.props.children.map((tile) => tile.props.children[1].props.children);
  assert.deepEqual(values, ["2", "600 B", "30.0 KB"]);
  assert.match(JSON.stringify(tiles), /1.00 KB this visit/);
});

test("the navbar toggler flips the collapse", () => {
  const { toggleNavbar } = load(["lab.js"]).dash_clientside.lab;
  assert.equal(toggleNavbar(1, false), true);
  assert.equal(toggleNavbar(2, true), false);
});

test("storage fallback: a blocked localStorage / sessionStorage is replaced by one in memory", () => {
  const window = load(["storage-fallback.js"]);  // the harness's window has no storage at all
  assert.deepEqual(plain(window.labStorageBlocked), ["localStorage", "sessionStorage"]);
  window.localStorage.setItem("a", 1);
  assert.equal(window.localStorage.getItem("a"), "1");
  assert.equal(window.localStorage.length, 1);
  assert.equal(window.localStorage.key(0), "a");
  assert.equal(window.localStorage.key(1), null);
  window.localStorage.removeItem("a");
  assert.equal(window.localStorage.getItem("a"), null);
  assert.equal(window.sessionStorage.getItem("nothing"), null);
});

test("the badge and the banner say when the filesystem backend cannot write its data directory", () => {
  const { renderBackend } = load(["lab.js"]).dash_clientside.lab;
  const health = { backend: "filesystem", redis: { configured: false } };
  const [okBadge, okClass, noBanner, okHidden] = plain(renderBackend({ health: { ...health, degraded: false } }));
  assert.equal(okHidden, true);
  assert.equal(noBanner, null);
  assert.match(JSON.stringify(okBadge), /Filesystem/);
  assert.equal(okClass, "lab-badge lab-badge-fs");

  const down = { ...health, degraded: true,
                 data_dir: { path: "/srv/lab-data", writable: false, error: "OSError: [Errno 28] No space left on device" } };
  const [badge, cls, banner, hidden] = plain(renderBackend({ health: down }));
  assert.equal(hidden, false);
  assert.equal(cls, "lab-badge lab-badge-down");
  assert.match(JSON.stringify(badge), /Disk not writable/);
  const text = JSON.stringify(banner);
  assert.match(text, /Degraded mode: the data directory \/srv\/lab-data cannot be written/);
  assert.match(text, /No space left on device/);
});
