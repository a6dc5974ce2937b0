/*
 * Lesson 3, data in the browser with dcc.Store (pages/dcc_store.py): its browser-side callbacks,
 * under window.dash_clientside.dcc_store. None makes a request: they measure the learner's own
 * browser, or draw from measurements the page already has (the shell's snapshot).
 */
(function () {
  "use strict";

  var STORE_PREFIX = "dcc-store-data-", HELD_PREFIX = "dcc-store-held-", PROBE = "dcc-store-quota-probe-";
  var KINDS = ["memory", "session", "local"];

  // The storage quota, measured on every visit (a few tens of milliseconds): fill localStorage and
  // sessionStorage with test items, 1 M characters at a time and then in smaller pieces down to 1 K,
  // until they refuse more; count what fitted; remove the test items. Capacity = what fitted + what
  // was already stored. Refused writes throw inside a try, so nothing reaches the console. `ours` is
  // what this page's own stores hold (writing the store replaces it).
  function quota(_pathname) {
    var out = {};
    ["local", "session"].forEach(function (kind) {
      var s;
      // A browser that blocks site data has only the page's memory stand-in (storage-fallback.js):
      // it has no quota to measure, and filling it would only fill the tab's memory.
      if ((window.labStorageBlocked || []).indexOf(kind + "Storage") >= 0) { out[kind] = null; return; }
      try { s = window[kind + "Storage"]; s.setItem(PROBE, ""); s.removeItem(PROBE); }
      catch (e) { out[kind] = null; return; }
      var used = 0, ours = 0;
      for (var i = 0; i < s.length; i++) {
        var key = s.key(i), size = key.length + (s.getItem(key) || "").length;
        used += size;
        if (key.indexOf(STORE_PREFIX) === 0 || key.indexOf(HELD_PREFIX) === 0) { ours += size; }
      }
      var free = 0, n = 0, chunk = 1024 * 1024, written = [];
      while (chunk >= 1024 && n < 10000) {
        var test = PROBE + (n++);
        try { s.setItem(test, "x".repeat(chunk)); written.push(test); free += test.length + chunk; }
        catch (e) { chunk = chunk / 4; }
      }
      written.forEach(function (test) { s.removeItem(test); });
      out[kind] = { free: free, used: used, ours: ours, quota: free + used };
    });
    return out;
  }

  // A dcc.Store sets its `modified_timestamp` only once the browser has saved its data; a write that
  // throws (QuotaExceededError) never does. So `held` follows what was really saved, and a reload
  // never trusts a write that was lost. `storeId` names the storage: dcc-store-data-<kind>.
  function held(_saved, pending, storeId) {
    return pending ? pending[storeId.slice(STORE_PREFIX.length)] : window.dash_clientside.no_update;
  }

  // The journey of the latest choice, from the visit's recorded calls: the clean call the receipt
  // names, then the readers' calls after it.
  function journey(snapshot, receipt) {
    var h = window.labHelpers, el = h.el, formatBytes = h.formatBytes, t = h.t;
    if (!receipt) { return el("Div", { className: "ds-journey-empty" }, t("Waiting for the clean step…")); }
    var calls = h.callsOf(snapshot, "dcc-store");
    var round = h.stepRound(calls, "dcc-store-clean-receipt", receipt);
    if (!round) { return el("Div", { className: "ds-journey-empty" }, t("Measuring… (the meters update once a second)")); }
    var clean = round.step;
    var graph = h.readersOf(calls, "dcc-store-read-graph", round)[0];
    var table = h.readersOf(calls, "dcc-store-read-table", round)[0];
    var rows = [
      { label: t("Down, once: the clean callback fills the store"), bytes: clean.down, cls: "ds-bar-down",
        sub: receipt.skipped ? t("skipped: the store came from the browser's storage")
          : t("its %(size)s of JSON, compressed %(ratio)s× on the wire",
              { size: formatBytes(receipt.json_bytes), ratio: h.localize((receipt.json_bytes / clean.down).toFixed(1)) }) },
      { label: t("Up: the graph callback reads the store"), bytes: graph ? graph.up : null, cls: "ds-bar-up",
        sub: t("the whole store, uncompressed: browsers never compress what they send") },
      { label: t("Up again: the table callback reads the store"), bytes: table ? table.up : null, cls: "ds-bar-up",
        sub: t("the same bytes once more, for four rows of totals") }
    ];
    var max = Math.max.apply(null, rows.map(function (r) { return r.bytes || 0; }).concat([1]));
    var up = (graph ? graph.up : 0) + (table ? table.up : 0);
    var bars = rows.map(function (r) {
      var pct = r.bytes ? Math.max(0.6, 100 * r.bytes / max) : 0;
      return el("Div", { className: "ds-journey-row" }, [
        el("Div", { className: "ds-journey-label" }, [r.label, el("Div", { className: "ds-journey-sub" }, r.sub)]),
        el("Div", { className: "ds-journey-track" },
           el("Div", { className: "ds-journey-bar " + r.cls, style: { width: pct + "%" } })),
        el("Div", { className: "ds-journey-value" }, r.bytes === null ? "…" : formatBytes(r.bytes))
      ]);
    });
    var total = !(graph && table) ? t("Waiting for both readers…") : receipt.skipped ? [
      el("Strong", {}, t("%(size)s went up", { size: formatBytes(up) })), " ",
      t("to draw one chart and a four-row table, although the data never came down this time: the browser had " +
        "kept it. Storing it longer does not make it travel less.")
    ] : [
      el("Strong", {}, t("%(size)s went up", { size: formatBytes(up) })), " ",
      t("to draw one chart and a four-row table, after"), " ",
      el("Strong", {}, t("%(size)s came down", { size: formatBytes(clean.down) })), ": ",
      el("Strong", {}, h.localize((up / clean.down).toFixed(1)) + "×"), " ",
      t("as much. A third reader would send it up a third time.")
    ];
    return [el("Div", { className: "ds-journey-bars" }, bars), el("Div", { className: "ds-journey-total" }, total)];
  }

  // What each kind of storage holds now, read from the browser itself, against the measured quota.
  function tanks(receipt, measured, _ts1, _ts2) {
    var h = window.labHelpers, el = h.el, formatBytes = h.formatBytes, t = h.t;
    function stored(kind) {
      try { var v = window[kind + "Storage"].getItem(STORE_PREFIX + kind); return v === null ? 0 : v.length; }
      catch (e) { return null; }
    }
    return KINDS.map(function (kind) {
      var active = receipt && receipt.kept_in === kind;
      var head = el("Div", { className: "ds-tank-head" }, kind === "memory" ? "memory" : kind + "Storage");
      if (kind === "memory") {
        var bytes = active ? receipt.json_bytes : 0;
        return el("Div", { className: "ds-tank" + (active ? " ds-tank-active" : "") }, [head,
          el("Div", { className: "ds-tank-value" }, active ? formatBytes(bytes) : t("empty")),
          el("Div", { className: "ds-tank-sub" },
             t("no quota of its own: the tab's memory (measured: the store's JSON)"))]);
      }
      var q = (measured || {})[kind], chars = stored(kind);
      if (!q || chars === null) {
        return el("Div", { className: "ds-tank" },
                  [head, el("Div", { className: "ds-tank-sub" }, t("not available in this browser"))]);
      }
      var pct = Math.min(100, 100 * chars / q.quota);
      return el("Div", { className: "ds-tank" + (active ? " ds-tank-active" : "") }, [head,
        el("Div", { className: "ds-tank-value" },
           chars ? t("%(count)s M characters", { count: h.localize((chars / 1e6).toFixed(2)) }) : t("empty")),
        el("Div", { className: "ds-tank-track" }, el("Div", { className: "ds-tank-fill", style: { width: pct + "%" } })),
        el("Div", { className: "ds-tank-sub" },
           t("%(pct)s%% of the %(quota)s M characters this browser allows per site (measured on this visit)",
             { pct: pct.toFixed(0), quota: h.localize((q.quota / 1e6).toFixed(2)) }))]);
    });
  }

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.dcc_store = { quota: quota, held: held, journey: journey, tanks: tanks };
})();
