/*
 * Lesson 7, send less (pages/send_less.py): its browser-side callbacks, under
 * window.dash_clientside.send_less. None makes a request. `toUnit` is the lesson's clientside
 * side itself (a display-only change done in the browser); the others put the page's own
 * measurements side by side, from the visit's recorded calls in the shell's snapshot.
 */
(function () {
  "use strict";

  var SYMBOLS = { C: "°C", F: "°F" };
  function h() { return window.labHelpers; }
  function t(text, values) { return h().t(text, values); }
  function number(n) { return n.toLocaleString(((window.labI18n || {}).lang) || "en"); }

  // Mirrors lab.datasets.to_unit, rounded as lab.send_less.unit_figure rounds.
  function convert(celsius, unit) {
    return celsius.map(function (c) {
      var v = unit === "F" ? c * 9 / 5 + 32 : c;
      return Math.round(v * 100) / 100;
    });
  }

  // The clientside conversion: the same figure the server would build, from the °C readings the
  // page already holds; and one more change counted in the browser.
  function toUnit(unit, data, figure, count) {
    var next = JSON.parse(JSON.stringify(figure));
    var trace = next.data[0];
    trace.y = convert(data.temp_c, unit);
    trace.meta = SYMBOLS[unit];
    next.layout.yaxis = Object.assign({}, next.layout.yaxis, { title: { text: SYMBOLS[unit] } });
    return [next, (count || 0) + 1];
  }

  // The recorded call of `owner` that was running when a receipt was written (null: not yet).
  function callOf(calls, owner, receipt) {
    if (!receipt) { return null; }
    var round = h().stepRound(calls, owner, receipt);
    return round ? round.step : null;
  }

  function headline(value, text, good) {
    var el = h().el;
    return el("Div", { className: "sl-headline" + (good ? "" : " sl-headline-todo") }, [
      value === null ? null : el("Div", { className: "sl-headline-number" }, value),
      el("Div", { className: "sl-headline-text" }, text)]);
  }

  // 1. Bytes down per update: the whole figure against the Patch, from the same click.
  function growCompare(snapshot, whole, patch) {
    var el = h().el, formatBytes = h().formatBytes;
    var calls = h().callsOf(snapshot, "send-less");
    var w = callOf(calls, "send-less-grow-whole-receipt", whole);
    var p = callOf(calls, "send-less-grow-patch-receipt", patch);
    if (!whole || !patch || whole.kind !== "append" || patch.kind !== "append") {
      return headline(null, t("Click “Append” to compare one update on each side."), false);
    }
    if (!w || !p) { return headline(null, t("Measuring… (the meters update once a second)"), false); }
    if (whole.append !== patch.append || whole.length !== patch.length) {
      return headline(null, t("The two sides are out of step: reload the page to start both again."), false);
    }
    return headline(number(Math.round(w.down / p.down)) + "×", [
      t("fewer bytes down for the same update with Patch, appending %(count)s readings to %(length)s:",
        { count: number(whole.append), length: number(whole.length - whole.append) }) + " ",
      el("Strong", { className: "sl-whole-bytes" }, formatBytes(w.down)), " " + t("the whole figure,") + " ",
      el("Strong", { className: "sl-patch-bytes" }, formatBytes(p.down)), " " + t("the Patch (measured on the wire).")
    ], true);
  }

  // 2. What the server received for the unit changes: the server side's calls, and the browser
  // side's (none: they never leave the browser). `changes` is counted here, in the browser.
  function unitProof(snapshot, changes) {
    var el = h().el, formatBytes = h().formatBytes;
    var meters = (snapshot || {}).meters;
    if (!meters) { return t("Waiting for the meters…"); }
    function received(scope) {
      var n = 0, up = 0, down = 0;
      Object.keys(meters.callbacks || {}).forEach(function (key) {
        if (h().inScope(h().ownerOf(key), scope)) {
          var c = meters.callbacks[key];
          n += c.n || 0; up += c["in"] || 0; down += c.out || 0;
        }
      });
      return { n: n, bytes: up + down };
    }
    var server = received("send-less-unit-server"), client = received("send-less-unit-client");
    var ok = client.n === 0;
    return el("Table", { className: "table table-sm sl-proof" }, [
      el("Thead", {}, el("Tr", {}, [t("Side"), t("Unit changes (counted in your browser)"),
                                    t("Requests the server received"), t("Bytes")].map(function (x) {
        return el("Th", {}, x);
      }))),
      el("Tbody", {}, [
        el("Tr", {}, [el("Td", {}, t("Server callback")), el("Td", {}, String(changes || 0)),
                      el("Td", { className: "sl-server-requests" }, String(server.n)),
                      el("Td", {}, formatBytes(server.bytes))]),
        el("Tr", { className: ok ? "sl-proof-ok" : "sl-proof-bad" }, [
          el("Td", {}, t("Clientside callback")), el("Td", { className: "sl-client-changes" }, String(changes || 0)),
          el("Td", { className: "sl-client-requests" },
             String(client.n) + " " + (ok ? "✓ " + t("none") : "✗ " + t("some reached the server"))),
          el("Td", {}, formatBytes(client.bytes))])
      ])
    ]);
  }

  // 3. Bytes up per read: the callback that reads the whole store against the one that reads a key.
  function readCompare(snapshot, store, key) {
    var el = h().el, formatBytes = h().formatBytes;
    var calls = h().callsOf(snapshot, "send-less");
    var s = callOf(calls, "send-less-read-store-receipt", store);
    var k = callOf(calls, "send-less-read-key-receipt", key);
    if (!store || !key) { return headline(null, t("Pick a region to compare one read on each side."), false); }
    if (!s || !k) { return headline(null, t("Measuring… (the meters update once a second)"), false); }
    if (store.rows !== key.rows || store.region !== key.region) {
      return headline(null, t("Measuring… (the meters update once a second)"), false);
    }
    var same = JSON.stringify(store.summary) === JSON.stringify(key.summary);
    return headline(number(Math.round(s.up / k.up)) + "×", [
      t("fewer bytes up for the same answer when the callback reads a key, at %(rows)s rows:",
        { rows: number(store.rows) }) + " ",
      el("Strong", { className: "sl-store-bytes" }, formatBytes(s.up)), " " + t("with the whole store,") + " ",
      el("Strong", { className: "sl-key-bytes" }, formatBytes(k.up)), " " + t("with the key (measured on the wire).") + " ",
      el("Span", { className: same ? "sl-same" : "sl-different" },
         same ? "✓ " + t("same answer on both sides") : "✗ " + t("the answers differ"))
    ], true);
  }

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.send_less = { toUnit: toUnit, convert: convert, growCompare: growCompare,
                                       unitProof: unitProof, readCompare: readCompare };
})();
