"""Test configuration: headless plotting and shared circuits."""

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")
sys.path.insert(0, str(Path(__file__).parent))

import neuntune as nt


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
