"""Screenshot lab pages in Debian's headless Chromium: `python scripts/screenshot.py URL OUT.png [--width W] [--full]`.

Used to make the README's screenshot and to look at pages while building them.
"""

import argparse
import time

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("out")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--full", action="store_true", help="the whole page, not just the first screen")
    parser.add_argument("--wait", type=float, default=2.0, help="seconds to let callbacks settle")
    parser.add_argument("--click", action="append", default=[], help="CSS selector to click first (repeatable)")
    parser.add_argument("--selector", help="screenshot only this element (CSS selector)")
    args = parser.parse_args()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": args.width, "height": args.height})
        page.on("console", lambda m: m.type in ("error", "warning") and print(f"console {m.type}: {m.text}"))
        page.goto(args.url)
        time.sleep(args.wait)
        for selector in args.click:
            page.click(selector)
            time.sleep(args.wait)
        if args.selector:
            page.locator(args.selector).first.screenshot(path=args.out)
        else:
            page.screenshot(path=args.out, full_page=args.full)
        browser.close()


if __name__ == "__main__":
    main()
