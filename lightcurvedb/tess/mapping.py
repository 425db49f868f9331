"""How TESS lightcurve FITS columns map onto missions, instruments, processing groups and flag types."""

from __future__ import annotations

from dataclasses import dataclass

from lightcurvedb.lightcurve import QUALITY_FLAG as QUALITY_FLAG  # the spacecraft bits: SPOC QUALITY, TGLC TESS_flags
from lightcurvedb.timesystem import TESS as TESS_TIME_SYSTEM
from lightcurvedb.timesystem import MissionTimeSystem

MISSION = "TESS"
MISSION_DESCRIPTION = "Transiting Exoplanet Survey Satellite; times are BTJD = BJD(TDB) - 2457000 days."
CATALOG = "TIC"
CATALOG_DESCRIPTION = "TESS Input Catalog"
INSTRUMENT = "TESS"
TIME_SYSTEM: MissionTimeSystem = TESS_TIME_SYSTEM

TGLC_FLAG = "tglc_flag"
"""Flag type of TGLC's own `TGLC_flags` bitmask."""

NO_DETRENDING = "none"


def camera_name(camera: int) -> str:
    """Instrument name of a TESS camera (child of 'TESS')."""
    return f"Camera {camera}"


def ccd_name(ccd: int) -> str:
    """Instrument name of a CCD (child of its camera)."""
    return f"CCD {ccd}"


@dataclass(frozen=True)
class ColumnMap:
    """One dataset of a file: values column, errors (column, header scalar or none) and its processing group."""

    values: str
    source: str
    method: str
    group: str
    export: str
    errors: str | None = None
    error_keyword: str | None = None

    @property
    def has_errors(self) -> bool:
        """True when the file provides uncertainties (stored errors are NaN otherwise)."""
        return self.errors is not None or self.error_keyword is not None


def _spoc(values: str, source: str, method: str = NO_DETRENDING, *, group: str | None = None,
          errors: bool = True) -> ColumnMap:
    return ColumnMap(values=values, source=source, method=method, group=group or source, export=values.lower(),
                     errors=f"{values}_ERR" if errors else None)


SPOC_COLUMNS: tuple[ColumnMap, ...] = (
    _spoc("SAP_FLUX", "SPOC SAP"),
    _spoc("PDCSAP_FLUX", "SPOC SAP", "PDC", group="SPOC PDCSAP"),
    _spoc("SAP_BKG", "SPOC SAP_BKG"),
    _spoc("MOM_CENTR1", "SPOC MOM_CENTR1"),
    _spoc("MOM_CENTR2", "SPOC MOM_CENTR2"),
    _spoc("PSF_CENTR1", "SPOC PSF_CENTR1"),
    _spoc("PSF_CENTR2", "SPOC PSF_CENTR2"),
    _spoc("POS_CORR1", "SPOC POS_CORR1", errors=False),
    _spoc("POS_CORR2", "SPOC POS_CORR2", errors=False),
    _spoc("TIMECORR", "SPOC TIMECORR", errors=False),
)
"""SPOC `*_s_lc.fits` (and the data-alerts HLSP): every flux-like column, grouped source × method."""

TGLC_COLUMNS: tuple[ColumnMap, ...] = (
    ColumnMap("psf_flux", "TGLC PSF", NO_DETRENDING, "TGLC PSF", "psf_flux", error_keyword="PSF_ERR"),
    ColumnMap("aperture_flux", "TGLC aperture", NO_DETRENDING, "TGLC aperture", "aperture_flux",
              error_keyword="APER_ERR"),
    ColumnMap("cal_psf_flux", "TGLC PSF", "TGLC calibrated", "TGLC cal PSF", "cal_psf_flux",
              error_keyword="CPSF_ERR"),
    ColumnMap("cal_aper_flux", "TGLC aperture", "TGLC calibrated", "TGLC cal aperture", "cal_aper_flux",
              error_keyword="CAPE_ERR"),
    ColumnMap("background", "TGLC background", NO_DETRENDING, "TGLC background", "background"),
)
"""TGLC `*_llc.fits`: fluxes with header-scalar errors (broadcast to every cadence), and the background."""

ALL_COLUMNS: tuple[ColumnMap, ...] = SPOC_COLUMNS + TGLC_COLUMNS
GROUP_ALIASES: dict[str, str] = {
    "pdcsap": "SPOC PDCSAP", "sap": "SPOC SAP", "bkg": "SPOC SAP_BKG",
    **{c.export: c.group for c in ALL_COLUMNS},
}
"""Short names accepted by `--flux` (e.g. `PDCSAP`, `sap_flux`, `cal_aper_flux`), case-insensitive."""

DEFAULT_FLUX_GROUPS: tuple[str, ...] = ("SPOC PDCSAP", "TGLC cal aperture", "SPOC SAP", "TGLC aperture")
"""The processing group exported as `flux` when none is chosen: the first of these the target has."""

PRODUCT_OF_GROUP: dict[str, str] = {**{c.group: "spoc" for c in SPOC_COLUMNS},
                                    **{c.group: "tglc" for c in TGLC_COLUMNS}}
"""The product whose files fill each processing group this version stores."""

DEFAULT_FLUX: dict[str, tuple[str, ...]] = {"spoc": ("SPOC PDCSAP", "SPOC SAP"),
                                            "tglc": ("TGLC cal aperture", "TGLC aperture")}
"""Per product, the processing groups exported as `flux` when none is chosen: the first one an observation has
(PDCSAP for SPOC, like lightkurve; TGLC's calibrated aperture flux)."""


def export_name(group: str) -> str:
    """The export column name of a processing group (lightkurve's lower-case names for known groups)."""
    for column in ALL_COLUMNS:
        if column.group == group:
            return column.export
    return "".join(ch if ch.isalnum() else "_" for ch in group.lower()).strip("_")


def resolve_group(name: str) -> str:
    """A `--flux` argument (group name or short name, case-insensitive) → processing group name."""
    lowered = name.strip().lower()
    if lowered in GROUP_ALIASES:
        return GROUP_ALIASES[lowered]
    for column in ALL_COLUMNS:
        if column.group.lower() == lowered:
            return column.group
    return name
