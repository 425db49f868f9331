"""Generated typed query functions (one module per sql/queries file); shared runtime in `_runtime`."""
