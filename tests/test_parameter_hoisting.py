"""Parameter-only subexpressions (neuntune.engine.hoisting.parameter_only) are computed
once per run, in ``setup``, not at every stage: the generated source says so, and the
trajectories are those of the same model computing them at every stage."""

import ast
import re

import numpy as np
import pytest

import neuntune as nt
from neuntune.bundled import hh_gap_pair
from neuntune.engine.codegen import generate_network
from neuntune.engine.groups import NetworkLayout
from neuntune.engine.hoisting import parameter_only
from neuntune.models.equations import parse_equations
from neuntune.models.neurons.hh import TEXTBOOK_EQUATIONS


def model(text: str) -> type[nt.Neuron]:
    class UserHH(nt.Neuron):
        parameters = dict(nt.HH.parameters)
        states = dict(nt.HH.states)
        equations = text

    return UserHH


def pair(cls: type[nt.Neuron]) -> nt.Circuit:
    circuit = hh_gap_pair()
    for name, cell in circuit.neurons.items():
        circuit.neurons[name] = cls(**{k: v for k, v in cell.values.items() if v is not None})
    return circuit


def function(source: str, name: str) -> str:
    """The text of generated function ``name``."""
    start = source.index(f"def {name}(")
    end = source.find("\n@njit", start)
    return source[start : end if end >= 0 else len(source)]


def test_parameter_only_finds_the_largest_subtrees_and_reciprocals():
    eqs = parse_equations("""
        k = a*b
        r = where(v > c + 1, x/(a + b), -a)
        dx/dt = (I_in/area - a*b*x)/cm + 2*pi*x/c + exp(-v/c) - 3/10*x
    """)  # fmt: skip
    once = parameter_only(eqs, {"a", "b", "c", "cm", "area", "k"}, {"k"})
    found = {ast.unparse(e) for e in once.values()}
    # bare names, a negation, constants and k (an intermediate of its own) stay
    assert found == {"c + 1", "1.0 / (a + b)", "1.0 / area", "a * b", "1.0 / cm", "1.0 / c"}
    assert all(re.fullmatch(r"\d+p", name) for name in once)


@pytest.mark.parametrize("precision", ["float64", "float32"])
def test_textbook_division_by_cm_and_area_happens_once_per_run(precision):
    circuit = pair(model(TEXTBOOK_EQUATIONS))
    layout = NetworkLayout(circuit)
    source = generate_network(layout, "rk4", precision, "step")
    slot = layout.cells[0].slot
    cm, area = f"c0_p{slot.params['cm']}", f"c0_p{slot.params['area']}"
    setup, kernel = function(source, "setup"), function(source, "kernel")
    # setup computes 1/cm and 1/area into derived rows; no stage divides by a parameter
    for p in (cm, area):
        assert re.search(rf"c0_d(\d+) = \(K\d+ / {p}\)\n\s+D_c0\[\1, i\] = c0_d\1", setup)
    assert not re.search(r"/ c0_p\d+", kernel)
    for name in ("cm", "area"):  # nor even reads cm or area
        assert f"P_c0[{slot.params[name]}, i]" not in kernel
    assert not re.search(r"/ c0_p\d+", function(source, "derivs"))
    # the stages read them (once per stage: dv/dt's slope uses both)
    assert kernel.count("c0_d") > 0 and "D_c0[" in kernel
    # a float32 module computes them in float32: its constants are F(...)
    assert f"F = np.{precision}" in source


@pytest.mark.parametrize("precision", ["float64", "float32"])
def test_hoisted_values_give_the_trajectories_of_per_stage_division(precision):
    """Against the same model dividing at every stage (``cm + 0*v`` reads the state, so
    nothing about it is hoisted), in a batch whose members differ in cm and area."""
    per_stage = TEXTBOOK_EQUATIONS.replace("/area", "/(area + 0*v)").replace(
        "/cm\n", "/(cm + 0*v)\n"
    )
    assert per_stage.count("0*v") == 2
    hoisted, divided = pair(model(TEXTBOOK_EQUATIONS)), pair(model(per_stage))
    layout = NetworkLayout(divided)
    source = generate_network(layout, "rk4", precision, "step")
    row = layout.cells[0].slot.params["cm"]
    assert f"P_c0[{row}, i]" in function(source, "kernel")  # its stages read cm
    values = {"a.cm": np.array([0.8, 1.0, 1.3]), "b.area": np.array([5e-3, 7.854e-3, 1e-2])}
    runs = [
        nt.simulate_batch(c, values, 30.0, 0.01, "rk4", precision=precision, workers=1)
        for c in (hoisted, divided)
    ]
    # float64: rounding (3e-12 mV measured); float32: its rounding grown over 3 spikes
    tolerance = 1e-10 if precision == "float64" else 5e-3
    for a, b in zip(*runs, strict=True):
        for cell in ("a", "b"):
            assert np.max(np.abs(a.v[cell] - b.v[cell])) < tolerance
    assert np.ptp([np.max(r.v["a"]) for r in runs[0]]) > 0  # the members really differ
