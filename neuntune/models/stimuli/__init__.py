"""Stimulus models, one per file."""

from .constant import Constant
from .noise import Noise
from .pulse_train import PulseTrain
from .ramp import Ramp
from .sine import Sine
from .step import Step
from .voltage_clamp import VoltageClamp

__all__ = ["Constant", "Noise", "PulseTrain", "Ramp", "Sine", "Step", "VoltageClamp"]
