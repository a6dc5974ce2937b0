/*
 * Browser side of the lab's shell: draws the backend badge and the degraded-mode banner from
 * the one-per-second snapshot, without another request to the server.
 */
(function () {
  "use strict";

  function el(type, props) {
    return { type: type, namespace: "dash_html_components", props: props || {} };
  }

  function renderBackend(snapshot) {
    var health = (snapshot && snapshot.health) || {};
    var redis = health.redis || {};
    var badge, cls, banner = null, hidden = true;
    if (health.backend === "redis" && redis.reachable) {
      badge = [el("Span", { className: "lab-dot lab-dot-ok" }), "Redis"];
      cls = "lab-badge lab-badge-redis";
    } else if (health.backend === "redis") {
      badge = [el("Span", { className: "lab-dot lab-dot-bad" }), "Redis unreachable"];
      cls = "lab-badge lab-badge-down";
      hidden = false;
      banner = [
        el("Strong", { children: "Degraded mode: Redis at " + (redis.url || "REDIS_URL") + " is unreachable. " }),
        "Every callback computes for itself without the shared cache, and the shared meters pause. ",
        "Nothing is lost and nobody gets an error; the lab reconnects by itself as soon as Redis is back.",
        redis.error ? el("Div", { className: "lab-banner-detail", children: redis.error }) : null
      ];
    } else {
      badge = [el("Span", { className: "lab-dot lab-dot-ok" }), "Filesystem"];
      cls = "lab-badge lab-badge-fs";
    }
    return [badge, cls, banner, hidden];
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    lab: Object.assign({}, (window.dash_clientside || {}).lab, {
      renderBackend: renderBackend
    })
  });
})();
