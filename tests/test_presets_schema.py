"""The JSON Schema is generated from the model declarations and agrees with the loader."""

import json

import jsonschema
import pytest

import neuntune as nt
from neuntune.models.registry import _REGISTRY
from neuntune.presets import SCHEMA_VERSION, from_dict, locate
from neuntune.presets.document import element_to_json
from neuntune.presets.schema import schema


def test_the_schema_is_valid_and_covers_every_registered_model():
    s = schema()
    jsonschema.Draft202012Validator.check_schema(s)
    for name in _REGISTRY:
        assert f"model.{name}" in s["$defs"], name
    hh = s["$defs"]["model.HH"]["properties"]["parameters"]["properties"]
    assert hh["gna"]["properties"]["unit"]["enum"][0] == "mS/cm2"
    assert "maximal sodium conductance" in hh["gna"]["description"]
    (m0,) = hh["m0"]["anyOf"]  # a gate's initial value: null (steady state) or in [0, 1]
    assert m0["properties"]["value"] == {"type": ["number", "null"], "minimum": 0, "maximum": 1}


def test_a_registered_user_model_appears_in_the_schema(monkeypatch):
    class Leaky(nt.Neuron):
        parameters = {
            "tau": nt.Parameter(10.0, "ms", "time constant", minimum=0, exclusive_minimum=True)
        }
        states = {"v": nt.State(0.0, "mV", "voltage")}
        equations = "dv/dt = I_in - v/tau"

    monkeypatch.setitem(_REGISTRY, "Leaky", Leaky)
    s = schema()
    tau = s["$defs"]["model.Leaky"]["properties"]["parameters"]["properties"]["tau"]
    assert tau["properties"]["value"]["exclusiveMinimum"] == 0.0
    assert "Leaky" in s["$defs"]["neuron"]["properties"]["model"]["enum"]


def document(celsius):
    return {
        "schema": SCHEMA_VERSION,
        "metadata": {"name": "x"},
        "neurons": [
            {
                "name": "a",
                **element_to_json(nt.HH()),
                "parameters": {**element_to_json(nt.HH())["parameters"], "celsius": celsius},
            }
        ],
    }


@pytest.mark.parametrize(
    "celsius, valid",
    [
        ({"value": 36.0, "unit": "degC"}, True),
        ({"value": 60.0, "unit": "degC"}, False),  # above the declared maximum
        ({"value": 36.0, "unit": "K"}, False),  # not a unit the table knows
        ({"value": "36", "unit": "degC"}, False),
        ({"value": 36.0}, False),
    ],
)
def test_schema_and_loader_agree_on_values(celsius, valid):
    doc = document(celsius)
    schema_ok = jsonschema.Draft202012Validator(schema()).is_valid(doc)
    try:
        from_dict(doc)
        loader_ok = True
    except nt.PresetError:
        loader_ok = False
    assert schema_ok == loader_ok == valid


def test_bounds_are_converted_to_each_unit():
    """A bound given in the declared unit holds in every unit the value may be written in."""
    s = schema()
    area = s["$defs"]["model.Passive"]["properties"]["parameters"]["properties"]["area"]
    assert set(area["properties"]["unit"]["enum"]) == {"cm2", "m2", "mm2", "um2"}
    doc = json.loads(locate("bmtool_gap_cc").read_text())
    doc["neurons"][0]["parameters"]["area"] = {"value": 2000.0, "unit": "um2"}
    jsonschema.Draft202012Validator(s).validate(doc)
    assert from_dict(doc).circuit.get("a.area") == 2e-5
