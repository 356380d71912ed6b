"""Short-term plasticity rules, attachable to any event-driven synapse."""

from .tsodyks_markram import TsodyksMarkram

__all__ = ["TsodyksMarkram"]
