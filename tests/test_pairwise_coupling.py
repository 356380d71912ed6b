"""Pairwise coupling coefficients of a gap-junction network (nt.pairwise_coupling):
the passive closed form and the conductance matrix, agreement with single
coupling-protocol runs, sampling of the injected cells, and the protocol's rules.

Tolerances.  Passive cells are linear, so the protocol's CC differs from the
conductance-matrix value only by (1) what is left of the transient in the steady
window, at most e^(−0.8·duration/τ) with τ the slowest membrane time constant
cm/gl (the network's slowest mode is faster: junctions only add conductance), (2) the
probe's edges inside the windows (it switches off at the very end of the steady
window; ~2e-9 of the CC, the same in nt.coupling_coefficient) and (3) rounding of
ΔV ≈ 0.01–0.1 mV against V ≈ 65 mV (~1e-12).  RK4's fixed point of a linear system
with constant input is the exact steady state, so the step dt adds nothing.
"""

import math

import numpy as np
import pytest

import neuntune as nt
from neuntune.protocols import coupling

AREA = 7.854e-3  # cm², Passive's default
DURATION = 500.0  # ms, the protocol's default step
PROBE = -1e-3  # µA: see test_the_batch_equals_single_protocol_runs_of_the_same_cells


def passive_network(n: int, g: float) -> nt.Circuit:
    c = nt.Circuit()
    c.add("p", nt.Passive(), n=n)
    c.connect("p", "p", nt.GapJunction(g=g), rule=nt.AllToAll(), name="gap")
    return c


