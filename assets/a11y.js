// Names for widgets that Dash draws inside a container: Dash 4's dcc.Slider puts its ARIA slider
// and its number box inside a <div id=…>, and dash-bootstrap's Progress its progressbar. A
// <label for="that id"> in the layout cannot name a div, so this names the widgets inside it with
// aria-labelledby, pointing at that label. Runs again whenever Dash renders new content.
(function () {
  "use strict";
  var WIDGETS = '[role="slider"], [role="progressbar"], input, select, textarea';

  function nameWidgets() {
    document.querySelectorAll("label[for]").forEach(function (label) {
      var container = document.getElementById(label.htmlFor);
      if (!container || container.matches("input, select, textarea, button")) { return; }
      if (!label.id) { label.id = label.htmlFor + "--label"; }
      container.querySelectorAll(WIDGETS).forEach(function (widget) {
        if (!widget.hasAttribute("aria-label") && !widget.hasAttribute("aria-labelledby")) {
          widget.setAttribute("aria-labelledby", label.id);
        }
      });
    });
  }

  var pending = false;
  function soon() {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () { pending = false; nameWidgets(); });
  }

  function start() {
    new MutationObserver(soon).observe(document.body, { childList: true, subtree: true });
    soon();
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
