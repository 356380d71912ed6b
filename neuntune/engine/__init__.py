"""The simulation engine: a circuit's arrays (:mod:`.groups`), the numba kernels
generated once per set of model types (:mod:`.codegen` with :mod:`.rhs`,
:mod:`.integrate`, :mod:`.events`, :mod:`.exact`), their disk cache
(:mod:`.compiler`) and runs of a batch of circuits (:mod:`.run`)."""
