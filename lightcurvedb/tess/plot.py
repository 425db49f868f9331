"""Plot a target's lightcurve with matplotlib (Agg, no display): one panel per sector, flagged cadences marked."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lightcurvedb.errors import MissingDependency, OutputFileError
from lightcurvedb.tess.export import check_output, output_file
from lightcurvedb.tess.quality import QualityBitmask
from lightcurvedb.tess.tic import TicLightcurves


def check_image_name(path: Path) -> None:
    """Refuse, before any work, an image file name whose suffix matplotlib cannot write (or that has none)."""
    try:
        from matplotlib.backend_bases import FigureCanvasBase
    except ImportError as e:
        raise MissingDependency("plotting needs matplotlib: pip install 'tess-lightcurvedb[plot]'") from e
    formats = FigureCanvasBase.get_supported_filetypes()
    suffix = path.suffix.lstrip(".").lower()
    if suffix not in formats:
        what = f"suffix .{suffix}" if suffix else "no suffix"
        raise OutputFileError(f"{path}: {what}; an image needs one of "
                              f"{', '.join('.' + f for f in sorted(formats))}")


def plot_lightcurves(lcs: TicLightcurves, path: str | Path, *, flux_group: str | None = None, dpi: int = 110,
                     quality_bitmask: QualityBitmask = "none", normalize: bool = False,
                     overwrite: bool = False) -> Path:
    """Write a PNG/PDF/SVG (by suffix) of `flux` against BTJD; red crosses mark cadences with quality != 0.

    `quality_bitmask` leaves out the cadences it masks (as `write_lightcurves`); `normalize` plots each
    observation's flux divided by its median. An existing file is refused unless `overwrite`; every file-system
    failure is an OutputFileError.
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as e:
        raise MissingDependency(
            "plotting needs matplotlib: pip install 'tess-lightcurvedb[plot]'"
        ) from e

    out = Path(path)
    check_image_name(out)
    check_output(out, overwrite=overwrite)  # before the figure is drawn
    lcs = lcs.masked(quality_bitmask)
    flux, _, groups = lcs.flux(flux_group, normalize=normalize)
    label = ", ".join(groups) + (" (normalised)" if normalize else "")
    cols = lcs.columns
    sectors = sorted({o.sector for o in lcs.observations})
    fig = Figure(figsize=(10, 2.6 * max(1, len(sectors))), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(max(1, len(sectors)), 1, squeeze=False)[:, 0]
    for ax, sector in zip(axes, sectors, strict=False):
        rows = cols["sector"] == sector
        t, f, q = cols["time"][rows], flux[rows], cols["quality"][rows]
        good = np.isfinite(t) & np.isfinite(f)
        ok = good & (q == 0)
        bad = good & (q != 0)
        ax.plot(t[ok], f[ok], ".", ms=1.5, color="k", label=f"{label} (quality = 0)")
        if bad.any():
            label = f"flagged ({int(bad.sum())} plotted of {int((q != 0).sum())})"
            ax.plot(t[bad], f[bad], "x", ms=3, color="tab:red", label=label)
        held = ", ".join(dict.fromkeys(f"{o.product} release {o.release}" for o in lcs.observations
                                       if o.sector == sector and o.product))
        ax.set_title(f"TIC {lcs.tic_id} — sector {sector}" + (f" ({held})" if held else ""), fontsize=10)
        ax.set_ylabel("flux / median" if normalize else "flux")
        ax.legend(loc="upper right", fontsize=8, markerscale=3)
    axes[-1].set_xlabel(f"time [{lcs.time_format.upper()} = BJD(TDB) − 2457000, d]")
    with output_file(out, overwrite=overwrite) as partial:
        fig.savefig(partial, dpi=dpi, format=out.suffix.lstrip(".").lower() or None)
    return out
