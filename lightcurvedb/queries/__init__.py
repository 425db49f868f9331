"""Generated typed query functions, one module per sql/queries file (runtime: lightcurvedb.query_runtime)."""
