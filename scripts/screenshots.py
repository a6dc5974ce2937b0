"""The README's and the instructor guide's screenshots, in English and Spanish: `make screenshots`.

Starts a lab of its own under gunicorn (2 workers, the filesystem backend, a temporary data
directory, a free loopback port), or uses a running one with `--url`; opens each page in Debian's
headless Chromium at 1280×720 (a projector) with the browser asking for the language, does what a
learner would do first so the meters show something, and writes
`docs/screenshots/<lang>/<page>.png`. Stops the lab it started.

    python scripts/screenshots.py                       # every page, both languages
    python scripts/screenshots.py --pages home --langs es --out /tmp/shots

The comparison's picture shows its latest run: photograph a lab where one has run (`--url`), or it
shows the top of the page.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import sync_playwright

PROJECT_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_DIR))

from lab.i18n import LANGUAGES  # noqa: E402
from lab.local_servers import LabServer, free_port, stop_process  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run"]


@dataclass(frozen=True)
class Shot:
    name: str
    path: str
    clicks: tuple[str, ...] = ()  # what a learner does first (CSS selectors, in order)
    settle: float = 2.5  # seconds for the callbacks and a snapshot tick after each step
    scroll_to: str | None = None  # the part of the page to show (default: the top)
    block: str = "center"  # where it goes on the screen: start, center


SHOTS = [
    Shot("home", "/"),
    Shot("why-share-state", "/why-share-state",
         clicks=("#why-share-state-unit .form-check:nth-child(2) label",), scroll_to=".lab-verdict",
         block="start"),
    Shot("global-variable", "/global-variable", scroll_to="#global-variable-try"),
    Shot("cache-signal", "/cache-signal", clicks=("#cache-signal-crowd-fire",), settle=4.0,
         scroll_to="#cache-signal-crowd-view"),
    Shot("session-cache", "/session-cache", scroll_to="#session-cache-try"),
    Shot("compare", "/compare", settle=4.0, scroll_to="#compare-results .cmp-meta", block="start"),
]


def take(browser, base: str, shot: Shot, lang: str, out: Path) -> Path:
    ctx = browser.new_context(locale=lang, extra_http_headers={"Accept-Language": lang},
                              viewport={"width": 1280, "height": 720})
    try:
        tab = ctx.new_page()
        tab.set_default_timeout(20_000)
        tab.goto(base + shot.path)
        tab.wait_for_selector("#lab-main h1")
        time.sleep(shot.settle)
        for selector in shot.clicks:
            tab.click(selector)
            time.sleep(shot.settle)
        if shot.scroll_to and tab.locator(shot.scroll_to).count() == 0:
            print(f"  {shot.path}: nothing matches {shot.scroll_to} (the comparison has not run on this lab?): "
                  "photographing the top", file=sys.stderr)
        elif shot.scroll_to:
            tab.locator(shot.scroll_to).first.scroll_into_view_if_needed()
            tab.locator(shot.scroll_to).first.evaluate("(el, block) => el.scrollIntoView({block})", shot.block)
            time.sleep(0.3)
        target = out / lang / f"{shot.name}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(target))
        return target
    finally:
        ctx.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=PROJECT_DIR / "docs" / "screenshots")
    parser.add_argument("--pages", nargs="*", choices=[s.name for s in SHOTS], help="default: all")
    parser.add_argument("--langs", nargs="*", choices=list(LANGUAGES), default=list(LANGUAGES))
    parser.add_argument("--url", help="a running lab to photograph instead of starting one")
    args = parser.parse_args(argv)
    shots = [s for s in SHOTS if not args.pages or s.name in args.pages]
    if not Path(CHROMIUM).exists():
        parser.error(f"{CHROMIUM} is missing: apt-get install chromium")

    server = None
    with tempfile.TemporaryDirectory(prefix="lab-screenshots-") as data:
        if not args.url:
            server = LabServer(PROJECT_DIR, Path(data), free_port(), "127.0.0.1", 2, None,
                               {"STEP_SECONDS": "1"}, None)
            server.start()
            server.wait_ready()
        base = (args.url or server.url).rstrip("/")
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for lang in args.langs:
                    for shot in shots:
                        print(f"{lang} {shot.path:<18} → {take(browser, base, shot, lang, args.out)}", flush=True)
                browser.close()
        finally:
            if server is not None:
                stop_process(server.proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
