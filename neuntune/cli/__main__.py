"""``python -m neuntune.cli``: the ``neuntune`` command."""

from . import main

raise SystemExit(main())
