/*
 * A browser that blocks site data (cookies and storage) throws a SecurityError on any touch of
 * localStorage or sessionStorage, and dash-renderer's persistence touches localStorage while it
 * renders: the whole lab would stay blank. Here, before the renderer starts, each storage that
 * throws is replaced by one that lives in this page's memory: everything works, and what would
 * have been remembered (the instructor token, lesson 3's choices, local and session stores) is
 * forgotten on reload. `window.labStorageBlocked` says so to the pages.
 */
(function () {
  "use strict";

  function memoryStorage() {
    var items = new Map();
    return {
      get length() { return items.size; },
      key: function (i) { return Array.from(items.keys())[i] === undefined ? null : Array.from(items.keys())[i]; },
      getItem: function (k) { return items.has(String(k)) ? items.get(String(k)) : null; },
      setItem: function (k, v) { items.set(String(k), String(v)); },
      removeItem: function (k) { items.delete(String(k)); },
      clear: function () { items.clear(); }
    };
  }

  function usable(name) {
    try {
      var storage = window[name], probe = "lab-storage-probe";
      storage.setItem(probe, probe);
      storage.removeItem(probe);
      return true;
    } catch (e) {
      return false;
    }
  }

  window.labStorageBlocked = [];
  ["localStorage", "sessionStorage"].forEach(function (name) {
    if (usable(name)) return;
    try {
      Object.defineProperty(window, name, { value: memoryStorage(), configurable: true, enumerable: true });
      window.labStorageBlocked.push(name);
      if (window.console) window.console.warn("lab: " + name + " is blocked; keeping it in memory for this page");
    } catch (e) { /* cannot replace it: nothing more to do */ }
  });

})();
