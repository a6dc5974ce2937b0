/*
 * Lesson 2, the global-variable trap (pages/global_variable.py): its browser-side callbacks,
 * under window.dash_clientside.global_variable. They make no request: they draw from the
 * shell's snapshot and from the learner's own pick.
 */
(function () {
  "use strict";

  // The worker count, and which of the two experiments fits it.
  function experiments(snapshot) {
    var health = (snapshot && snapshot.health) || {};
    var n = (health.workers || []).length;
    var t = window.labHelpers.t;
    var text = health.server === "gunicorn"
      ? (n === 1 ? t("1 worker is live now.") : t("%(count)s workers are live now.", { count: n }))
      : t("One process (dev server): start with python app.py --workers 4 to see several copies.");
    var on = "lab-card gv-experiment gv-experiment-on", off = "lab-card gv-experiment";
    return [text, n === 1 ? on : off, n > 1 ? on : off];
  }

  // "You picked": the same chip above both sides, drawn at once.
  function picked(fruit) {
    var chip = function () {
      return fruit ? window.labHelpers.el("Span", { className: "gv-fruit gv-fruit-" + fruit }, window.labHelpers.t(fruit))
                   : null;
    };
    return [chip(), chip()];
  }

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.global_variable = { experiments: experiments, picked: picked };
})();
