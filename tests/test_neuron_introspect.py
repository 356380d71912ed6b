"""NEURON's own introspection of the loaded mod files and the template: PARAMETERs with
their defaults and units (for sliders), the sections by ``sec_id``, point processes by
BMTool's names."""

from pathlib import Path

import pytest

from neuntune.neuron import CellSpec, NeuronSession, Parameter, PointProcessSpec, Section

DATA = Path(__file__).parent / "data" / "neuron"


@pytest.fixture(scope="module")
def session():
    spec = CellSpec(
        "TwoSectionCell",
        DATA / "templates",
        DATA / "mechanisms",
        PointProcessSpec("dexpsyn", sec_id=1, sec_x=0.25),  # case-insensitive, as BMTool
    )
    with NeuronSession(spec) as s:
        yield s


def test_the_point_process_parameters_come_with_units_and_defaults(session):
    assert session.point_process == "DExpSyn"
    assert session.parameters() == [
        Parameter("tau_rise", 0.5, "ms"),
        Parameter("tau_decay", 3.0, "ms"),
        Parameter("e", 0.0, "mV"),
        Parameter("gmax", 1.0, "uS"),
    ]
    assert session.parameters("GapJ") == [Parameter("g", 0.001, "uS")]  # its POINTER is not one
    # a density mechanism's names carry its suffix
    assert session.parameters("leak") == [
        Parameter("g_leak", 1e-4, "S/cm2"),
        Parameter("e_leak", -70.0, "mV"),
    ]
    assert session.parameters("Exp2Syn")[:2] == [
        Parameter("tau1", 0.1, "ms"),
        Parameter("tau2", 10.0, "ms"),
    ]


def test_the_sections_are_listed_in_all_order(session):
    assert session.templates == ("TwoSectionCell",)
    assert session.sections == (
        Section(0, "soma", 1, 20.0, 20.0),
        Section(1, "dend", 1, 200.0, 2.0),
    )


def test_bmtool_aliases_name_neurons_built_in_synapses():
    spec = CellSpec(
        "TwoSectionCell",
        DATA / "templates",
        DATA / "mechanisms",
        PointProcessSpec("exp2syn", params={"tau2": 5.0}),
    )
    with NeuronSession(spec) as s:
        assert s.point_process == "Exp2Syn"
        assert s.params == {"tau2": 5.0}


def test_an_unknown_mechanism_is_named(session):
    from neuntune.neuron import SpecError

    with pytest.raises(SpecError, match="mechanism = 'Nope': no such mechanism"):
        session.parameters("Nope")
