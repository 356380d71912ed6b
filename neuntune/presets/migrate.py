"""Older preset documents, brought up to the current schema one version at a time.

Each step ``MIGRATIONS[n]`` turns a schema-``n`` document into a schema-``n + 1``
one and touches only what it recognises: whatever it leaves malformed is reported
by the validator afterwards, with its path.  A document newer than this package
knows is refused rather than guessed at.

Schema 0 is the pre-release layout, kept so the mechanism is exercised: cells
under ``"cells"``, metadata at the top level, bare numbers in each model's
declared unit (run times in ms) and parameters left out taking their defaults::

    {"schema": 0, "name": "pair", "cells": [{"name": "a", "model": "HH",
     "parameters": {"gna": 120.0}}], "run": {"t_stop": 100.0, "dt": 0.01}}

Schema 1 is schema 2 without populations: every cell single (no ``"n"``), every
connection between two single cells (no ``"rule"``), no ``"members"``.  Its
documents are schema-2 documents as they stand, so the step only changes the
version; the version exists so that a neuntune reading schema 1 refuses a
document with populations ("newer than this neuntune reads") instead of
misreading it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from ..errors import PresetError
from ..models.registry import model_class

#: The schema version this package writes (and the newest it reads).
SCHEMA_VERSION = 2


def _bare_numbers(element: Any, kind: str) -> Any:
    """Schema 0 parameters were bare numbers in the declared unit, and a parameter left
    out took its default: add the units and the defaults (schema 1 gives every one)."""
    if not isinstance(element, dict) or not isinstance(element.get("parameters", {}), dict):
        return element
    try:
        table = model_class(element.get("model"), kind).parameter_table()  # type: ignore[arg-type]
    except (KeyError, TypeError):  # an unknown model is the validator's to report
        return element
    given = element.get("parameters", {})
    params = {
        key: {"value": value, "unit": table[key].unit}
        if key in table and (value is None or isinstance(value, int | float))
        else value
        for key, value in given.items()
    }
    for key, parameter in table.items():
        params.setdefault(key, {"value": parameter.default, "unit": parameter.unit})
    return {**element, "parameters": params}


def _v0_to_v1(doc: dict[str, Any]) -> dict[str, Any]:
    out = {key: doc[key] for key in doc if key not in ("name", "description", "source", "cells")}
    out["schema"] = 1
    out["metadata"] = {key: doc[key] for key in ("name", "description", "source") if key in doc}
    if "cells" in doc:
        out["neurons"] = doc["cells"]
    for key, kind in (("neurons", "neuron"), ("connections", "synapse"), ("stimuli", "stimulus")):
        if isinstance(out.get(key), list):
            out[key] = [_bare_numbers(e, kind) for e in out[key]]
    run = out.get("run")
    if isinstance(run, dict):
        out["run"] = {
            key: {"value": value, "unit": "ms"}
            if key in ("t_stop", "dt") and isinstance(value, int | float)
            else value
            for key, value in run.items()
        }
    return out


def _v1_to_v2(doc: dict[str, Any]) -> dict[str, Any]:
    # populations are new keys with single-cell defaults: nothing else changes
    out = copy.copy(doc)  # a parsed document's record of duplicate keys stays with it
    out["schema"] = 2
    return out


#: ``MIGRATIONS[n]``: schema n -> n + 1.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {0: _v0_to_v1, 1: _v1_to_v2}


def migrate(doc: Any) -> dict[str, Any]:
    """``doc`` brought to :data:`SCHEMA_VERSION` (the input is not changed)."""
    if not isinstance(doc, dict):
        raise PresetError(f"$: expected a JSON object (a preset); got {type(doc).__name__}")
    if "schema" not in doc:
        raise PresetError("$: missing required key 'schema' (the preset format version)")
    version = doc["schema"]
    if isinstance(version, bool) or not isinstance(version, int):
        raise PresetError(
            f"$.schema: expected a whole number (the format version); got {version!r}"
        )
    if version > SCHEMA_VERSION:
        raise PresetError(
            f"$.schema: this preset uses schema version {version}, newer than this neuntune "
            f"reads (up to {SCHEMA_VERSION}); upgrade neuntune to load it"
        )
    oldest = min(MIGRATIONS, default=SCHEMA_VERSION)
    if version < oldest:
        raise PresetError(
            f"$.schema: unknown schema version {version} (known: {oldest} to {SCHEMA_VERSION})"
        )
    for step in range(version, SCHEMA_VERSION):
        doc = MIGRATIONS[step](doc)
    return doc
