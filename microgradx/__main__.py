"""``python -m microgradx``: the command line (see :mod:`microgradx.cli`)."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
