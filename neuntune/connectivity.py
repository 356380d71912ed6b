"""Who connects to whom in a population, and values that differ between members.

Rules turn two population sizes into index arrays ``(i, j)``: connection ``m``
runs from member ``i[m]`` of the pre population to member ``j[m]`` of the post
population, as Brian2's ``Synapses.connect`` and BrainPy's ``comm`` objects do::

    c.connect("exc", "inh", nt.AMPA(), rule=nt.FixedProbability(0.02, seed=3))

Distributions give one value per member (or per connection), seeded so a circuit
rebuilds bit-identically::

    c.set("fs.gna", nt.Normal(120.0, 10.0, seed=1))

A gap junction couples both of its cells, so within one population a rule joins
each unordered pair at most once (``i < j``); explicit :class:`Pairs` are taken as
given.
"""

from __future__ import annotations

import math
import numbers
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Most connections one rule may make (each costs ~100 bytes across the engine's arrays).
MAX_CONNECTIONS = 50_000_000
#: Pre × post pairs a rule tests per block when drawing random connections.
_BLOCK = 4_000_000


def _check_seed(owner: str, seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"{owner}: seed must be a whole number ≥ 0, got {seed!r}")
    return int(seed)


def _refuse_size(owner: str, count: float) -> None:
    if count > MAX_CONNECTIONS:
        raise ValueError(
            f"{owner}: up to {count:,.0f} connections (about {count * 100 / 1e9:.1f} GB of "
            f"engine arrays) is more than the limit of {MAX_CONNECTIONS:,}; use a sparser rule"
        )


class Rule:
    """Base of the connection rules: ``pairs(n_pre, n_post, same, symmetric)``.

    ``same``: pre and post are the same population; ``symmetric``: the connection
    model acts on both cells (a gap junction), so a pair is joined once, not twice.
    """

    def pairs(
        self, n_pre: int, n_post: int, same: bool, symmetric: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        """The rule as plain data (its class name and arguments), for presets."""
        return {"rule": type(self).__name__, **self.__dict__}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and _same_args(self.__dict__, other.__dict__)

    __hash__ = None  # type: ignore[assignment]


#: Realised pairs by rule arguments and sizes, newest last: a rule is deterministic
#: given its seed, and a preset's circuit is built, copied and laid out several times.
_REALISED: OrderedDict[tuple, tuple[np.ndarray, np.ndarray]] = OrderedDict()
_REALISED_KEPT = 16


def realise(
    rule: Rule, n_pre: int, n_post: int, same: bool, symmetric: bool
) -> tuple[np.ndarray, np.ndarray]:
    """``rule.pairs(...)`` as read-only arrays, shared by every call with the same rule
    arguments and sizes (rules with array arguments, such as ``Pairs``, are not kept)."""
    args = tuple(sorted(rule.__dict__.items()))
    if not all(isinstance(v, int | float | bool | str) for _, v in args):
        i, j = rule.pairs(n_pre, n_post, same, symmetric)
        i.flags.writeable = j.flags.writeable = False
        return i, j
    key = (type(rule), args, n_pre, n_post, same, symmetric)
    found = _REALISED.get(key)
    if found is None:
        i, j = rule.pairs(n_pre, n_post, same, symmetric)
        i.flags.writeable = j.flags.writeable = False
        found = _REALISED[key] = (i, j)
        if len(_REALISED) > _REALISED_KEPT:
            _REALISED.popitem(last=False)
    else:
        _REALISED.move_to_end(key)
    return found


def _same_args(a: dict, b: dict) -> bool:
    if a.keys() != b.keys():
        return False
    return all(np.array_equal(a[k], b[k]) for k in a)


def _keep(i: np.ndarray, j: np.ndarray, same: bool, symmetric: bool, self_connections: bool):
    """Drop self-connections (unless allowed) and, for a symmetric model within one
    population, the second copy of each pair."""
    if same:
        mask = i < j if symmetric else (i != j) | self_connections
        return i[mask], j[mask]
    return i, j


@dataclass(eq=False, repr=False)
class AllToAll(Rule):
    """Every pre member to every post member (not to itself unless ``self_connections``)."""

    self_connections: bool = False

    def pairs(self, n_pre, n_post, same, symmetric):
        _refuse_size("AllToAll", float(n_pre) * n_post)
        i, j = np.divmod(np.arange(n_pre * n_post, dtype=np.int64), n_post)
        return _keep(i, j, same, symmetric, self.self_connections)


@dataclass(eq=False, repr=False)
class OneToOne(Rule):
    """Member k to member k; both populations must have the same size."""

    def pairs(self, n_pre, n_post, same, symmetric):
        if n_pre != n_post:
            raise ValueError(
                f"OneToOne: the populations have {n_pre} and {n_post} members; it needs equal sizes"
            )
        if same:
            raise ValueError("OneToOne within one population would connect each cell to itself")
        k = np.arange(n_pre, dtype=np.int64)
        return k, k.copy()


@dataclass(eq=False, repr=False)
class FixedProbability(Rule):
    """Each (pre, post) pair independently with probability ``p`` (seeded)."""

    p: float
    seed: int = 0
    self_connections: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.p, bool) or not isinstance(self.p, numbers.Real):
            raise TypeError(f"FixedProbability: p must be a number in [0, 1], got {self.p!r}")
        if not 0.0 <= float(self.p) <= 1.0:
            raise ValueError(f"FixedProbability: p = {self.p!r} is outside [0, 1]")
        self.p = float(self.p)
        self.seed = _check_seed("FixedProbability", self.seed)

    def pairs(self, n_pre, n_post, same, symmetric):
        _refuse_size("FixedProbability", self.p * n_pre * n_post)
        rng = np.random.default_rng(self.seed)
        rows = max(1, _BLOCK // max(n_post, 1))
        out_i, out_j = [], []
        for start in range(0, n_pre, rows):
            stop = min(n_pre, start + rows)
            hit = rng.random((stop - start, n_post)) < self.p
            i, j = np.nonzero(hit)
            out_i.append(i + start)
            out_j.append(j)
        i = np.concatenate(out_i).astype(np.int64) if out_i else np.zeros(0, np.int64)
        j = np.concatenate(out_j).astype(np.int64) if out_j else np.zeros(0, np.int64)
        return _keep(i, j, same, symmetric, self.self_connections)


@dataclass(eq=False, repr=False)
class FixedNumberPre(Rule):
    """Each post member receives from ``n`` distinct pre members, drawn at random."""

    n: int
    seed: int = 0
    self_connections: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.n, bool) or not isinstance(self.n, numbers.Integral) or self.n < 0:
            raise ValueError(f"FixedNumberPre: n must be a whole number ≥ 0, got {self.n!r}")
        self.n = int(self.n)
        self.seed = _check_seed("FixedNumberPre", self.seed)

    def pairs(self, n_pre, n_post, same, symmetric):
        available = n_pre - (1 if same and not self.self_connections else 0)
        if self.n > available:
            raise ValueError(
                f"FixedNumberPre: n = {self.n} is more than the {available} pre members "
                "each post member can receive from"
            )
        _refuse_size("FixedNumberPre", float(self.n) * n_post)
        rng = np.random.default_rng(self.seed)
        i = np.empty(self.n * n_post, np.int64)
        for post in range(n_post):
            if same and not self.self_connections:
                pick = rng.choice(n_pre - 1, self.n, replace=False)
                pick[pick >= post] += 1  # skip the cell itself
            else:
                pick = rng.choice(n_pre, self.n, replace=False)
            i[post * self.n : (post + 1) * self.n] = np.sort(pick)
        j = np.repeat(np.arange(n_post, dtype=np.int64), self.n)
        return i, j


class Pairs(Rule):
    """Explicit connections: ``Pairs([(0, 1), (1, 2)])`` or ``Pairs(i=[0, 1], j=[1, 2])``."""

    def __init__(
        self, pairs: Iterable[tuple[int, int]] | None = None, *, i: Any = None, j: Any = None
    ) -> None:
        if pairs is not None:
            if i is not None or j is not None:
                raise TypeError("Pairs: give either a list of (i, j) pairs or i= and j=, not both")
            try:
                table = np.asarray(list(pairs), dtype=np.float64).reshape(-1, 2)
            except (TypeError, ValueError):
                raise TypeError(
                    f"Pairs: expected (i, j) pairs of whole numbers, got {pairs!r}"
                ) from None
            i, j = table[:, 0], table[:, 1]
        self.i = _indices("Pairs.i", i)
        self.j = _indices("Pairs.j", j)
        if len(self.i) != len(self.j):
            raise ValueError(f"Pairs: i has {len(self.i)} entries but j has {len(self.j)}")

    def pairs(self, n_pre, n_post, same, symmetric):
        for name, idx, n in (("i", self.i, n_pre), ("j", self.j, n_post)):
            bad = (idx < 0) | (idx >= n)
            if bad.any():
                raise ValueError(
                    f"Pairs.{name}: {int(bad.sum())} indices are out of range "
                    f"(first: {int(idx[np.argmax(bad)])}); the population has {n} members "
                    f"(0 to {n - 1})"
                )
        return self.i.copy(), self.j.copy()

    def describe(self) -> dict[str, Any]:
        return {"rule": "Pairs", "i": self.i.tolist(), "j": self.j.tolist()}


def _indices(name: str, values: Any) -> np.ndarray:
    if values is None:
        raise TypeError(f"{name}: required")
    array = np.asarray(values)
    if array.ndim != 1 or (array.size and not np.issubdtype(array.dtype, np.number)):
        raise TypeError(f"{name}: expected a 1-D list of whole numbers, got {values!r}")
    if array.size and (not np.all(np.isfinite(array)) or np.any(array != np.round(array))):
        raise ValueError(f"{name}: every index must be a whole number")
    return array.astype(np.int64)


RULES: dict[str, type[Rule]] = {
    cls.__name__: cls for cls in (AllToAll, OneToOne, FixedProbability, FixedNumberPre, Pairs)
}


def rule_from(data: dict[str, Any]) -> Rule:
    """The rule :meth:`Rule.describe` described."""
    data = dict(data)
    name = data.pop("rule", None)
    if name not in RULES:
        raise ValueError(f"rule: {name!r} is not one of {', '.join(RULES)}")
    return RULES[name](**data)


# ---------------------------------------------------------------- distributions
class Distribution:
    """Seeded values, one per member: ``sample(n)`` always gives the same n numbers."""

    def sample(self, n: int) -> np.ndarray:
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        return {"distribution": type(self).__name__, **self.__dict__}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]


