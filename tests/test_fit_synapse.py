"""Fitting chemical-synapse parameters: recovery of known values, identifiability."""

import numpy as np
import pytest

import neuntune as nt
from neuntune.fit.synapse import fit_synapse
from neuntune.protocols.train import SynapseEvaluator, SynapseProtocol

TRUE = dict(tau_r=0.5, tau_d=6.0, g=2e-6, Use=0.3, Dep=150.0, Fac=40.0)


@pytest.fixture(scope="module")
def setup():
    c = nt.Circuit()
    c.add("pre", nt.SpikeSource([10.0]))
    c.add("post", nt.Passive(area=2e-5))  # a small cell: nS synapses give pA and mV
    stp = nt.TsodyksMarkram(Use=0.3, Dep=150.0, Fac=40.0)
    c.connect("pre", "post", nt.Exp2Synapse(tau_r=0.5, tau_d=6.0, g=2e-6, plasticity=stp),
              name="syn")  # fmt: skip
    protocol = SynapseProtocol(frequencies=(20.0, 50.0))
    wanted = [("peak", 20.0), ("rise", 20.0), ("decay", 20.0)] + [
        (m, f) for f in (20.0, 50.0) for m in ("paired_pulse_ratio", "induction", "recovery")
    ]
    values = {f"syn.{k}": np.array([v]) for k, v in TRUE.items()}
    measured = SynapseEvaluator(c, "syn", protocol).metrics(values, wanted)[0][0]
    targets = {f"{m}@{f:g}": v for (m, f), v in zip(wanted, measured, strict=True)}
    return c, protocol, targets


def test_recovers_known_parameters_from_a_synthetic_target(setup):
    """Use < 1 and trains at two frequencies make the STP parameters identifiable."""
    circuit, protocol, targets = setup
    bounds = {"tau_r": (0.1, 2.0), "tau_d": (1.0, 20.0), "Use": (0.05, 0.9), "Fac": (5.0, 200.0)}
    fit = fit_synapse(circuit, "syn", targets, bounds, protocol=protocol, maxiter=12, popsize=8)
    for name, value in fit.params.items():
        assert value == pytest.approx(TRUE[name], rel=0.02), (name, fit.params)
    assert fit.unconstrained == []
    for metric, (goal, achieved) in fit.table.items():
        assert achieved == pytest.approx(goal, rel=1e-3, abs=1e-9), metric
    assert fit.loss < 1e-6 and fit.n_sims > 0
    assert circuit.get("syn.tau_d") == 6.0  # not applied


def test_reports_parameters_the_targets_do_not_constrain(setup):
    """From the first response's shape alone, facilitation cannot be seen."""
    circuit, protocol, targets = setup
    shape = {k: v for k, v in targets.items() if k.split("@")[0] in ("peak", "rise", "decay")}
    bounds = {"tau_d": (1.0, 20.0), "Fac": (5.0, 200.0)}
    fit = fit_synapse(circuit, "syn", shape, bounds, protocol=protocol, maxiter=5, popsize=6)
    assert fit.params["tau_d"] == pytest.approx(6.0, rel=0.02)
    assert fit.unconstrained == ["Fac"]


def test_is_reproducible_with_a_seed(setup):
    circuit, protocol, targets = setup
    bounds = {"tau_d": (1.0, 20.0)}
    one = fit_synapse(circuit, "syn", {"decay@20": targets["decay@20"]}, bounds,
                      protocol=protocol, maxiter=3, popsize=5, seed=3)  # fmt: skip
    two = fit_synapse(circuit, "syn", {"decay@20": targets["decay@20"]}, bounds,
                      protocol=protocol, maxiter=3, popsize=5, seed=3)  # fmt: skip
    assert one.params == two.params and one.n_sims == two.n_sims


def test_bad_requests(setup):
    circuit, protocol, _ = setup
    with pytest.raises(ValueError, match="unknown metric 'amplitude'"):
        fit_synapse(circuit, "syn", {"amplitude": 1.0}, {"g": (1e-7, 1e-5)}, protocol=protocol)
    with pytest.raises(ValueError, match="asks for 10 Hz"):
        fit_synapse(circuit, "syn", {"ppr@10": 1.0}, {"g": (1e-7, 1e-5)}, protocol=protocol)
    with pytest.raises(ValueError, match="no parameter 'gmax'"):
        fit_synapse(circuit, "syn", {"peak": 1.0}, {"gmax": (1e-7, 1e-5)}, protocol=protocol)
    with pytest.raises(ValueError, match="0 < low < high"):
        fit_synapse(circuit, "syn", {"peak": 1.0}, {"g": (1e-5, 1e-7)}, protocol=protocol)


