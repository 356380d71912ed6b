"""Model classes by name: :func:`register` makes one known (to presets, the CLI and
the dashboard), :func:`model_class` and :func:`registered` look them up, and
:func:`discover` imports a model package so each of its files registers its models."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Sequence

from .model import Model

_REGISTRY: dict[str, type[Model]] = {}


def register(cls: type[Model]) -> type[Model]:
    """Make a model class known by name (for presets, the CLI and the dashboard).

    Use it as a class decorator on your own models; re-registering the same name
    with a different class is an error.
    """
    if not isinstance(cls, type) or not issubclass(cls, Model) or not cls.kind:
        raise TypeError(
            f"register() takes a Neuron, Synapse, Stimulus or Plasticity class, got {cls!r}"
        )
    existing = _REGISTRY.get(cls.__name__)
    if existing is not None and existing is not cls:
        raise ValueError(
            f"a model named {cls.__name__!r} is already registered ({existing.__module__})"
        )
    _REGISTRY[cls.__name__] = cls
    return cls


def model_class(name: str, kind: str | None = None) -> type[Model]:
    """The registered model called ``name`` (optionally of one kind)."""
    cls = _REGISTRY.get(name)
    if cls is None or (kind is not None and cls.kind != kind):
        known = ", ".join(registered(kind))
        raise KeyError(f"unknown {kind or 'model'} {name!r} (known: {known})")
    return cls


def discover(package: str, path: Sequence[str]) -> dict[str, type[Model]]:
    """Import every module of model package ``package`` (its ``__path__``: each module
    registers its models) and return the models registered from it, by name.  A new
    model is one file: it reaches ``neuntune.models`` and ``nt.`` with no export list
    to edit."""
    for module in pkgutil.iter_modules(path):
        if not module.name.startswith("_"):
            importlib.import_module(f"{package}.{module.name}")
    return {
        name: cls for name, cls in _REGISTRY.items() if cls.__module__.startswith(f"{package}.")
    }


def registered(kind: str | None = None) -> list[str]:
    """Names of registered models, optionally of one kind, sorted."""
    return sorted(n for n, c in _REGISTRY.items() if kind is None or c.kind == kind)
