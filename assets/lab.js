/*
 * The browser side of the lab's instruments.
 *
 * 1. A wrapper around window.fetch, through which dash-renderer sends every callback request:
 *    it adds this visit's signed session id (X-Lab-Session) and notes when each of the page's
 *    callbacks starts and ends, so the timers can tick while callbacks are in flight.
 * 2. The timers: every element with class "lab-timer" and a data-scope (an id prefix) shows the
 *    elapsed time of the callbacks in its scope while they run, then the measured duration.
 * 3. Renderers for clientside callbacks: badge and banner, meters, worker strip and timeline, all
 *    drawn from the snapshot the shell fetches once a second (no requests of their own).
 *
 * Every figure shown comes from the server's measurements (bytes on the wire, worker PIDs,
 * executions); only the timers are measured here, in the browser, around the real requests.
 */
(function () {
  "use strict";

  var INSTRUMENT_PREFIX = "lab-";
  var BURST_GAP_MS = 300;  // callbacks chained within this gap (a signal firing four graphs) form one run
  var MAX_LOG = 300;
  var TICK_MS = 50;  // how often a running timer is redrawn (only while a callback is in flight)

  /* ---------------------------------------------------------------- callback requests ---- */

  var requests = [];  // {key, owner, start, end, status, worker}

  // Mirrors lab.instrument.first_component_id: the owner of a callback is its first output's id.
  function ownerOf(key) {
    var multi = key.length > 4 && key.slice(0, 2) === ".." && key.slice(-2) === "..";
    var k = multi ? key.slice(2, -2) : key;
    var first = k.split("...")[0];
    var component = first.slice(0, first.lastIndexOf("."));
    if (component.charAt(0) === "{") {
      try {
        var parsed = JSON.parse(component);
        if (parsed && typeof parsed.type === "string") { return parsed.type; }
      } catch (e) { /* not JSON after all */ }
    }
    return component;
  }

  // dash-renderer puts "output" first in the body: read it without parsing a body of megabytes.
  function outputKeyOf(body) {
    if (typeof body !== "string") { return null; }
    var match = /^\{"output":"((?:[^"\\]|\\.)*)"/.exec(body.slice(0, 4096));
    if (!match) { return null; }
    try { return JSON.parse('"' + match[1] + '"'); } catch (e) { return null; }
  }

  function sessionToken() {
    var shell = document.getElementById("lab-shell");
    return shell ? shell.getAttribute("data-lab-session") : null;
  }

  var nativeFetch = window.fetch.bind(window);
  window.fetch = function (input, init) {
    var url = typeof input === "string" ? input : (input && input.url) || "";
    if (url.indexOf("_dash-update-component") === -1 || !init) { return nativeFetch(input, init); }
    var headers = new Headers(init.headers || {});
    var token = sessionToken();
    if (token) { headers.set("X-Lab-Session", token); }
    init = Object.assign({}, init, { headers: headers });
    var key = outputKeyOf(init.body);
    if (!key) { return nativeFetch(input, init); }
    var owner = ownerOf(key);
    if (owner.indexOf(INSTRUMENT_PREFIX) === 0) { return nativeFetch(input, init); }
    var entry = { key: key, owner: owner, start: performance.now(), end: null, status: null, worker: null };
    requests.push(entry);
    if (requests.length > MAX_LOG) { requests.shift(); }
    renderTimers();
    startTicking();
    return nativeFetch(input, init).then(function (response) {
      entry.end = performance.now();
      entry.status = response.status;
      entry.worker = response.headers.get("X-Lab-Worker");
      renderTimers();
      return response;
    }, function (error) {
      entry.end = performance.now();
      entry.status = 0;
      renderTimers();
      throw error;
    });
  };

  /* ------------------------------------------------------------------------- timers ---- */

  function inScope(owner, scope) { return !scope || owner.indexOf(scope) === 0; }

  // The latest run of overlapping (or nearly touching) requests in a scope: {start, end|null}.
  function latestRun(scope) {
    var mine = requests.filter(function (r) { return inScope(r.owner, scope); });
    if (!mine.length) { return null; }
    mine.sort(function (a, b) { return a.start - b.start; });
    var run = null;
    mine.forEach(function (r) {
      var end = r.end === null ? Infinity : r.end;
      if (run && r.start <= run.end + BURST_GAP_MS) {
        run.end = Math.max(run.end, end);
      } else {
        run = { start: r.start, end: end };
      }
    });
    return { start: run.start, end: run.end === Infinity ? null : run.end };
  }

  // Mirrors lab.sizes.human_duration (tests/unit/test_formats.py checks that they agree).
  function formatDuration(ms) {
    if (ms < 10) { return localize(ms.toFixed(1)) + " ms"; }
    if (ms < 1000) { return Math.round(ms) + " ms"; }
    return localize((ms / 1000).toFixed(ms < 10000 ? 2 : 1)) + " s";
  }

  function renderTimers() {
    var timers = document.querySelectorAll(".lab-timer[data-scope]");
    for (var i = 0; i < timers.length; i++) {
      var el = timers[i];
      var run = latestRun(el.getAttribute("data-scope"));
      var text = "—", state = "idle";
      if (run && run.end === null) { text = formatDuration(performance.now() - run.start); state = "running"; }
      else if (run) { text = formatDuration(run.end - run.start); state = "done"; }
      if (el.textContent !== text) { el.textContent = text; }
      if (el.getAttribute("data-state") !== state) { el.setAttribute("data-state", state); }
    }
  }

  // The timers are redrawn every TICK_MS while a callback is in flight, and not at all otherwise.
  var ticking = null;

  function inFlight() {
    return requests.some(function (r) { return r.end === null; });
  }

  function tick() {
    renderTimers();
    if (!inFlight()) { clearInterval(ticking); ticking = null; }
  }

  function startTicking() {
    if (ticking === null) { ticking = setInterval(tick, TICK_MS); }
  }

  /* ------------------------------------------------------------------ language ---- */

  // The page's language and the browser's catalog (lab/i18n.py writes window.labI18n into the page).
  var I18N = window.labI18n || { lang: "en", messages: {} };

  // Translate English text; `values` fill its %(name)s placeholders.
  function t(text, values) {
    var out = (I18N.messages || {})[text] || text;
    if (values) {
      out = out.replace(/%\((\w+)\)s/g, function (match, key) { return key in values ? String(values[key]) : match; });
    }
    return out;
  }

  var DECIMAL = (function () {
    try {
      var parts = new Intl.NumberFormat(I18N.lang).formatToParts(1.5);
      return parts.filter(function (p) { return p.type === "decimal"; })[0].value;
    } catch (e) { return "."; }
  })();

  // A number written the English way (1.5) in the page's language (1,5); mirrors lab.i18n.localize.
  function localize(text) { return DECIMAL === "." ? text : text.replace(".", DECIMAL); }

  /* ----------------------------------------------------------------------- helpers ---- */

  function el(type, props, children) {
    var p = Object.assign({}, props || {});
    if (children !== undefined) { p.children = children; }
    return { type: type, namespace: "dash_html_components", props: p };
  }

  // Mirrors lab.sizes.human_bytes (tests/unit/test_formats.py checks that they agree).
  function formatBytes(n) {
    if (n === null || n === undefined) { return "—"; }
    if (n < 1000) { return n + " B"; }
    var units = ["KB", "MB", "GB"], value = n / 1000, i = 0;
    while (value >= 1000 && i < units.length - 1) { value /= 1000; i++; }
    return localize(value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)) + " " + units[i];
  }

  function shortCallback(key) {
    var k = key.length > 4 && key.slice(0, 2) === ".." && key.slice(-2) === ".." ? key.slice(2, -2) : key;
    return k.split("...").map(function (part) {
      var dot = part.lastIndexOf(".");
      var comp = part.slice(0, dot);
      if (comp.charAt(0) === "{") {
        try { var o = JSON.parse(comp); comp = o.type + (o.index !== undefined ? "[" + o.index + "]" : ""); } catch (e) { /* keep */ }
      }
      return comp + "." + part.slice(dot + 1);
    }).join(", ");
  }

  // The lab's colours come from lab/style.py, set by the shell as CSS custom properties.
  var colors = {};

  function color(name) {
    if (!colors[name]) {  // read once it is there (an empty answer is asked again next time)
      var shell = document.getElementById("lab-shell");
      colors[name] = shell ? window.getComputedStyle(shell).getPropertyValue("--lab-" + name).trim() : "";
    }
    return colors[name];
  }

  var palette = null;

  function workerPalette() {
    if (palette === null || !palette.length) {
      palette = [];
      for (var i = 0; color("worker-" + i); i++) { palette.push(color("worker-" + i)); }
    }
    return palette;
  }

  function workerColor(pid, live) {
    var i = (live || []).indexOf(pid), workers = workerPalette();
    return i === -1 || !workers.length ? color("gone") : workers[i % workers.length];
  }

  function chip(pid, live, title, label) {
    return el("Span", { className: "lab-chip", title: title, style: { background: workerColor(pid, live) } },
              label === undefined ? String(pid) : label);
  }

  function sumSteps(counts, steps) {
    var total = 0;
    Object.keys(counts || {}).forEach(function (step) {
      if (!steps || steps.indexOf(step) !== -1) { total += counts[step]; }
    });
    return total;
  }

  function tile(label, value, sub, extraClass) {
    return el("Div", { className: "lab-meter" + (extraClass ? " " + extraClass : "") }, [
      el("Div", { className: "lab-meter-label" }, label),
      el("Div", { className: "lab-meter-value" }, value),
      el("Div", { className: "lab-meter-sub" }, sub)
    ]);
  }

  /* ------------------------------------------------------------------------ badge ---- */

  function renderBackend(snapshot) {
    var health = (snapshot && snapshot.health) || {};
    var redis = health.redis || {};
    var badge, cls, banner = null, hidden = true;
    if (health.backend === "redis" && redis.reachable) {
      badge = [el("Span", { className: "lab-dot lab-dot-ok" }), "Redis"];
      cls = "lab-badge lab-badge-redis";
    } else if (health.backend === "redis") {
      badge = [el("Span", { className: "lab-dot lab-dot-bad" }), t("Redis unreachable")];
      cls = "lab-badge lab-badge-down";
      hidden = false;
      banner = [
        el("Strong", {}, t("Degraded mode: Redis at %(url)s is unreachable.", { url: redis.url || "REDIS_URL" }) + " "),
        t("Every callback computes for itself without the shared cache, and the shared meters pause.") + " ",
        t("Nothing is lost and nobody gets an error; the lab reconnects by itself as soon as Redis is back."),
        redis.error ? el("Div", { className: "lab-banner-detail" }, redis.error) : null
      ];
    } else if (health.degraded) {
      var disk = health.data_dir || {};
      badge = [el("Span", { className: "lab-dot lab-dot-bad" }), t("Disk not writable")];
      cls = "lab-badge lab-badge-down";
      hidden = false;
      banner = [
        el("Strong", {}, t("Degraded mode: the data directory %(path)s cannot be written (full or read-only).",
                           { path: disk.path || "DATA_DIR" }) + " "),
        t("Callbacks still answer: they compute without keeping anything, and the shared meters pause.") + " ",
        t("Free some space or make it writable again: the lab notices by itself within a second."),
        disk.error ? el("Div", { className: "lab-banner-detail" }, disk.error) : null
      ];
    } else {
      badge = [el("Span", { className: "lab-dot lab-dot-ok" }), t("Filesystem")];
      cls = "lab-badge lab-badge-fs";
    }
    return [badge, cls, banner, hidden];
  }

  /* ----------------------------------------------------------------------- meters ---- */

  function renderMeters(snapshot, config) {
    config = config || {};
    if (!snapshot || !snapshot.instruments) {
      return el("Div", { className: "lab-meter-note" }, t("Instruments are off (INSTRUMENTS=off)."));
    }
    if (!snapshot.meters) {
      return el("Div", { className: "lab-meter-note" }, t("Meters paused while Redis is unreachable."));
    }
    var meters = snapshot.meters, scope = config.scope, live = snapshot.health.workers;
    var mine = sumSteps(meters.recomputes.mine, config.steps);
    var everyone = sumSteps(meters.recomputes.everyone, config.steps);

    var rows = [], up = 0, down = 0, count = 0;
    Object.keys(meters.callbacks || {}).forEach(function (key) {
      if (!inScope(ownerOf(key), scope)) { return; }
      var c = meters.callbacks[key];
      up += c["in"] || 0; down += c.out || 0; count += c.n || 0;
      rows.push({ key: key, c: c });
    });
    var last = null;
    (meters.calls || []).some(function (call) {
      // A background job's span (`ln`) is no HTTP request: it has no bytes of its own.
      if (!call.ln && call.p === config.pattern && inScope(ownerOf(call.cb), scope)) { last = call; return true; }
      return false;
    });
    var lastWorker = {};
    (meters.calls || []).slice().reverse().forEach(function (call) { lastWorker[call.cb] = call.pid; });

    var tiles = [
      tile(config.stepLabel || t("Expensive step ran"), String(mine),
           [el("Span", {}, t("times for you") + " · "), el("Strong", {}, String(everyone)),
            " " + t("for everyone, all workers")],
           "lab-meter-recomputes"),
      tile(t("Sent up"), last ? formatBytes(last.up) : "—",
           t("last callback · %(total)s this visit", { total: formatBytes(up) }), "lab-meter-up"),
      tile(t("Sent down"), last ? formatBytes(last.down) : "—",
           t("last callback · %(total)s this visit", { total: formatBytes(down) }), "lab-meter-down")
    ];
    rows.sort(function (a, b) { return a.key < b.key ? -1 : 1; });
    var table = el("Table", { className: "table table-sm lab-breakdown" }, [
      el("Thead", {}, el("Tr", {}, [t("Callback (its outputs)"), t("Calls"), t("Up"), t("Down"), t("Mean time"),
                                    t("Last worker")].map(function (h) { return el("Th", {}, h); }))),
      el("Tbody", {}, rows.length ? rows.map(function (r) {
        var pid = lastWorker[r.key];
        return el("Tr", {}, [
          el("Td", {}, el("Code", {}, shortCallback(r.key))),
          el("Td", {}, String(r.c.n || 0)),
          el("Td", {}, formatBytes(r.c["in"] || 0)),
          el("Td", {}, formatBytes(r.c.out || 0)),
          el("Td", {}, r.c.n ? formatDuration((r.c.ms || 0) / r.c.n) : "—"),
          el("Td", {}, pid ? chip(pid, live, "PID " + pid) : "—")
        ]);
      }) : el("Tr", {}, el("Td", { colSpan: 6, className: "lab-muted" }, t("No callback yet on this visit."))))
    ]);
    var details = el("Details", { className: "lab-breakdown-details" }, [
      el("Summary", {}, count === 1 ? t("Per callback (1 call this visit)")
                                    : t("Per callback (%(count)s calls this visit)", { count: count })),
      el("Div", { className: "table-responsive" }, table)  // scrolls in its own box on a narrow screen
    ]);
    return [el("Div", { className: "lab-meter-tiles" }, tiles), details];
  }

  /* ----------------------------------------------------------------- worker strip ---- */

  function renderWorkers(snapshot, request) {
    var health = (snapshot && snapshot.health) || {};
    var live = health.workers || [];
    var guard = health.guard || {};
    if (health.server !== "gunicorn") {
      return [
        el("Span", { className: "lab-strip-single" }, [
          t("one process (dev server), so there are no workers to compare: start with") + " ",
          el("Code", {}, "python app.py --workers 4")
        ]),
        null, null, { display: "none" }, true
      ];
    }
    var liveView = [el("Strong", { className: "lab-strip-count" }, live.length === 1 ? t("1 live") : t("%(count)s live", { count: live.length }))]
      .concat(live.map(function (pid) { return chip(pid, live, t("worker process %(pid)s", { pid: pid })); }));

    var calls = ((snapshot.meters || {}).calls || []).filter(function (c) { return !c.ln; }).slice(0, 14).reverse();
    var mine = calls.length ? calls.map(function (call) {
      return chip(call.pid, live, shortCallback(call.cb) + " · " + formatDuration((call.t1 - call.t0) * 1000) +
                  " · PID " + call.pid, String(call.pid).slice(-3));
    }) : el("Span", { className: "lab-muted" }, t("no callback yet"));

    var status = null;
    if (request && request.error) {
      status = el("Span", { className: "lab-strip-error" }, request.error);
    } else if (request && request.target) {
      var fresh = (Date.now() / 1000 - request.at) < 20;
      if (live.length === request.target) {
        status = fresh ? el("Span", { className: "lab-strip-ok" },
                            "✓ " + (request.target === 1 ? t("1 worker live")
                                     : t("%(count)s workers live", { count: request.target }))) : null;
      } else if (fresh) {
        status = el("Span", { className: "lab-strip-pending" },
                    t("workers asked of gunicorn: %(target)s… live now: %(live)s",
                      { target: request.target, live: live.length }));
      }
    }
    var tokenStyle = guard.token_required ? {} : { display: "none" };
    return [liveView, mine, status, tokenStyle, false];
  }

  /* --------------------------------------------------------------------- timeline ---- */

  function renderTimeline(snapshot, config) {
    config = config || {};
    var health = (snapshot && snapshot.health) || {};
    var live = health.workers || [];
    var calls = ((snapshot && snapshot.meters) || {}).calls || [];
    calls = calls.filter(function (c) { return c.p === config.pattern && inScope(ownerOf(c.cb), config.scope); });
    var newest = calls.reduce(function (m, c) { return Math.max(m, c.t1); }, 0);
    calls = calls.filter(function (c) { return c.t1 >= newest - 60; });
    // Web workers first (every live one, busy or not), then background processes (job processes,
    // Celery workers: calls marked `ln`), each on a lane of its own, labelled as such.
    var background = {};
    calls.forEach(function (c) { if (c.ln) { background[c.pid] = true; } });
    var lanes = live.slice();
    calls.forEach(function (c) { if (!c.ln && lanes.indexOf(c.pid) === -1) { lanes.push(c.pid); } });
    lanes.sort(function (a, b) { return a - b; });
    lanes = lanes.concat(Object.keys(background).map(Number).sort(function (a, b) { return a - b; }));
    var laneName = function (pid) {
      if (background[pid]) { return t("background %(pid)s", { pid: pid }); }
      return "PID " + pid + (live.indexOf(pid) === -1 ? " " + t("(gone)") : "");
    };

    var byCallback = {};
    calls.forEach(function (c) {
      var name = shortCallback(c.cb);
      (byCallback[name] = byCallback[name] || []).push(c);
    });
    // An invisible point on each lane makes plotly draw lanes that have no bar yet.
    var traces = [{ type: "scatter", mode: "markers", x: lanes.map(function () { return null; }),
                    y: lanes.map(laneName), hoverinfo: "skip", showlegend: false, marker: { opacity: 0 } }];
    traces = traces.concat(Object.keys(byCallback).sort().map(function (name) {
      var cs = byCallback[name];
      return {
        type: "bar", orientation: "h", name: name,
        y: cs.map(function (c) { return laneName(c.pid); }),
        base: cs.map(function (c) { return new Date(c.t0 * 1000).toISOString(); }),
        x: cs.map(function (c) { return Math.max(1, (c.t1 - c.t0) * 1000); }),
        marker: { color: cs.map(function (c) { return c.ln ? color("background") || color("gone") : workerColor(c.pid, live); }),
                  opacity: 0.85,
                  line: { color: color("ink"), width: 1 } },
        customdata: cs.map(function (c) {
          return [formatDuration((c.t1 - c.t0) * 1000), formatBytes(c.up), formatBytes(c.down), c.pid];
        }),
        hovertemplate: "<b>" + name + "</b><br>" + t("%(time)s on PID %(pid)s", { time: "%{customdata[0]}", pid: "%{customdata[3]}" }) + "<br>" +
                       t("up") + " %{customdata[1]} · " + t("down") + " %{customdata[2]}<extra></extra>"
      };
    }));
    var end = newest ? newest : Date.now() / 1000;
    return {
      data: traces,
      layout: {
        barmode: "overlay", showlegend: false, margin: { l: 110, r: 16, t: 8, b: 36 },
        paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: color("plot-bg"),
        font: { color: color("ink") },
        xaxis: { type: "date", range: [new Date((end - 30) * 1000).toISOString(), new Date((end + 1) * 1000).toISOString()],
                 gridcolor: color("grid"), tickformat: "%H:%M:%S" },
        // Every live worker gets a lane, busy or not: idle workers are part of the lesson.
        yaxis: { type: "category", categoryorder: "array", categoryarray: lanes.map(laneName), automargin: true,
                 range: [-0.5, Math.max(lanes.length, 1) - 0.5], gridcolor: color("grid") },
        annotations: calls.length ? [] : [{ text: t("Your callbacks on this page appear here"), showarrow: false,
                                            xref: "paper", yref: "paper", x: 0.5, y: 0.5,
                                            font: { color: color("muted"), size: 14 } }]
      }
    };
  }

  /* ------------------------------------------------ helpers for the pages' own views ---- */

  // This visit's recorded calls on one lesson (`pattern`), newest first, from the shell's snapshot.
  function callsOf(snapshot, pattern) {
    return (((snapshot || {}).meters || {}).calls || []).filter(function (c) { return c.p === pattern; });
  }

  // The call of `stepOwner` that a step's receipt names (the one running at `receipt.t`), and when
  // the next call of the same owner started: the calls in between read what that step sent.
  function stepRound(calls, stepOwner, receipt) {
    var mine = calls.filter(function (c) { return ownerOf(c.cb) === stepOwner; });
    var step = mine.filter(function (c) { return c.t0 <= receipt.t + 0.001 && receipt.t <= c.t1 + 0.001; })[0];
    if (!step) { return null; }
    var later = mine.filter(function (c) { return c.t0 > step.t1; }).map(function (c) { return c.t0; });
    return { step: step, until: later.length ? Math.min.apply(null, later) : Infinity };
  }

  // The successful calls of `owner` that belong to a step's round (see stepRound).
  function readersOf(calls, owner, round) {
    return calls.filter(function (c) {
      return ownerOf(c.cb) === owner && c.st === 200 && c.t0 >= round.step.t1 - 0.001 && c.t0 < round.until;
    });
  }

  function toggleNavbar(_clicks, open) { return !open; }

  // The navbar's language links (/lang/<code>) come back to the page they were clicked on.
  function languageLinks(pathname, linkIds) {
    var next = encodeURIComponent(pathname || "/");
    return (linkIds || []).map(function (id) { return "/lang/" + id.lang + "?next=" + next; });
  }

  // The helpers, for the pages' own clientside callbacks (assets/<page>.js).
  window.labHelpers = { t: t, localize: localize, el: el, formatBytes: formatBytes, formatDuration: formatDuration, ownerOf: ownerOf,
                        inScope: inScope, workerColor: workerColor, callsOf: callsOf, stepRound: stepRound,
                        readersOf: readersOf };

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    lab: Object.assign({}, (window.dash_clientside || {}).lab, {
      renderBackend: renderBackend,
      renderMeters: renderMeters,
      renderWorkers: renderWorkers,
      renderTimeline: renderTimeline,
      toggleNavbar: toggleNavbar,
      languageLinks: languageLinks
    })
  });
})();
