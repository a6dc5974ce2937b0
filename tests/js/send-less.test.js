// Lesson 7's browser script: assets/send-less.js.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const { load, plain } = require("./harness");

function lesson() {
  const window = load(["lab.js", "send-less.js"]);
  return window.dash_clientside.send_less;
}

function text(tree) {
  if (tree === null || tree === undefined) { return ""; }
  if (typeof tree !== "object") { return String(tree); }
  if (Array.isArray(tree)) { return tree.map(text).join(""); }
  return text(tree.props && tree.props.children);
}

function call(cb, t0, t1, up, down) {
  return { p: "send-less", cb, pid: 1, t0, t1, up, down, st: 200 };
}

const FIGURE = { data: [{ x: [0, 1, 2], y: [20, -40, 36.6], meta: "°C", type: "scatter" }],
                 layout: { yaxis: { title: { text: "°C" }, gridcolor: "#eee" } } };

test("toUnit converts as the server does, leaves the held figure alone, and counts the change", () => {
  const { toUnit } = lesson();
  const [figure, count] = plain(toUnit("F", { temp_c: [20, -40, 36.6] }, FIGURE, 2));
  assert.deepEqual(figure.data[0].y, [68, -40, 97.88]);
  assert.equal(figure.data[0].meta, "°F");
  assert.deepEqual(figure.layout.yaxis, { title: { text: "°F" }, gridcolor: "#eee" });
  assert.equal(count, 3);
  assert.equal(FIGURE.data[0].meta, "°C");  // a copy: the State is not modified in place
  const [back, first] = plain(toUnit("C", { temp_c: [20, -40, 36.6] }, figure, null));
  assert.deepEqual(back.data[0].y, [20, -40, 36.6]);
  assert.equal(first, 1);
});

test("growCompare divides the whole figure's bytes down by the Patch's, for the same click", () => {
  const { growCompare } = lesson();
  const whole = { side: "whole", kind: "append", length: 100100, append: 100, t: 10.5 };
  const patch = { side: "patch", kind: "append", length: 100100, append: 100, t: 10.4 };
  const calls = [
    call("..send-less-grow-whole-receipt.data...send-less-grow-whole-graph.figure...send-less-grow-whole-length.data..",
         10, 11, 600, 240000),
    call("..send-less-grow-patch-receipt.data...send-less-grow-patch-graph.figure...send-less-grow-patch-length.data..",
         10, 10.6, 600, 600),
  ];
  const shown = text(growCompare({ meters: { calls } }, whole, patch));
  assert.match(shown, /^400×/);
  assert.match(shown, /240 KB the whole figure, 600 B the Patch/);
  assert.match(shown, /appending 100 readings to 100,000/);
  assert.match(text(growCompare({ meters: { calls: [] } }, whole, patch)), /Measuring/);
  assert.match(text(growCompare({ meters: { calls } }, { ...whole, kind: "load" }, patch)), /Click “Append”/);
  assert.match(text(growCompare({ meters: { calls } }, whole, { ...patch, length: 100010, append: 10 })),
               /out of step/);
});

test("unitProof shows the server's own count: the clientside side's requests stay at 0", () => {
  const { unitProof } = lesson();
  const callbacks = { "send-less-unit-server-graph.figure": { n: 3, in: 300, out: 1500 },
                      "send-less-grow-whole-receipt.data": { n: 9, in: 1, out: 1 } };
  const shown = text(unitProof({ meters: { callbacks } }, 3));
  assert.match(shown, /Server callback331\.80 KB/);
  assert.match(shown, /Clientside callback30 ✓ none0 B/);
  const leaked = text(unitProof({ meters: { callbacks: { ...callbacks,
    "send-less-unit-client-graph.figure": { n: 1, in: 10, out: 10 } } } }, 3));
  assert.match(leaked, /1 ✗ some reached the server/);
  assert.equal(unitProof({}, 0), "Waiting for the meters…");
});

test("readCompare divides the store side's bytes up by the key side's, and checks the answers agree", () => {
  const { readCompare } = lesson();
  const summary = { region: "north", rows: 10000, sales: 2502, revenue_cents: 6805688 };
  const store = { side: "store", rows: 10000, region: "north", summary, t: 5.5 };
  const key = { side: "key", rows: 10000, region: "north", summary, t: 5.2 };
  const calls = [
    call("..send-less-read-store-receipt.data...send-less-read-store-result.children..", 5, 6, 455000, 300),
    call("..send-less-read-key-receipt.data...send-less-read-key-result.children..", 5, 5.3, 455, 300),
  ];
  const shown = text(readCompare({ meters: { calls } }, store, key));
  assert.match(shown, /^1,000×/);
  assert.match(shown, /455 KB with the whole store, 455 B with the key/);
  assert.match(shown, /✓ same answer on both sides/);
  const other = { ...key, summary: { ...summary, sales: 1 } };
  assert.match(text(readCompare({ meters: { calls } }, store, other)), /✗ the answers differ/);
  assert.match(text(readCompare({ meters: { calls } }, store, { ...key, region: "west" })), /Measuring/);
  assert.match(text(readCompare({ meters: { calls } }, null, key)), /Pick a region/);
});
