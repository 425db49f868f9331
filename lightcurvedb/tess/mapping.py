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


@dataclass(frozen=True)
class Layout:
    """How a product's lightcurve table is read: its time, cadence and flag columns, the columns with a known
    processing group, and the label of the groups of every other numeric column ("<label> <COLUMN>")."""

    time: str
    cadence: str | None
    flags: tuple[tuple[str, str], ...]  # (file column, flag type)
    known: tuple[ColumnMap, ...]
    label: str
    units: tuple[tuple[str, str], ...] = ()  # (file column, unit) for columns the product writes without TUNIT
    default_flux: tuple[str, ...] = ()  # processing groups exported as `flux`, the first one present
    extension: str | None = "LIGHTCURVE"  # the table's HDU name; None: the first extension (unnamed)
    tic_keywords: tuple[str, ...] = ("TICID",)  # primary-header keywords holding the TIC id, first found
    documented_epoch: float | None = None  # the BJD reference when the file writes no BJDREFI (documented)


def generic_column(label: str, values: str, errors: str | None) -> ColumnMap:
    """The mapping of a numeric column no layout names: its own group "<label> <COLUMN>", no detrending."""
    group = f"{label} {values}"
    return ColumnMap(values=values, source=group, method=NO_DETRENDING, group=group, export=values.lower(),
                     errors=errors)


_SPOC_LAYOUT = Layout(time="TIME", cadence="CADENCENO", flags=(("QUALITY", QUALITY_FLAG),),
                      known=SPOC_COLUMNS, label="SPOC", default_flux=("SPOC PDCSAP", "SPOC SAP"))
_QLP_NORMALISED = tuple((c, "") for c in ("SAP_FLUX", "KSPSAP_FLUX", "KSPSAP_FLUX_ERR", "KSPSAP_FLUX_SML",
                                          "KSPSAP_FLUX_LAG", "DET_FLUX", "DET_FLUX_ERR", "DET_FLUX_SML",
                                          "DET_FLUX_LAG", "SYS_RM_FLUX"))
_ELEANOR = "GSFC-ELEANOR-LITE"
_ELEANOR_UNITS = tuple((c, "e-/s") for c in ("RAW_FLUX", "CORR_FLUX", "PCA_FLUX", "PSF_FLUX", "FLUX_ERR",
                                             "FLUX_BKG")) + tuple((c, "pixel") for c in (
                                                 "X_CENTROID", "Y_CENTROID", "X_COM", "Y_COM")) + (("TIME", "d"),
                                                                                                   ("BARYCORR", "d"))
LAYOUTS: dict[str, Layout] = {
    "spoc": _SPOC_LAYOUT,
    "spoc-fast": _SPOC_LAYOUT,
    "tess-spoc": _SPOC_LAYOUT,
    "qlp": Layout(time="TIME", cadence="CADENCENO", flags=(("QUALITY", QUALITY_FLAG),), known=(),
                  label="QLP", units=_QLP_NORMALISED,
                  default_flux=("QLP KSPSAP_FLUX", "QLP DET_FLUX", "QLP SAP_FLUX")),
    "tglc": Layout(time="time", cadence="cadence_num",
                   flags=(("TESS_flags", QUALITY_FLAG), ("TGLC_flags", "tglc_flag")), known=TGLC_COLUMNS,
                   label="TGLC", default_flux=("TGLC cal aperture", "TGLC aperture")),
    # eleanor: FLUX_ERR is the error of RAW_FLUX; no TUNITs (eleanor's fluxes are e-/s); the TIC id is TIC_ID
    "gsfc-eleanor-lite": Layout(time="TIME", cadence="FFIINDEX", flags=(("QUALITY", QUALITY_FLAG),),
                                known=(generic_column(_ELEANOR, "RAW_FLUX", "FLUX_ERR"),), label=_ELEANOR,
                                units=_ELEANOR_UNITS, default_flux=(f"{_ELEANOR} CORR_FLUX",), extension=None,
                                tic_keywords=("TICID", "TIC_ID")),
    # CDIPS: full BJD times (BJDREFI = 0), magnitudes IRM/TFA/PCA with errors IRE, fluxes IFL with errors IFE;
    # no cadence column (derived from times); its quality flags IRQn are text, not a bitmask
    "cdips": Layout(time="TMID_BJD", cadence=None, flags=(), label="CDIPS", extension=None,
                    known=tuple(generic_column("CDIPS", f"{kind}{i}", f"{err}{i}") for i in (1, 2, 3)
                                for kind, err in (("IRM", "IRE"), ("IFL", "IFE"))),
                    default_flux=("CDIPS IRM1",)),
    # PATHOS: BTJD times without BJDREF keywords, no cadence column, quality DQUALITY
    "pathos": Layout(time="TIME", cadence=None, flags=(("DQUALITY", QUALITY_FLAG),), known=(), label="PATHOS",
                     extension=None, documented_epoch=2457000.0, default_flux=("PATHOS PSF_FLUX_COR",)),
}
"""The layout of each product (lightcurvedb.tess.products names them), from each product's documentation and
lightkurve's readers. QLP fluxes are normalised (median 1): stored with the unit "" (dimensionless), as QLP
writes no TUNIT for them; eleanor writes no TUNIT at all (its fluxes are e-/s)."""

ALL_COLUMNS: tuple[ColumnMap, ...] = SPOC_COLUMNS + TGLC_COLUMNS
GROUP_ALIASES: dict[str, str] = {
    "pdcsap": "SPOC PDCSAP", "sap": "SPOC SAP", "bkg": "SPOC SAP_BKG",
    **{c.export: c.group for c in ALL_COLUMNS},
}
"""Short names accepted by `--flux` (e.g. `PDCSAP`, `sap_flux`, `cal_aper_flux`), case-insensitive."""

DEFAULT_FLUX_GROUPS: tuple[str, ...] = ("SPOC PDCSAP", "TGLC cal aperture", "SPOC SAP", "TGLC aperture")
"""The processing group exported as `flux` when none is chosen: the first of these the target has."""

DEFAULT_FLUX: dict[str, tuple[str, ...]] = {name: layout.default_flux for name, layout in LAYOUTS.items()}
"""Per product, the processing groups exported as `flux` when none is chosen: the first one an observation has
(PDCSAP for SPOC, like lightkurve; QLP's KSPSAP (DET from sector 56); TGLC's calibrated aperture flux)."""


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
