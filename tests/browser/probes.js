// What the browser tests read in the page, added to every page they open (the `page` fixture in
// tests/conftest.py), so that the tests themselves carry no JavaScript functions.
"use strict";

window.labProbes = {
  // [selector, condition, arg]: the value of the JavaScript expression `condition` (of `el` and
  // `arg`) once the element exists. A missing element means "not yet" (false), never an error.
  when: function (query) {
    var el = document.querySelector(query[0]);
    return el !== null && new Function("el", "arg", "return (" + query[1] + ");")(el, query[2]);
  },
  // The plotly graph's traces include bars.
  hasBars: function (el) {
    return (el.data || []).some(function (trace) { return trace.type === "bar"; });
  },
  // What every plotly graph inside `root` draws (the timelines left out): [[name, y values], ...].
  figures: function (root) {
    return Array.from(document.querySelectorAll(root + " .js-plotly-plot"))
      .filter(function (plot) { return !plot.closest(".lab-timeline"); })
      .map(function (plot) { return plot.data.map(function (t) { return [t.name, Array.from(t.y)]; }); });
  },
  // The href of every element that matches `selector`.
  hrefs: function (selector) {
    return Array.from(document.querySelectorAll(selector)).map(function (a) { return a.getAttribute("href"); });
  }
};
