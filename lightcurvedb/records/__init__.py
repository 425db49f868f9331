"""Generated pydantic records (one module per sql/queries file); array types live in `_types`."""
