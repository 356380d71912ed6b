"""Cell models, one per file."""

from .hh import HH
from .hr import HR
from .izhikevich import Izhikevich
from .passive import Passive
from .rtm import RTM
from .spike_source import SpikeSource

__all__ = ["HH", "HR", "RTM", "Izhikevich", "Passive", "SpikeSource"]
