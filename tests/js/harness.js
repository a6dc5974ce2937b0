// Loads the lab's browser scripts (assets/*.js) into this Node process as a page would: as plain
// scripts against `window`, with just enough of a browser around them (a document with the shell
// element, CSS custom properties, timers and fetch that the test controls).
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");

const ASSETS = path.join(__dirname, "..", "..", "assets");

// A DOM element stand-in with the few members the scripts use.
function element(attributes = {}) {
  const attrs = { ...attributes };
  return {
    textContent: "",
    getAttribute: (name) => (name in attrs ? attrs[name] : null),
    setAttribute: (name, value) => { attrs[name] = String(value); },
  };
}

// A fresh browser-like global, the given scripts loaded into it. `cssVariables` are the shell's
// custom properties; `timers` are elements with class lab-timer; `fetch` replaces the network.
function load(scripts, { cssVariables = {}, timers = [], fetch = async () => ({ status: 200, headers: new Map() }),
                        i18n = undefined } = {}) {
  const shell = element({ "data-lab-session": "visit.token" });
  const intervals = new Map();
  let nextInterval = 1;
  const window = {
    console, Headers,
    performance: { now: () => window.now },
    now: 0,
    fetch,
    document: {
      getElementById: (id) => (id === "lab-shell" ? shell : null),
      querySelectorAll: (selector) => (selector === ".lab-timer[data-scope]" ? timers : []),
    },
    getComputedStyle: (el) => ({ getPropertyValue: (name) => (el === shell && cssVariables[name]) || "" }),
    setInterval: (fn, ms) => { const id = nextInterval++; intervals.set(id, { fn, ms }); return id; },
    clearInterval: (id) => { intervals.delete(id); },
    intervals,
    labI18n: i18n,
    Intl,
  };
  window.window = window;
  vm.createContext(window);
  for (const script of scripts) {
    vm.runInContext(fs.readFileSync(path.join(ASSETS, script), "utf8"), window, { filename: script });
  }
  return window;
}

// Values made inside the loaded scripts belong to another realm: compare them as plain JSON.
function plain(value) {
  return JSON.parse(JSON.stringify(value));
}

module.exports = { load, element, plain };
