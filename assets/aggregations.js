/*
 * Lesson 4, compute aggregations upfront (pages/aggregations.py): its browser-side callbacks,
 * under window.dash_clientside.aggregations. They make no request: one decides which mode's step
 * runs, the other compares what each mode's callbacks sent, from the visit's recorded calls.
 */
(function () {
  "use strict";

  var MODES = ["full", "subsets", "aggregates"];
  function t(text, values) { return window.labHelpers.t(text, values); }

  function label(mode) {
    return { full: t("Send the data"), subsets: t("Filtered subsets (the reference)"),
             aggregates: t("Send aggregates") }[mode];
  }

  function number(n) { return n.toLocaleString(((window.labI18n || {}).lang) || "en"); }

  // Only the chosen mode's step runs: the others' triggers stay as they are.
  function trigger(mode, rows) {
    var later = window.dash_clientside.no_update, go = { rows: rows, at: Date.now() };
    return MODES.map(function (m) { return m === mode ? go : later; });
  }

  // For each mode: the step call its receipt names, and the three graph calls after it. Bytes are
  // the meters' own: the HTTP bodies.
  function measure(calls, mode, receipt, drawn) {
    var h = window.labHelpers;
    if (!receipt) { return null; }
    var round = h.stepRound(calls, "aggregations-" + mode + "-receipt", receipt);
    if (!round) { return { mode: mode, rows: receipt.rows, pending: true }; }
    var graphs = h.readersOf(calls, "aggregations-" + mode + "-drawn", round);
    var up = round.step.up, down = round.step.down, graphUp = 0;
    graphs.forEach(function (c) { up += c.up; down += c.down; graphUp += c.up; });
    var fingerprint = (drawn || []).map(function (d) { return d ? d.fingerprint : ""; }).join("·");
    return { mode: mode, rows: receipt.rows, pending: graphs.length < 3, graphs: graphs.length, up: up, down: down,
             total: up + down, graphUp: graphUp, fingerprint: fingerprint, receipt: receipt };
  }

  function row(r, mode, agg) {
    var el = window.labHelpers.el, formatBytes = window.labHelpers.formatBytes;
    if (!r) {
      return el("Tr", { className: "ag-row-empty" }, [el("Td", {}, label(mode)),
        el("Td", { colSpan: 6, className: "lab-muted ag-wide" }, t("not run yet on this visit: choose it above"))]);
    }
    if (r.pending) {
      return el("Tr", {}, [el("Td", {}, label(mode)), el("Td", {}, number(r.rows)),
        el("Td", { colSpan: 5, className: "lab-muted ag-wide" }, t("measuring… (the meters update once a second)"))]);
    }
    var comparable = agg && r.rows === agg.rows;
    var times = comparable ? r.total / agg.total : null;
    return el("Tr", { className: "ag-row-" + mode }, [
      el("Td", {}, label(mode)),
      el("Td", {}, number(r.rows)),
      el("Td", {}, formatBytes(r.down)),
      el("Td", {}, formatBytes(r.up)),
      el("Td", { className: "ag-total" }, formatBytes(r.total)),
      el("Td", { className: "ag-times" }, times === null ? "—" :
         (mode === "aggregates" ? "1×" : number(Math.round(times)) + "×")),
      el("Td", { title: t("fingerprints of the numbers each graph drew: %(prints)s", { prints: r.fingerprint }) },
         !comparable ? "—" : r.fingerprint === agg.fingerprint ? "✓ " + t("identical") : "✗ " + t("different"))
    ]);
  }

  function headline(full, agg) {
    var el = window.labHelpers.el, formatBytes = window.labHelpers.formatBytes;
    if (full && agg && full.rows === agg.rows) {
      return el("Div", { className: "ag-headline" }, [
        el("Div", { className: "ag-headline-number" }, number(Math.round(full.total / agg.total)) + "×"),
        el("Div", { className: "ag-headline-text" }, [
          t("fewer bytes for the same three figures at %(rows)s rows:", { rows: number(agg.rows) }) + " ",
          el("Strong", {}, formatBytes(full.total)), " " + t("with the data,") + " ",
          el("Strong", {}, formatBytes(agg.total)), " " + t("with aggregates (up and down, measured on the wire).")])
      ]);
    }
    var todo = full && !agg ? t("Now choose “Send aggregates” above: watch the figures stay the same and the bytes drop.")
      : agg && !full ? t("Now choose “Send the data” above to compare with the bytes of the whole table.")
      : t("Run “Send the data” and “Send aggregates” at the same data size to see the ratio.");
    return el("Div", { className: "ag-headline ag-headline-todo" }, todo);
  }

  function compare(snapshot, full, subsets, aggregates, drawnFull, drawnSubsets, drawnAggregates) {
    var el = window.labHelpers.el, formatBytes = window.labHelpers.formatBytes;
    var calls = window.labHelpers.callsOf(snapshot, "aggregations");
    var rounds = [measure(calls, "full", full, drawnFull), measure(calls, "subsets", subsets, drawnSubsets),
                  measure(calls, "aggregates", aggregates, drawnAggregates)];
    var done = rounds.map(function (r) { return r && !r.pending ? r : null; });
    var table = el("Table", { className: "table ag-compare-table" }, [
      el("Thead", {}, el("Tr", {}, [t("Mode"), t("Rows"), t("Down"), t("Up"), t("Total"), t("× aggregates"),
                                    t("Figures")].map(function (h) { return el("Th", {}, h); }))),
      el("Tbody", {}, rounds.map(function (r, i) { return row(r, MODES[i], done[2]); }))
    ]);
    var why = null, sub = done[1];
    if (sub) {
      var s = sub.receipt.stores, perGraph = Math.round(sub.graphUp / sub.graphs);
      why = el("Div", { className: "ag-why-numbers" }, [
        t("Measured here: each graph uploaded") + " ", el("Strong", {}, formatBytes(perGraph)),
        " " + t("to use one subset of") + " ", el("Strong", {}, formatBytes(s.apples) + " / " + formatBytes(s.oranges) +
        " / " + formatBytes(s.figs)), " (" + t("apples") + " / " + t("oranges") + " / " + t("figs") + ")."]);
    }
    return [headline(done[0], done[2]), el("Div", { className: "table-responsive" }, table), why];
  }

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.aggregations = { trigger: trigger, compare: compare };
})();
