"""Train of rectangular current pulses, with an optional recovery train."""

from ..declarations import Parameter
from ..kinds import Stimulus
from ..registry import register
from .params import amplitude, time


@register
class PulseTrain(Stimulus):
    """``count`` pulses of ``amplitude`` (µA) and ``width`` (ms) at ``frequency`` (Hz)
    from ``start``; then, ``gap`` ms after the last pulse's onset, ``recovery_count``
    more at the same frequency (BMTool's protocol: 8 pulses at 50 Hz, 4 more 250 ms
    later).  ``recovery_count = 0`` gives a plain train.
    """

    parameters = {
        "amplitude": amplitude(0.5),
        "start": time(50.0, "onset of the first pulse"),
        "frequency": Parameter(
            50.0,
            "Hz",
            "pulse frequency",
            minimum=0,
            exclusive_minimum=True,
            scale="log",
            ui_range=(1.0, 200.0),
        ),
        "width": Parameter(
            1.0, "ms", "pulse width", minimum=0, exclusive_minimum=True, ui_range=(0.1, 10.0)
        ),
        "count": Parameter(8.0, "1", "pulses in the train", minimum=0, ui_range=(0.0, 20.0)),
        "gap": time(250.0, "from the last pulse's onset to the first recovery pulse"),
        "recovery_count": Parameter(
            4.0, "1", "pulses in the recovery train", minimum=0, ui_range=(0.0, 20.0)
        ),
    }
    equations = """
        period = 1000/frequency
        k1 = floor((t - start)/period)
        on1 = t >= start and k1 < count and t - start - k1*period < width
        start2 = start + (count - 1)*period + gap
        k2 = floor((t - start2)/period)
        on2 = t >= start2 and k2 < recovery_count and t - start2 - k2*period < width
        I = where(on1 or on2, amplitude, 0)
    """
