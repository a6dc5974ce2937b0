/*
 * The overview's "patterns side by side" (pages/home.py): per lesson, whether its way of keeping
 * the result was right under several workers and kept users apart — the latest comparison's
 * measured verdicts (/compare) — beside everyone's live figures. Drawn from the shell's snapshot.
 */
(function () {
  "use strict";

  function t(text, values) { return window.labHelpers.t(text, values); }

  function workers(n) { return n === 1 ? t("1 worker") : t("%(count)s workers", { count: n }); }

  function link(href, text) {
    return { type: "Link", namespace: "dash_core_components", props: { href: href, children: text } };
  }

  // One line per measured pattern of the lesson: ✓ everywhere, or ✗ where it went wrong and how much.
  // `count(r)` is how many readings went wrong or right, `what` says which (once, after the first).
  function verdictLines(measured, latest, ok, count, what) {
    var el = window.labHelpers.el;
    return measured.map(function (m) {
      var rows = latest.rows.filter(function (r) { return r.pattern === m.slug; })
                            .sort(function (a, b) { return a.workers - b.workers; });
      if (!rows.length) { return el("Div", { className: "lab-neutral" }, t("%(pattern)s: not in this run", { pattern: m.short })); }
      var bad = rows.filter(function (r) { return !ok(r); });
      var prefix = measured.length > 1 ? m.short + ": " : "";
      if (!bad.length) {
        var counts = rows.map(function (r) { return r.workers; });
        return el("Div", { className: "lab-yes" }, "✓ " + prefix +
                  (counts.length === 1 && counts[0] === 1 ? t("yes, at 1 worker")
                   : t("yes, at %(counts)s workers", { counts: counts.join(" & ") })));
      }
      return el("Div", { className: "lab-no" }, "✗ " + prefix + t("no:") + " " + bad.map(function (r, i) {
        return count(r) + "/" + r.expected + (i === 0 ? " " + what : "") + " " +
               t("with %(workers)s", { workers: workers(r.workers) });
      }).join(", "));
    });
  }

  function renderPatterns(snapshot, rows) {
    var h = window.labHelpers, el = h.el, lang = (window.labI18n || {}).lang || "en";
    var summary = (snapshot && snapshot.summary) || {};
    var latest = ((snapshot && snapshot.comparison) || {}).latest;
    var body = (rows || []).map(function (row) {
      var s = summary[row.pattern] || {};
      var live = s.callbacks ? [String(s.recomputes), String(s.callbacks),
                                h.formatBytes(s.bytes_up) + " · " + h.formatBytes(s.bytes_down),
                                s.latency_ms && s.latency_ms.p50 !== null ? h.formatDuration(s.latency_ms.p50) : "—"]
                             : ["0", "0", "—", "—"];
      var verdicts;
      if (!latest) {
        verdicts = [el("Td", { className: "lab-neutral" }, t("not measured yet")),
                    el("Td", { className: "lab-neutral" }, link("/compare", t("run the comparison")))];
      } else {
        verdicts = [
          el("Td", {}, verdictLines(row.measured, latest, function (r) { return r.correct; },
                                    function (r) { return r.right; }, t("readings right"))),
          el("Td", {}, verdictLines(row.measured, latest, function (r) { return r.isolated; },
                                    function (r) { return r.leaks; }, t("showed another user's pick")))
        ];
      }
      return el("Tr", {}, [
        el("Td", { className: "lab-nowrap" }, link(row.href, row.lesson + " · " + row.name)),
        el("Td", {}, row.where)
      ].concat(verdicts, live.map(function (v) { return el("Td", { className: "lab-num" }, v); })));
    });
    var note = latest ? [t("“Several workers?” and “Per user?” were measured by the comparison at %(when)s " +
                           "(%(backend)s, %(users)s users, %(rows)s rows, %(counts)s workers):",
                           { when: new Date(latest.finished_at * 1000).toLocaleString(lang), backend: latest.lab.backend,
                             users: latest.config.users, rows: latest.config.rows.toLocaleString(lang),
                             counts: latest.config.workers.join(" & ") }) + " ",
                         link("/compare", t("details and charts"))]
                      : null;
    return [body, note];
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    overview: { renderPatterns: renderPatterns }
  });
})();
