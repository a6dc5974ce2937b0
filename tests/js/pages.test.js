// The lessons' own browser scripts: assets/global-variable.js, dcc-store.js and aggregations.js.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const { load, plain } = require("./harness");

function lab(script) {
  const window = load(["lab.js", script]);
  window.dash_clientside.no_update = { no: "update" };
  return window;
}

function text(tree) {
  if (tree === null || tree === undefined) { return ""; }
  if (typeof tree !== "object") { return String(tree); }
  if (Array.isArray(tree)) { return tree.map(text).join(""); }
  return text(tree.props && tree.props.children);
}

test("global variable: the experiment that fits the worker count is highlighted", () => {
  const { experiments, picked } = lab("global-variable.js").dash_clientside.global_variable;
  const [one, oneOn, manyOn] = experiments({ health: { server: "gunicorn", workers: [7] } });
  assert.equal(one, "1 worker is live now.");
  assert.match(oneOn, /gv-experiment-on/);
  assert.doesNotMatch(manyOn, /gv-experiment-on/);
  const [four, , many] = experiments({ health: { server: "gunicorn", workers: [1, 2, 3, 4] } });
  assert.equal(four, "4 workers are live now.");
  assert.match(many, /gv-experiment-on/);
  assert.match(experiments({ health: { server: "single-process", workers: [1] } })[0], /dev server/);
  const chips = plain(picked("figs"));
  assert.equal(chips.length, 2);
  assert.deepEqual(chips[0], { type: "Span", namespace: "dash_html_components",
                               props: { className: "gv-fruit gv-fruit-figs", children: "figs" } });
  assert.deepEqual(plain(picked(null)), [null, null]);
});

// Recorded calls as the snapshot lists them (newest first).
function call(cb, t0, t1, up, down, st = 200) {
  return { p: "dcc-store", cb, pid: 1, t0, t1, up, down, st };
}

test("dcc.Store: `held` follows only what the browser really saved", () => {
  const { held } = lab("dcc-store.js").dash_clientside.dcc_store;
  const pending = { memory: null, session: { fruit: "figs" }, local: null };
  assert.deepEqual(plain(held(123, pending, "dcc-store-data-session")), { fruit: "figs" });
  assert.equal(held(123, pending, "dcc-store-data-local"), null);
  assert.deepEqual(plain(held(123, null, "dcc-store-data-local")), { no: "update" });
});

test("dcc.Store: the journey pairs the clean call its receipt names with the readers after it", () => {
  const { journey } = lab("dcc-store.js").dash_clientside.dcc_store;
  const receipt = { t: 10.5, json_bytes: 300000, skipped: false };
  const calls = [
    call("dcc-store-read-table.children", 12.5, 12.6, 999999, 10),  // after a later clean: not this round
    call("dcc-store-clean-receipt.data", 12, 12.4, 100, 100000),
    call("dcc-store-read-table.children", 11.1, 11.2, 300500, 800),
    call("dcc-store-read-graph.figure", 11, 11.3, 300400, 20000),
    call("dcc-store-clean-receipt.data", 10, 11, 200, 100000),
  ];
  const shown = text(journey({ meters: { calls } }, receipt));
  assert.match(shown, /100 KB came down/);  // down once
  assert.match(shown, /300 KB/);  // each reader up
  assert.match(shown, /601 KB went up/);
  assert.match(shown, /6\.0×/);
  assert.match(text(journey({ meters: { calls: [] } }, receipt)), /Measuring/);
  assert.match(text(journey({}, null)), /Waiting for the clean step/);
});

test("aggregations: only the chosen mode's step is triggered", () => {
  const { trigger } = lab("aggregations.js").dash_clientside.aggregations;
  const [full, subsets, aggregates] = plain(trigger("subsets", 5000));
  assert.deepEqual(full, { no: "update" });
  assert.equal(subsets.rows, 5000);
  assert.deepEqual(aggregates, { no: "update" });
});

test("aggregations: the comparison adds up each round's bytes and checks the figures are the same", () => {
  const { compare } = lab("aggregations.js").dash_clientside.aggregations;
  const at = (cb, t0, up, down) => ({ p: "aggregations", cb, pid: 1, t0, t1: t0 + 0.5, up, down, st: 200 });
  const drawn = (mode, fruit) => `{"type":"aggregations-${mode}-drawn","fruit":"${fruit}"}.data`;
  const calls = [
    at("aggregations-aggregates-receipt.data", 20, 100, 900),
    ...["apples", "oranges", "figs"].map((f, i) => at(drawn("aggregates", f), 21 + i, 400, 1000)),
    at("aggregations-full-receipt.data", 10, 100, 1000000),
    ...["apples", "oranges", "figs"].map((f, i) => at(drawn("full", f), 11 + i, 3000000, 1000)),
  ];
  const prints = [{ fingerprint: "a" }, { fingerprint: "b" }, { fingerprint: "c" }];
  const out = compare({ meters: { calls } }, { t: 10.2, rows: 100000 }, null, { t: 20.2, rows: 100000 },
                      prints, [], prints);
  const shown = text(out);
  assert.match(shown, /not run yet on this visit/);  // subsets
  assert.match(shown, /✓ identical/);
  // full: 100 + 3 × 3,000,000 up, 1,000,000 + 3 × 1,000 down; aggregates: 1,300 up, 3,900 down
  assert.match(shown, /10\.0 MB with the data/);
  assert.match(shown, /5\.20 KB with aggregates/);
  assert.match(shown, /1,924×/);
});

test("self-check: choosing an answer shows its verdict, in words as well as a mark, and why", () => {
  const { explain } = lab("workshop.js").dash_clientside.workshop;
  const answers = [{ right: true, why: "Because." }, { right: false, why: "Not so." }];
  const [right, rightClass] = explain(0, answers);
  assert.equal(text(right), "✓ Right. Because.");
  assert.match(rightClass, /lab-check-right/);
  const [wrong, wrongClass] = explain(1, answers);
  assert.equal(text(wrong), "✗ Not quite. Not so.");
  assert.match(wrongClass, /lab-check-wrong/);
  assert.deepEqual(plain(explain(null, answers)), ["", "lab-check-feedback"]);
  assert.deepEqual(plain(explain(5, answers)), ["", "lab-check-feedback"]);
});
