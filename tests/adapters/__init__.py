"""Tests of lightcurvedb.adapters (NumPy binary array adapters)."""
