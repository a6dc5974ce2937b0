// Prints what the browser's formatters make of numbers given as JSON on stdin:
// {"bytes": [...], "durations": [...]} -> {"bytes": [...], "durations": [...]}.
// tests/unit/test_formats.py compares them with lab.sizes' Python formatters.
"use strict";

const { load } = require("./harness");

const input = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
const helpers = load(["lab.js"], { i18n: { lang: input.lang || "en", messages: {} } }).labHelpers;
process.stdout.write(JSON.stringify({
  bytes: input.bytes.map((n) => helpers.formatBytes(n)),
  durations: input.durations.map((ms) => helpers.formatDuration(ms)),
}));
