/*
 * The comparison page (pages/compare.py): the progress of the running comparison, drawn from the
 * shell's snapshot (no request of its own). The runner reports on the shared board; every browser
 * on every worker sees the same progress, and a page opened mid-run picks it up.
 */
(function () {
  "use strict";

  var ACTIVE = ["starting", "running", "cancelling"];

  function elapsed(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    var m = Math.floor(seconds / 60), s = seconds % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  function clock(epoch) {
    return new Date(epoch * 1000).toLocaleTimeString("en-GB");
  }

  function el(type, props, children) {
    return window.labHelpers.el(type, props, children);
  }

  function t(text, values) { return window.labHelpers.t(text, values); }

  function workers(n) { return n === 1 ? t("1 worker") : t("%(count)s workers", { count: n }); }

  // The runner reports its phase in English (it runs outside any request): translate the known ones.
  function phase(text) {
    if (!text) { return text; }
    var m = /^(\d+) users pick a shop at once$/.exec(text);
    if (m) { return t("%(count)s users pick a shop at once", { count: m[1] }); }
    m = /^(\d+) users ask for a different report each$/.exec(text);
    if (m) { return t("%(count)s users ask for a different report each", { count: m[1] }); }
    m = /^(asking gunicorn for|restoring) (\d+) workers?$/.exec(text);
    if (m) {
      return m[1] === "restoring" ? t("restoring %(workers)s", { workers: workers(+m[2]) })
                                  : t("asking gunicorn for %(workers)s", { workers: workers(+m[2]) });
    }
    return { "reading the instruments": t("reading the instruments"), "done": t("done"),
             "starting the runner": t("starting the runner"),
             "cancelling after the current step": t("cancelling after the current step") }[text] || text;
  }

  function renderProgress(snapshot, labels, shown) {
    var noUpdate = window.dash_clientside.no_update;
    var comparison = (snapshot || {}).comparison;
    if (!comparison) {  // the snapshot of another page, or the first one of this page
      return [noUpdate, noUpdate, noUpdate, noUpdate, noUpdate, noUpdate, noUpdate, noUpdate];
    }
    var p = comparison.progress, latest = comparison.latest;
    var latestId = latest ? latest.id : null;
    var nextShown = latestId !== shown ? latestId : noUpdate;
    if (!p) {
      return [0, "", false, "secondary", el("Span", { className: "lab-muted" },
              t("No comparison has run on this lab yet: choose above and press Run.")), false, { display: "none" },
              nextShown];
    }
    var active = ACTIVE.indexOf(p.status) !== -1;
    var pct = p.total ? Math.round(100 * p.done / p.total) : 0;
    var label = p.done + " / " + p.total;
    var now;
    if (active) {
      var what = p.pattern ? [el("Strong", {}, labels[p.pattern] || p.pattern),
                              " " + t("at %(workers)s", { workers: workers(p.workers) }) + " — "] : [];
      now = [el("Span", { className: "cmp-live" }, p.status === "cancelling" ? t("Cancelling") : t("Running")),
             el("Span", {}, what.concat([phase(p.phase) || "…"])),
             el("Span", { className: "cmp-clock" },
                t("round %(round)s of %(total)s · %(elapsed)s elapsed · started %(start)s",
                  { round: Math.min(p.done + 1, p.total), total: p.total,
                    elapsed: elapsed((p.now || p.started_at) - p.started_at), start: clock(p.started_at) }))];
    } else if (p.status === "done") {
      now = [el("Span", { className: "cmp-done" }, t("Finished")),
             el("Span", {}, t("at %(time)s, in %(elapsed)s — the table and charts below are this run.",
                              { time: clock(p.finished_at), elapsed: elapsed(p.finished_at - p.started_at) }))];
    } else {
      var why = { cancelled: t("Cancelled"), failed: t("Failed"), lost: t("Lost") }[p.status] || p.status;
      now = [el("Span", { className: "cmp-stopped" }, why),
             el("Span", {}, p.error || t("after %(done)s of %(total)s rounds; the results below are the previous " +
                                         "complete run.", { done: p.done, total: p.total }))];
    }
    var color = active ? "primary" : p.status === "done" ? "success" : "warning";
    return [pct, label, active, color, now, active,
            active ? {} : { display: "none" }, nextShown];
  }

  // Rounds of the expensive step the sweep waits for at W workers: the first readers of the
  // recompute-everywhere pattern (2 per user) and its currency reader (1 per user), then one pick per
  // user for each of the six other patterns, each batch run W at a time.
  function stepRounds(users, w) {
    var per = Math.ceil(users / w);
    return Math.ceil(2 * users / w) + per + 6 * per;
  }

  // Rounds of the step lesson 8's crowd waits for at W workers (at most 8 users, each a different
  // report): plain callbacks W at a time; Diskcache and Celery (4 at a time) about two between them.
  function offloadRounds(users, w) {
    return Math.ceil(Math.min(users, 8) / w) + 2;
  }

  function estimate(users, counts, rows, step) {
    if (!users || !counts || !counts.length) { return t("Choose at least one worker count."); }
    var rounds = counts.reduce(function (sum, w) { return sum + stepRounds(users, w) + offloadRounds(users, w); }, 0);
    var perRound = 0.8 + (rows >= 100000 ? 1.5 : 0);  // visits, reading the instruments, big tables
    var seconds = rounds * step + 7 * counts.length * perRound + 4 * counts.length;  // + the crowd's set-up
    var text = seconds < 90 ? Math.round(seconds / 5) * 5 + " s"
                            : window.labHelpers.localize((seconds / 60).toFixed(1)) + " min";
    return t("About %(time)s: %(rounds)s rounds of the %(step)s s step (STEP_SECONDS), fewer with more workers.",
             { time: text, rounds: rounds, step: window.labHelpers.localize(String(step)) });
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    compare: { renderProgress: renderProgress, estimate: estimate }
  });
})();
