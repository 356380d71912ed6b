"""A tuner server shared by the browser tests of one worker (the browser: tests/conftest.py)."""

import pytest

from neuntune.ui.testing import open_tuner, running_server


@pytest.fixture(scope="session")
def server_url():
    with running_server() as url:
        yield url


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
