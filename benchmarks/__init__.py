"""Ratio benchmarks of lightcurvedb (run one with `python -m benchmarks.<name>`)."""
