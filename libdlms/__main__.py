"""``python -m libdlms``: the command line (read, objects, probe, decode)."""

from .cli.app import main

raise SystemExit(main())
