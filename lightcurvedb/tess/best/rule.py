"""The rule that chooses a release's best flux: its product's apertures, compared by one metric, ties by default."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from lightcurvedb.errors import InvalidInput
from lightcurvedb.tess import mapping

METRICS: dict[str, str] = {"cdpp-1h": "cdpp_1h_ppm", "p2p-scatter": "p2p_scatter_ppm"}
"""The metrics a rule can compare (lower is better) → their column of `lightcurve_metric`."""
DEFAULT_METRIC = "cdpp-1h"
BEST = "best"
"""The flux name that asks reads for each release's best group (`flux="best"`, `--flux best`)."""

_QLP = tuple(f"QLP {c}" for c in ("KSPSAP_FLUX", "KSPSAP_FLUX_SML", "KSPSAP_FLUX_LAG", "DET_FLUX", "DET_FLUX_SML",
                                  "DET_FLUX_LAG", "SAP_FLUX", "SYS_RM_FLUX"))
_SPOC = ("SPOC PDCSAP", "SPOC SAP")
_ELEANOR = tuple(f"GSFC-ELEANOR-LITE {c}" for c in ("CORR_FLUX", "PCA_FLUX", "PSF_FLUX", "RAW_FLUX"))
_PATHOS = tuple(f"PATHOS {a}_FLUX_{k}" for k in ("COR", "RAW") for a in ("PSF", "AP1", "AP2", "AP3", "AP4"))
CANDIDATES: dict[str, tuple[str, ...]] = {
    "spoc": _SPOC, "spoc-fast": _SPOC, "tess-spoc": _SPOC,
    "qlp": _QLP,
    "tglc": ("TGLC cal aperture", "TGLC aperture", "TGLC cal PSF", "TGLC PSF"),
    "gsfc-eleanor-lite": _ELEANOR,
    "cdips": ("CDIPS IRM1", "CDIPS IRM2", "CDIPS IRM3"),
    "pathos": _PATHOS,
}
"""Per product, the flux groups a rule compares (its apertures and detrendings of one kind: fluxes, or CDIPS's
magnitudes), in tie order: the product's default flux first (`mapping.DEFAULT_FLUX`), then the others. Backgrounds,
centroids and errors are never candidates."""


def is_best(flux: str | None) -> bool:
    """True when `flux` asks for each release's best group ("best", any case)."""
    return flux is not None and flux.strip().lower() == BEST


def check_metric(metric: str) -> str:
    """`metric` as a key of METRICS (any case); InvalidInput naming the metrics otherwise."""
    key = metric.strip().lower()
    if key not in METRICS:
        raise InvalidInput(f"no metric {metric!r}; the rule compares one of {', '.join(METRICS)}")
    return key


def candidates(product: str | None) -> tuple[str, ...]:
    """The flux groups a rule compares for `product`, in tie order (the product's defaults first); an unknown
    product's default fluxes only."""
    defaults = mapping.DEFAULT_FLUX.get(product or "", ())
    return tuple(dict.fromkeys([*defaults, *CANDIDATES.get(product or "", ())]))


def rule_text(metric: str) -> str:
    """The rule in words, as stored with each choice."""
    return f"lowest {metric} among the product's apertures, ties by the product's default"


def default_rule() -> str:
    """What a read says of a release with no stored choice."""
    return "product default (no best choice stored: run lcdb best compute)"


@dataclass(frozen=True)
class Choice:
    """The group a rule chose for one release, and its value of the metric (NaN when none was measurable)."""

    group: str
    value: float


def choose(product: str | None, held: Iterable[str], values: Mapping[str, float | None]) -> Choice | None:
    """The candidate of `product` that `held` has with the lowest finite value in `values` (group → metric), ties
    (and no finite value at all) by the product's order; None when the release holds no candidate."""
    order = [g for g in candidates(product) if g in set(held)]
    if not order:
        return None
    finite = [(v, i, g) for i, g in enumerate(order)
              if (v := values.get(g)) is not None and math.isfinite(v)]
    if not finite:
        return Choice(order[0], float("nan"))
    value, _, group = min(finite)
    return Choice(group, value)
