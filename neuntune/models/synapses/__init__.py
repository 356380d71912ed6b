"""Synapse models, one per file (event.py, kinetic.py and bmtool.py hold what
several of them share).

Every module here is imported and the models it registers are this package's
names (:func:`~neuntune.models.registry.discover`): adding a model is adding its file.
``EventSynapse``, the base of the event-driven synapses, is exported too, for
users' own.
"""

from ..registry import discover
from .event import EventSynapse

_models = {**discover(__name__, __path__), "EventSynapse": EventSynapse}
globals().update(_models)
__all__ = sorted(_models)
