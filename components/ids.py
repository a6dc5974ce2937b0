"""Ids of the shell's own components, which the instruments on every page read. Every id the
instruments own starts with `lab-`: the metrics never count the instruments' own requests."""

SHELL = "lab-shell"
TICK = "lab-tick"
SNAPSHOT = "lab-snapshot"
DIGEST = "lab-snapshot-digest"
BADGE = "lab-backend-badge"
BANNER = "lab-degraded-banner"
NAVBAR = "lab-navbar"
LANGUAGE = "lab-language"  # {"type": LANGUAGE, "lang": code}: the navbar's language links
