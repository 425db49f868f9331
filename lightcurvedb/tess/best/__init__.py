"""The best lightcurve of each star and sector: quality metrics per flux, and the choice of a stored rule."""