def conductance_matrix(
    leak: dict[str, np.ndarray],
    junctions: list[tuple[str, np.ndarray, str, np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, dict[str, int]]:
    """G (mS) of cells with leak conductances ``leak`` (per population) joined by
    ``junctions`` (pre population, pre members, post population, post members, g):
    G_kk = g_L,k + Σ g over k's junctions, G_kl = −g_kl.  At steady state G·ΔV = ΔI."""
    offset, at = {}, 0
    for name, values in leak.items():
        offset[name] = at
        at += len(values)
    G = np.diag(np.concatenate(list(leak.values())))
    for pre, i, post, j, g in junctions:
        a, b = i + offset[pre], j + offset[post]
        np.add.at(G, (a, a), g)
        np.add.at(G, (b, b), g)
        np.add.at(G, (a, b), -g)
        np.add.at(G, (b, a), -g)
    return G, offset


def test_a_uniform_all_to_all_passive_network_gives_g_over_gl_plus_g_for_every_pair():
    """With a probe into cell s, the other N − 1 cells are alike by symmetry and pass no
    current among themselves; each balances its leak against its junction to s:
    G_L·V_o = g·(V_s − V_o), so CC = g/(G_L + g) whatever N — as for a pair.  The
    conductance matrix says the same.  τ = cm/gl = 10 ms: the transient left in the
    steady window is e^−40; 1e-7 is a safe bound over the ~2e-9 of the probe's edges."""
    n, g = 8, 2e-4
    leak = 0.1 * AREA
    result = nt.pairwise_coupling(passive_network(n, g), "gap", max_sources=None)
    assert len(result.i) == n * (n - 1) // 2  # each unordered pair once
    assert len(result.values) == n * (n - 1)  # both directions of each
    assert not result.sampled
    closed = g / (leak + g)
    np.testing.assert_allclose(result.values, closed, rtol=1e-7)
    # the same from the linear system
    i, j = np.triu_indices(n, 1)
    G, _ = conductance_matrix({"p": np.full(n, leak)}, [("p", i, "p", j, np.full(len(i), g))])
    Z = np.linalg.inv(G)  # ΔV = Z·ΔI
    np.testing.assert_allclose(Z[j, i] / Z[i, i], closed, rtol=1e-12)
    np.testing.assert_allclose(
        result.forward, Z[result.j, result.i] / Z[result.i, result.i], rtol=1e-7
    )
    # for passive cells the passive-pair estimate is exact here
    np.testing.assert_allclose(result.passive, closed, rtol=1e-12)
    assert result.mean == pytest.approx(closed, rel=1e-7)


def test_a_heterogeneous_passive_network_matches_the_conductance_matrix():
    """Two populations of passive cells with their own leaks and rests, joined at random
    by junctions of different g (and a second junction population inside one of them).
    CC(s → t) = Z_ts/Z_ss with Z = G⁻¹.  The slowest leak, gl = 0.05 mS/cm², gives
    τ ≤ 20 ms, so the transient left is below e^(−0.8·500/20) = 2e-9: 1e-7 holds."""
    c = nt.Circuit()
    c.add("a", nt.Passive(), n=5)
    c.add("b", nt.Passive(area=2 * AREA), n=6)
    c.set("a.gl", nt.Uniform(0.05, 0.2, seed=2))
    c.set("b.gl", nt.Uniform(0.05, 0.2, seed=3))
    c.set("a.el", nt.Uniform(-70.0, -60.0, seed=4))  # currents flow at rest: still linear
    c.connect("a", "b", nt.GapJunction(g=1e-4), rule=nt.FixedProbability(0.5, seed=5), name="ab")
    c.set("ab.g", nt.Uniform(5e-5, 4e-4, seed=6))
    c.connect("b", "b", nt.GapJunction(g=1e-4), rule=nt.FixedProbability(0.4, seed=7), name="bb")
    tau = max(float(np.max(1.0 / c.get(f"{p}.gl"))) for p in "ab")  # cm 1 µF/cm²
    assert math.exp(-0.8 * DURATION / tau) <= 2.1e-9

    leak = {p: c.get(f"{p}.gl") * c.get(f"{p}.area") for p in "ab"}
    junctions = []
    for name, conn in c.connections.items():
        i, j = c.pairs(name)
        g = np.broadcast_to(c.get(f"{name}.g"), len(i))
        junctions.append((conn.pre, i, conn.post, j, g))
    G, offset = conductance_matrix(leak, junctions)
    Z = np.linalg.inv(G)

    for name in ("ab", "bb"):
        result = nt.pairwise_coupling(c, name, max_sources=None)
        conn = c.connections[name]
        a = result.i + offset[conn.pre]
        b = result.j + offset[conn.post]
        assert len(result.i) == c.size(name) and np.all(np.isfinite(result.forward))
        np.testing.assert_allclose(result.forward, Z[b, a] / Z[a, a], rtol=1e-7)
        np.testing.assert_allclose(result.backward, Z[a, b] / Z[b, b], rtol=1e-7)
        # the passive-pair estimate ignores the rest of the network: not the same
        g = np.broadcast_to(c.get(f"{name}.g"), c.size(name))
        np.testing.assert_allclose(
            result.passive_forward, g / (leak[conn.post][result.j] + g), rtol=1e-12
        )


def test_the_batch_equals_single_protocol_runs_of_the_same_cells():
    """Five Wang–Buzsáki cells at rest (active: their slope conductance is not gl), with
    different leaks and junctions, as a population and as five single cells joined pair
    by pair.  nt.coupling_coefficient on the single cells runs the same protocol one
    probe at a time.  They start from the same resting state (bit for bit) and differ
    only in the batch keeping one sample in 20 of the settled response (its window
    means move by ~1e-14 mV).  What limits agreement is rounding: the target's ΔV is a
    small difference of two means near −64 mV.  With BMTool's −1e-5 µA into these
    1 cm² cells ΔV_target is only 3e-6 mV (rounding ~5e-9 of it), so this test probes
    with −1e-3 µA (ΔV_target ≈ 3e-4 mV, still a linear response): rounding is then
    ~5e-11 of the CC and 1e-8 is a safe bound."""
    n = 5
    gl = np.array([0.08, 0.1, 0.12, 0.09, 0.11])
    pop = nt.Circuit()
    pop.add("wb", nt.WangBuzsaki(area=1.0), n=n)
    pop.set("wb.gl", gl)
    pop.connect("wb", "wb", nt.GapJunction(g=1e-3), rule=nt.AllToAll(), name="gap")
    i, j = pop.pairs("gap")
    g = 1e-3 * (1.0 + 0.5 * np.arange(len(i)) / len(i))
    pop.set("gap.g", g)
    pop.stimulate("wb", nt.Constant(amplitude=0.6))  # removed by the protocol
    result = nt.pairwise_coupling(pop, "gap", max_sources=None, amplitude=PROBE)

    single = nt.Circuit()
    for k in range(n):
        single.add(f"c{k}", nt.WangBuzsaki(area=1.0, gl=float(gl[k])))
    for a, b, value in zip(i, j, g, strict=True):
        single.connect(f"c{a}", f"c{b}", nt.GapJunction(g=float(value)))
    pairs = [(0, 1), (1, 3), (2, 4)]
    for a, b in pairs:
        k = int(np.flatnonzero((result.i == a) & (result.j == b))[0])
        forward = nt.coupling_coefficient(single, f"c{a}", f"c{b}", amplitude=PROBE)
        backward = nt.coupling_coefficient(single, f"c{b}", f"c{a}", amplitude=PROBE)
        assert result.forward[k] == pytest.approx(forward, rel=1e-8)
        assert result.backward[k] == pytest.approx(backward, rel=1e-8)
    # An active cell at rest conducts less than its leak here (the sodium window
    # current): the CC is above the passive-pair estimate.
    assert np.all(result.values > result.passive)


def test_a_large_population_injects_a_seeded_sample_of_its_members():
    n = 30
    c = passive_network(n, 1e-4)
    first = nt.pairwise_coupling(c, "gap", max_sources=4, seed=1)
    again = nt.pairwise_coupling(c, "gap", max_sources=4, seed=1)
    other = nt.pairwise_coupling(c, "gap", max_sources=4, seed=2)
    assert first.sampled and first.members == {"p": n}
    injected = first.injected["p"]
    assert len(injected) == 4 and len(set(injected.tolist())) == 4
    np.testing.assert_array_equal(injected, again.injected["p"])
    np.testing.assert_array_equal(first.values, again.values)
    assert not np.array_equal(injected, other.injected["p"])
    # each injected member gives the CC towards all its n − 1 partners
    assert len(first.values) == 4 * (n - 1)
    measured = np.isfinite(first.forward)
    assert set(first.i[measured].tolist()) <= set(injected.tolist())
    assert set(first.j[np.isfinite(first.backward)].tolist()) <= set(injected.tolist())
    # every pair kept touches an injected member
    touches = np.isin(first.i, injected) | np.isin(first.j, injected)
    assert touches.all()


def test_a_member_that_fires_during_the_protocol_is_an_error():
    c = nt.Circuit()
    c.add("wb", nt.WangBuzsaki(area=1.0), n=3)
    c.connect("wb", "wb", nt.GapJunction(g=1e-3), rule=nt.AllToAll(), name="gap")
    with pytest.raises(ValueError, match=r"wb\[\d\] fired during the coupling protocol"):
        nt.pairwise_coupling(c, "gap", amplitude=2.0)  # a depolarising probe of 2 µA/cm²


def test_cancelling_stops_the_run():
    calls = []

    def progress(fraction: float) -> bool:
        calls.append(fraction)
        return fraction > 0.1

    with pytest.raises(nt.CancelledError):
        nt.pairwise_coupling(passive_network(4, 1e-4), "gap", progress=progress)
    assert calls[0] == 0.0


def test_bad_arguments_are_named_before_any_run(monkeypatch):
    def must_not_run(*args, **kwargs):
        raise AssertionError("simulated before checking the arguments")

    monkeypatch.setattr(coupling, "simulate", must_not_run)
    monkeypatch.setattr(coupling, "simulate_batch", must_not_run)
    c = passive_network(3, 1e-4)
    c.add("src", nt.SpikeSource(times=[1.0]))
    c.connect("src", "p", nt.ExpSynapse(), rule=nt.AllToAll(), name="syn")
    with pytest.raises(ValueError, match=r"no connection named 'zz' \(gap junctions: gap\)"):
        nt.pairwise_coupling(c, "zz")
    with pytest.raises(ValueError, match="'syn' is a ExpSynapse, not a gap junction"):
        nt.pairwise_coupling(c, "syn")
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="max_sources"):
            nt.pairwise_coupling(c, "gap", max_sources=bad)
    with pytest.raises(ValueError, match="zero probe"):
        nt.pairwise_coupling(c, "gap", amplitude=0.0)
