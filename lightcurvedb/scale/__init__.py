"""Work spread over machines: lightcurves as Dask bags read from a primary and its standbys, BLS, HATS."""