def test_fits_a_recorded_trace(setup):
    """A 'recorded' PSC train (the synthetic truth sampled every 0.1 ms, as from an
    amplifier) pins the kinetics and release without any metric."""
    circuit, protocol, _ = setup
    evaluator = SynapseEvaluator(circuit, "syn", protocol)
    times = np.arange(40.0, 700.0, 0.1)
    truth = {f"syn.{k}": np.array([v]) for k, v in TRUE.items()}
    recorded = evaluator.metrics(truth, [], times)[1][0]
    bounds = {"tau_d": (1.0, 20.0), "Use": (0.05, 0.9)}
    fit = fit_synapse(circuit, "syn", {}, bounds, protocol=protocol, trace=(times, recorded),
                      maxiter=8, popsize=6)  # fmt: skip
    assert fit.params["tau_d"] == pytest.approx(6.0, rel=0.02)
    assert fit.params["Use"] == pytest.approx(0.3, rel=0.02)
    with pytest.raises(ValueError, match="times increasing"):
        fit_synapse(circuit, "syn", {}, bounds, protocol=protocol, trace=(times[::-1], recorded))


def _pair():
    c = nt.Circuit()
    c.add("pre", nt.SpikeSource([10.0]))
    c.add("post", nt.Passive(area=2e-5))
    c.connect("pre", "post", nt.Exp2Synapse(g=2e-6), name="syn")
    return c


@pytest.mark.parametrize(
    "fields, error, message",
    [
        ({"pulses": 0}, ValueError, r"protocol\.pulses: 0 is not allowed; at least 2"),
        ({"pulses": 2.5}, TypeError, r"protocol\.pulses: expected a whole number ≥ 2, got 2\.5"),
        ({"recovery_pulses": -1}, ValueError, r"protocol\.recovery_pulses: -1 is not allowed"),
        ({"dt": -1}, ValueError, r"protocol\.dt: -1 is not allowed; a finite number > 0 \(ms\)"),
        ({"tail": float("nan")}, ValueError, r"protocol\.tail: nan is not allowed"),
        ({"start": -5.0}, ValueError, r"protocol\.start: -5 ms is not allowed; ≥ 0 ms"),
        ({"frequencies": ()}, ValueError, r"protocol\.frequencies: give at least one"),
        ({"frequencies": ("a",)}, TypeError, r"protocol\.frequencies\[0\]: expected a number"),
        ({"frequencies": (-20.0,)}, ValueError, r"protocol\.frequencies: -20 Hz is not allowed"),
        ({"frequencies": (1e5,)}, ValueError, r"at 100000 Hz the pulses are 0\.01 ms apart"),
        ({"clamp": "x"}, TypeError, r"protocol\.clamp: expected a number in mV"),
        ({"method": "rk5"}, ValueError, r"protocol\.method: 'rk5' is not one of euler"),
    ],
)
def test_a_bad_protocol_field_is_named(fields, error, message):
    with pytest.raises(error, match=message):
        SynapseProtocol(**fields)


def test_protocol_frequencies_become_floats():
    assert SynapseProtocol(frequencies=[20, 50]).frequencies == (20.0, 50.0)
    assert SynapseProtocol(frequencies=20).frequencies == (20.0,)


@pytest.mark.parametrize(
    "targets, params, weights, error, message",
    [
        ({"peak": float("nan")}, {"g": (1e-7, 1e-5)}, None, ValueError,
         r"targets\['peak'\]: nan is not allowed; a finite number"),
        ({"peak": "a"}, {"g": (1e-7, 1e-5)}, None, TypeError,
         r"targets\['peak'\]: expected a number .*, got 'a'"),
        ({"peak": 1.0}, {"g": 5}, None, TypeError,
         r"params\['g'\]: expected \(low, high\) bounds, got 5"),
        ({"peak": 1.0}, {"g": ("a", 1.0)}, None, TypeError,
         r"params\['g'\]: expected a number in mS, got 'a'"),
        ({"peak": 1.0}, {"g": (1e-7, 1e-5)}, {"peek": 2.0}, ValueError,
         r"weights\['peek'\]: no target of that name"),
        ({"peak": 1.0}, {"g": (1e-7, 1e-5)}, {"peak": -1.0}, ValueError,
         r"weights\['peak'\]: -1\.0 is not allowed; a weight is ≥ 0"),
        ([("peak", 1.0)], {"g": (1e-7, 1e-5)}, None, TypeError,
         r"targets: expected a mapping"),
    ],
)  # fmt: skip
def test_bad_targets_params_and_weights_are_named_before_any_run(
    monkeypatch, targets, params, weights, error, message
):
    def must_not_run(*args, **kwargs):
        raise AssertionError("the fit simulated before checking its arguments")

    monkeypatch.setattr("neuntune.protocols.train.simulate_batch", must_not_run)
    with pytest.raises(error, match=message):
        fit_synapse(_pair(), "syn", targets, params, weights=weights)
