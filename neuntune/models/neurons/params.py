"""Parameter declarations shared by the conductance-based cell models."""

from ..declarations import Parameter, State


def capacitance(default: float = 1.0) -> Parameter:
    """Specific membrane capacitance in µF/cm² (> 0)."""
    return Parameter(
        default, "uF/cm2", "membrane capacitance", minimum=0, exclusive_minimum=True,
        ui_range=(0.1, 5.0),
    )  # fmt: skip


def conductance(default: float, doc: str, ui_max: float) -> Parameter:
    """A maximal conductance density in mS/cm² (≥ 0)."""
    return Parameter(default, "mS/cm2", doc, minimum=0, ui_range=(0.0, ui_max))


def reversal(default: float, doc: str, ui_range: tuple[float, float]) -> Parameter:
    """A reversal potential in mV."""
    return Parameter(default, "mV", doc, ui_range=ui_range)


def area(default: float, ui_max: float = 1e-1) -> Parameter:
    """Membrane area in cm² (> 0): converts the densities to absolute µF and mS."""
    return Parameter(
        default, "cm2", "membrane area", minimum=0, exclusive_minimum=True, scale="log",
        ui_range=(1e-6, ui_max),
    )  # fmt: skip


def temperature() -> dict[str, Parameter]:
    """``celsius`` and ``q10``: rates scale by q10^((celsius − 6.3)/10), NEURON's hh
    convention, which is 1 at the default 6.3 °C."""
    return {
        "celsius": Parameter(
            6.3, "degC", "temperature", minimum=-10, maximum=50, ui_range=(0.0, 40.0)
        ),
        "q10": Parameter(
            3.0, "1", "rate change per 10 °C", minimum=1, maximum=10, ui_range=(1.0, 5.0)
        ),
    }


def gate(rate: str, doc: str) -> State:
    """A gating variable (dimensionless, in [0, 1]) that starts at its steady state
    α/(α + β) for v0; ``rate`` names its rates (``"m"``: ``am`` and ``bm``)."""
    return State(f"a{rate}/(a{rate} + b{rate})", "1", doc, minimum=0, maximum=1)
