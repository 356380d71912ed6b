"""Take the README's pictures in Debian's headless Chromium: docs/dashboard.png (the
bundled pair mid-tuning, g typed as 5 µS) and docs/network.png (the bundled 100-cell
Wang–Buzsáki network with its raster and population metrics).

    python tools/screenshots.py

The tabs' pictures (docs/fit.png, scan.png, synapse.png) are taken by the browser
tests that drive those tabs: NEUNTUNE_UPDATE_SCREENSHOT=1 pytest tests/browser/test_workflows.py
"""

from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from neuntune.ui.testing import launch_chromium, open_tuner, running_server, type_value

DOCS = Path(__file__).parents[1] / "docs"


def dashboard(browser) -> None:
    with running_server() as url:
        context, page, _ = open_tuner(browser, url)
        try:
            type_value(page, "gj.g", "5")
            expect(page.locator(".nt-readout").first).to_contain_text("CC a→b = 0.")
            page.wait_for_timeout(500)
            page.screenshot(path=DOCS / "dashboard.png", full_page=True)
        finally:
            context.close()


def network(browser) -> None:
    with running_server(circuit="'wb_gap_network'") as url:
        context, page, _ = open_tuner(browser, url, ready="raster:wb")
        try:
            expect(page.locator(".nt-population-metrics")).to_contain_text("χ", timeout=30_000)
            page.wait_for_timeout(500)
            page.screenshot(path=DOCS / "network.png", full_page=True)
        finally:
            context.close()


def main() -> None:
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            dashboard(browser)
            network(browser)
        finally:
            browser.close()
    print(f"wrote {DOCS / 'dashboard.png'} and {DOCS / 'network.png'}")


if __name__ == "__main__":
    main()
