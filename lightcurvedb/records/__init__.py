"""Generated pydantic records, one module per sql/queries file (base class and array types: lightcurvedb.record)."""
