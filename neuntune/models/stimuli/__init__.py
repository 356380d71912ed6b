"""Stimulus models, one per file."""

from .constant import Constant
from .pulse_train import PulseTrain
from .ramp import Ramp
from .sine import Sine
from .step import Step

__all__ = ["Constant", "PulseTrain", "Ramp", "Sine", "Step"]
