"""A tuner server and Debian's Chromium, shared by the browser tests of one worker."""

import pytest
from playwright.sync_api import sync_playwright

from neuntune.ui.testing import launch_chromium, open_tuner, running_server


@pytest.fixture(scope="session")
def server_url():
    with running_server() as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)  # missing browser: an error, not a skip
        yield chromium
        chromium.close()


@pytest.fixture
def tuner_page(browser, server_url):
    """A new browser context showing the tuner's first run, and its console log.

    Every request to a host other than the server's is aborted and fails the test,
    whatever it did: the page must work offline in every workflow.
    """
    context, page, log = open_tuner(browser, server_url)
    yield page, log
    context.close()
    if log["foreign"]:
        pytest.fail(f"requests to hosts other than the server's: {log['foreign']}")
