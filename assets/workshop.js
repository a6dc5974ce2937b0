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

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    workshop: { explain: explain }
  });
})();
