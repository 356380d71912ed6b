"""Test configuration: headless plotting and shared circuits."""

import os
import sys
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

os.environ.setdefault("MPLBACKEND", "Agg")
sys.path.insert(0, str(Path(__file__).parent))

import neuntune as nt
from neuntune.ui.testing import launch_chromium


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, one per worker (Playwright keeps an event loop running in the
    main thread while it is open: asyncio tests run theirs in a thread)."""
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)  # missing browser: an error, not a skip
        yield chromium
        chromium.close()


@pytest.fixture
def hh_pair() -> nt.Circuit:
    """The Neun docs' two-cell example with a positive (pulling-together) junction."""
    c = nt.Circuit()
    c.add("a", nt.HH(v0=-75.0))
    c.add("b", nt.HH(v0=-65.0))
    c.connect("a", "b", nt.GapJunction(g=0.002), name="gj")
    c.stimulate("a", nt.Constant(amplitude=0.1))
    c.stimulate("b", nt.Constant(amplitude=0.08))
    return c


@pytest.fixture
def passive_pair() -> nt.Circuit:
    c = nt.Circuit()
    c.add("a", nt.Passive())
    c.add("b", nt.Passive())
    c.connect("a", "b", nt.GapJunction(g=1e-4), name="gj")
    return c
