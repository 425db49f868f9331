"""Code generator: sql/migrations + sql/queries → lightcurvedb/records and lightcurvedb/queries."""
