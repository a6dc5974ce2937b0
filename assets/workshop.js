/*
 * The lessons' self-checks (components/workshop.py): choosing an answer shows why it is right or
 * why not, in the browser, with no request.
 */
(function () {
  "use strict";

  function explain(choice, answers) {
    var h = window.labHelpers;
    if (choice === null || choice === undefined || !answers || !answers[choice]) {
      return ["", "lab-check-feedback"];
    }
    var answer = answers[choice];
    var verdict = answer.right ? "✓ " + h.t("Right.") : "✗ " + h.t("Not quite.");
    return [[h.el("Strong", {}, verdict), " " + answer.why],
            "lab-check-feedback " + (answer.right ? "lab-check-right" : "lab-check-wrong")];
  }

  // A link to "#<lesson>-check" (the overview's guide) arrives before the lesson has rendered, so
  // the browser cannot scroll there itself: scroll once the element exists, and again while the
  // content above it is still growing (graphs render late), for a few seconds or until the
  // learner scrolls on their own.
  function scrollToAnchor() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    if (!id) return;
    var started = Date.now(), found = 0;
    function stop() {
      observer.disconnect();
      ["wheel", "keydown", "touchstart", "mousedown"].forEach(function (name) {
        window.removeEventListener(name, stop, true);
      });
    }
    var observer = new MutationObserver(function () {
      var target = document.getElementById(id);
      if (target) {
        found = found || Date.now();
        target.scrollIntoView({ block: "start" });
      }
      if (Date.now() - (found || started) > (found ? 4000 : 10000)) stop();
    });
    observer.observe(document.body, { childList: true, subtree: true, attributes: true });
    ["wheel", "keydown", "touchstart", "mousedown"].forEach(function (name) {
      window.addEventListener(name, stop, true);
    });
  }

  if (typeof document !== "undefined" && typeof MutationObserver !== "undefined") {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", scrollToAnchor);
    else scrollToAnchor();
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    workshop: { explain: explain }
  });
})();
