"""Min/max decimation: what the browser receives keeps every extreme exactly."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from neuntune.ui.decimate import minmax_decimate, minmax_indices

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(y=arrays(np.float64, st.integers(1, 3000), elements=finite), buckets=st.integers(1, 300))
def test_every_bucket_keeps_its_extrema_exactly(y: np.ndarray, buckets: int) -> None:
    keep = minmax_indices(y, buckets)
    assert np.all(np.diff(keep) > 0), "indices sorted, no repeats"
    assert keep[0] == 0 and keep[-1] == len(y) - 1, "first and last sample kept"
    if len(y) <= 2 * buckets:
        np.testing.assert_array_equal(keep, np.arange(len(y)))
    else:
        assert len(keep) <= 2 * buckets + 2
    kept = set(keep.tolist())
    # Whatever the bucket edges, the global extremes survive with their exact values.
    assert y[keep].max() == y.max() and y[keep].min() == y.min()
    if len(y) > 2 * buckets:
        size = -(-len(y) // buckets)
        for start in range(0, len(y), size):
            chunk = y[start : start + size]
            assert start + int(np.argmin(chunk)) in kept
            assert start + int(np.argmax(chunk)) in kept


def test_spiky_trace_keeps_every_peak() -> None:
    t = np.arange(20001) * 0.01
    v = -65.0 + np.zeros_like(t)
    peaks = np.arange(300, 20001, 1337)
    v[peaks] = 40.0 + np.arange(len(peaks))  # single-sample spikes, all different heights
    x, y = minmax_decimate(t, v, points=2000)
    assert len(x) <= 2002
    assert set(np.round(x[y > 0], 6)) == set(np.round(t[peaks], 6))
    np.testing.assert_array_equal(np.sort(y[y > 0]), v[peaks])


def test_short_traces_are_kept_whole() -> None:
    t = np.linspace(0, 1, 50)
    x, y = minmax_decimate(t, np.sin(t), points=2000)
    np.testing.assert_array_equal(x, t)
    np.testing.assert_array_equal(y, np.sin(t))


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="buckets"):
        minmax_indices(np.zeros(10), 0)
    with pytest.raises(ValueError, match="length"):
        minmax_decimate(np.zeros(3), np.zeros(4))