def _real(owner: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{owner}: {name} must be a finite number, got {value!r}")
    return float(value)


@dataclass(eq=False, repr=False)
class Normal(Distribution):
    """Normally distributed values (mean, standard deviation ``sd``), seeded."""

    mean: float
    sd: float
    seed: int = 0

    def __post_init__(self) -> None:
        self.mean = _real("Normal", "mean", self.mean)
        self.sd = _real("Normal", "sd", self.sd)
        if self.sd < 0:
            raise ValueError(f"Normal: sd must be ≥ 0, got {self.sd!r}")
        self.seed = _check_seed("Normal", self.seed)

    def sample(self, n: int) -> np.ndarray:
        return np.random.default_rng(self.seed).normal(self.mean, self.sd, n)


@dataclass(eq=False, repr=False)
class Uniform(Distribution):
    """Values uniform in [low, high), seeded."""

    low: float
    high: float
    seed: int = 0

    def __post_init__(self) -> None:
        self.low = _real("Uniform", "low", self.low)
        self.high = _real("Uniform", "high", self.high)
        if self.high < self.low:
            raise ValueError(f"Uniform: high ({self.high:g}) is below low ({self.low:g})")
        self.seed = _check_seed("Uniform", self.seed)

    def sample(self, n: int) -> np.ndarray:
        return np.random.default_rng(self.seed).uniform(self.low, self.high, n)


DISTRIBUTIONS: dict[str, type[Distribution]] = {cls.__name__: cls for cls in (Normal, Uniform)}


def distribution_from(data: dict[str, Any]) -> Distribution:
    """The distribution :meth:`Distribution.describe` described."""
    data = dict(data)
    name = data.pop("distribution", None)
    if name not in DISTRIBUTIONS:
        raise ValueError(f"distribution: {name!r} is not one of {', '.join(DISTRIBUTIONS)}")
    return DISTRIBUTIONS[name](**data)
