"""Cell models, one per file.

Every module here is imported and the models it registers are this package's
names (:func:`~neuntune.models.registry.discover`): adding a model is adding its file.
"""

from ..registry import discover

_models = discover(__name__, __path__)
globals().update(_models)
__all__ = sorted([*_models])
