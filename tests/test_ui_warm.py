"""The tabs' kernels compile in a child process once per preset and server process."""

from __future__ import annotations

from neuntune import presets
from neuntune.ui import warm


def test_a_preset_compiled_by_a_child_starts_no_second_child(monkeypatch) -> None:
    monkeypatch.setattr(warm, "_compiled", set())  # not what other tests' sessions did
    preset = presets.load("hh_gap_pair")
    child = warm.start(preset, "rk4", live=False)
    assert child is not None
    assert warm.wait(child) == 0
    assert warm.start(preset, "rk4", live=False) is None
    # Another method is another set of kernels.
    other = warm.start(preset, "euler", live=False)
    assert other is not None
    other.terminate()
    # A child stopped before the end (its preset closed) compiled nothing for sure.
    assert warm.wait(other) != 0
    again = warm.start(preset, "euler", live=False)
    assert again is not None
    again.terminate()
    warm.wait(again)
