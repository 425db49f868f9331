"""`python -m lightcurvedb` runs the `lcdb` command line."""

from lightcurvedb.cli import main

raise SystemExit(main())
