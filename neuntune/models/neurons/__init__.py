"""Cell models, one per file."""

from .adex import AdEx
from .hh import HH
from .hr import HR
from .izhikevich import Izhikevich
from .lif import LIF
from .passive import Passive
from .rtm import RTM
from .spike_source import SpikeSource
from .traub_miles import TraubMilesCOBA
from .wang_buzsaki import WangBuzsaki

__all__ = [
    "HH",
    "HR",
    "LIF",
    "RTM",
    "AdEx",
    "Izhikevich",
    "Passive",
    "SpikeSource",
    "TraubMilesCOBA",
    "WangBuzsaki",
]
