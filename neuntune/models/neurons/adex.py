"""Adaptive exponential integrate-and-fire neuron (Brette & Gerstner 2005)."""

from collections.abc import Mapping

from ..declarations import Parameter, State
from ..kinds import Neuron
from ..registry import register


def _positive(default: float, unit: str, doc: str, low: float, high: float) -> Parameter:
    """A strictly positive parameter on a log slider."""
    return Parameter(
        default, unit, doc, minimum=0, exclusive_minimum=True, scale="log", ui_range=(low, high)
    )


@register
class AdEx(Neuron):
    """Adaptive exponential integrate-and-fire model (Brette & Gerstner 2005,
    J Neurophysiol 94:3637), with Brian2's names::

        C·dv/dt = gL·(EL − v) + gL·DeltaT·exp((v − VT)/DeltaT) − w + I_in
        tauw·dw/dt = a·(v − EL) − w
        when v reaches Vcut:  v ← Vr,  w ← w + b

    neuntune's units throughout: v in mV, t in ms, C in µF, gL and a in mS, w, b
    and the input I_in in µA (mS·mV = µA, µA/µF = mV/ms).  The defaults are the
    paper's (and Brian2's ``frompapers/Brette_Gerstner_2005`` example): C 281 pF
    (2.81e-4 µF), gL 30 nS (3e-5 mS), EL −70.6 mV, VT −50.4 mV, DeltaT 2 mV, tauw
    144 ms, a 4 nS (4e-6 mS), b 0.0805 nA (8.05e-5 µA), Vr = EL, with Brian2's
    cut-off Vcut = VT + 5·DeltaT = −40.4 mV; the paper's 1 nA step is
    ``Step(amplitude=1e-3)``.  v starts at EL and w at 0, as in the example.

    The reset is applied exactly at the interpolated crossing of Vcut (Brian2
    resets after the step in which v > Vcut).  ``tau_ref`` (default 0, none, as
    in Brian2's examples) holds v at Vr for that long after each reset, while w
    keeps evolving (BrainPy's ``AdExIFRef``).
    """

    parameters = {
        "C": _positive(2.81e-4, "uF", "membrane capacitance", 1e-5, 1e-2),
        "gL": _positive(3e-5, "mS", "leak conductance", 1e-6, 1e-3),
        "EL": Parameter(-70.6, "mV", "leak reversal potential", ui_range=(-90.0, -40.0)),
        "VT": Parameter(-50.4, "mV", "threshold slope factor's midpoint", ui_range=(-70.0, -30.0)),
        "DeltaT": _positive(2.0, "mV", "slope factor (sharpness of spike onset)", 0.1, 10.0),
        "tauw": _positive(144.0, "ms", "adaptation time constant", 1.0, 1000.0),
        "a": Parameter(4e-6, "mS", "subthreshold adaptation", ui_range=(-1e-5, 1e-4)),
        "b": Parameter(8.05e-5, "uA", "spike-triggered adaptation increment", ui_range=(0.0, 5e-4)),
        "Vr": Parameter(-70.6, "mV", "reset potential", ui_range=(-90.0, -30.0)),
        "Vcut": Parameter(-40.4, "mV", "cut-off where the reset happens", ui_range=(-50.0, 20.0)),
        "tau_ref": Parameter(
            0.0, "ms", "refractory period (v held at Vr)", minimum=0, ui_range=(0.0, 10.0)
        ),
    }
    states = {
        "v": State(-70.6, "mV", "membrane potential"),
        "w": State(0.0, "uA", "adaptation current"),
    }
    equations = """
        dv/dt = (gL*(EL - v) + gL*DeltaT*exp((v - VT)/DeltaT) - w + I_in)/C
        dw/dt = (a*(v - EL) - w)/tauw
    """
    reset = "Vcut"
    refractory = "tau_ref"
    on_spike = """
        v = Vr
        w += b
    """

    @classmethod
    def relation_problem(cls, values: Mapping[str, float | None]) -> str | None:
        reset, cut = values["Vr"], values["Vcut"]
        if reset is not None and cut is not None and reset >= cut:
            return (
                f"the reset potential Vr = {reset:g} mV must lie below the cut-off "
                f"Vcut = {cut:g} mV (a reset at or above it cannot end a spike)"
            )
        return None
