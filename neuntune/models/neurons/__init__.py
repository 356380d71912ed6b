"""Cell models, one per file."""

from .hh import HH
from .passive import Passive
from .rtm import RTM
from .spike_source import SpikeSource

__all__ = ["HH", "RTM", "Passive", "SpikeSource"]
