"""Truncated, corrupted and foreign FITS files through `lightcurvedb.tess` ingestion: FitsFormatError, nothing
written."""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from astropy.io import fits

import lightcurvedb
from lightcurvedb import errors
from lightcurvedb.tess.fits_reader import MAX_FILE_BYTES, read_lightcurve
from lightcurvedb.tess.ingest import ingest_file

from ._corpus import flush_tally, row_counts, spoc_hdul, table_with, tally, write


@pytest.fixture(scope="module", autouse=True)
def _figures() -> Iterator[None]:
    yield
    flush_tally(__name__)


def _set(key: str, value: Any, where: int = 0) -> Callable[[fits.HDUList], fits.HDUList]:
    def change(h: fits.HDUList) -> fits.HDUList:
        h[where].header[key] = value
        return h
    return change


def _del(key: str, where: int = 0) -> Callable[[fits.HDUList], fits.HDUList]:
    def change(h: fits.HDUList) -> fits.HDUList:
        del h[where].header[key]
        return h
    return change


def _cols(edit: Callable[[dict[str, fits.Column]], None]) -> Callable[[fits.HDUList], fits.HDUList]:
    return lambda h: table_with(h, edit)


def _replace(name: str, fmt: str, array: Any) -> Callable[[dict[str, fits.Column]], None]:
    def edit(cols: dict[str, fits.Column]) -> None:
        cols[name] = fits.Column(name, fmt, array=array)
    return edit


def _drop(*names: str) -> Callable[[dict[str, fits.Column]], None]:
    def edit(cols: dict[str, fits.Column]) -> None:
        for n in names:
            cols.pop(n)
    return edit


N = 40
CAD = np.arange(5000, 5000 + N, dtype=np.int32)
STRUCTURED: dict[str, tuple[Callable[[fits.HDUList], fits.HDUList], str]] = {
    # name: (mutation, a word the error must contain)
    "image only, no tables": (lambda h: fits.HDUList([fits.PrimaryHDU(np.zeros((4, 4)))]), "LIGHTCURVE"),
    "LIGHTCURVE is an image": (lambda h: fits.HDUList([h[0], fits.ImageHDU(np.zeros(3), name="LIGHTCURVE")]),
                               "binary table"),
    "Kepler file": (_set("TELESCOP", "Kepler"), "TELESCOP"),
    "no TELESCOP": (_del("TELESCOP"), "TELESCOP"),
    "TICID negative": (_set("TICID", -5), "TICID"),
    "TICID zero": (_set("TICID", 0), "TICID"),
    "TICID huge": (_set("TICID", 2**63 - 1), "TICID"),
    "TICID garbage string": (_set("TICID", "25155310; DROP TABLE target"), "TICID"),
    "TICID float": (_set("TICID", 2.5), "TICID"),
    "TICID logical": (_set("TICID", True), "TICID"),
    "TICID missing": (_del("TICID"), "TICID"),
    "SECTOR zero": (_set("SECTOR", 0), "SECTOR"),
    "CAMERA 5": (_set("CAMERA", 5), "CAMERA"),
    "CCD string": (_set("CCD", "two"), "CCD"),
    "BJDREFI missing": (_del("BJDREFI", 1), "BJDREFI"),
    "BJDREFI string": (_set("BJDREFI", "2457000x", 1), "BJDREF"),
    "TIMESYS UTC": (_set("TIMESYS", "UTC", 1), "time"),
    "TIMESYS missing": (_del("TIMESYS", 1), "TIMESYS"),
    "no TIME column": (_cols(_drop("TIME")), "layout"),
    "no CADENCENO column": (_cols(_drop("CADENCENO")), "layout"),
    "no QUALITY column": (_cols(_drop("QUALITY")), "layout"),
    "no flux columns": (_cols(_drop("SAP_FLUX", "SAP_FLUX_ERR", "PDCSAP_FLUX", "PDCSAP_FLUX_ERR", "TIMECORR")),
                        "flux"),
    "TIME as integers": (_cols(_replace("TIME", "J", np.arange(N, dtype=np.int32))), "TIME"),
    "TIME as strings": (_cols(_replace("TIME", "8A", np.array(["1400.0"] * N))), "TIME"),
    "CADENCENO as floats": (_cols(_replace("CADENCENO", "D", CAD.astype(float))), "CADENCENO"),
    "QUALITY as floats": (_cols(_replace("QUALITY", "E", np.zeros(N, np.float32))), "QUALITY"),
    "SAP_FLUX as strings": (_cols(_replace("SAP_FLUX", "4A", np.array(["1"] * N))), "SAP_FLUX"),
    "SAP_FLUX_ERR as integers": (_cols(_replace("SAP_FLUX_ERR", "J", np.ones(N, np.int32))), "SAP_FLUX_ERR"),
    "TIME 2 values per row": (_cols(_replace("TIME", "2D", np.ones((N, 2)))), "TIME"),
    "flux 3 values per row (row count mismatch)": (_cols(_replace("SAP_FLUX", "3E", np.ones((N, 3), np.float32))),
                                                   "SAP_FLUX"),
    "CADENCENO non-monotonic": (_cols(_replace("CADENCENO", "J", CAD[::-1].copy())), "increasing"),
    "TIME reversed": (_cols(_replace("TIME", "D", 1400.0 + (N - np.arange(N)) * 0.02)), "does not increase"),
    "TIME one step back, NaN between": (_cols(_replace("TIME", "D", np.r_[1400.0 + np.arange(10) * 0.02, np.nan,
                                                                        1400.1, 1400.0 + np.arange(12, N) * 0.02])),
                                        "does not increase"),
    "TIME repeated": (_cols(_replace("TIME", "D", np.repeat(1400.0 + np.arange(N // 2) * 0.02, 2))),
                      "does not increase"),
    "TICID differs between the headers": (_set("TICID", 12345, 1), "disagree"),
    "CADENCENO duplicated": (_cols(_replace("CADENCENO", "J", np.repeat(CAD[: N // 2], 2))), "increasing"),
    "CADENCENO one step back": (_cols(_replace("CADENCENO", "J", np.r_[CAD[:10], CAD[9:N - 1]])), "increasing"),
    "TIME all NaN": (_cols(_replace("TIME", "D", np.full(N, np.nan))), "TIME"),
    "QUALITY beyond 32 bits": (_cols(_replace("QUALITY", "K", np.full(N, 2**40, np.int64))), "QUALITY"),
    "no rows": (lambda h: fits.HDUList([h[0], fits.BinTableHDU.from_columns(
        [fits.Column(c.name, c.format, array=c.array[:0]) for c in h["LIGHTCURVE"].columns],
        header=h["LIGHTCURVE"].header, name="LIGHTCURVE")]), "rows"),
}


@pytest.fixture(scope="module")
def good_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = write(spoc_hdul(N), tmp_path_factory.mktemp("fits") / "good.fits")
    assert read_lightcurve(path).cadence_count == N  # the control reads
    return path


def _assert_refused(conn: Any, path: Path, category: str, word: str | None = None) -> None:
    """read_lightcurve raises FitsFormatError (naming `word`); ingest_file reports failed and writes nothing but
    its one ingest_log row (refused, with the reason)."""
    tally(category)
    with pytest.raises(errors.FitsFormatError) as info:
        read_lightcurve(path)
    if word is not None:
        assert word.lower() in str(info.value).lower(), str(info.value)
    before = row_counts(conn)
    result = ingest_file(conn, path)
    assert result.status == "failed", (category, result)
    assert result.error_type is not None
    assert issubclass(getattr(errors, result.error_type), errors.LightcurveDBError), result.error_type
    after = row_counts(conn)
    assert after.pop("ingest_log") == before.pop("ingest_log") + 1, category
    assert after == before, category
    logged = conn.execute("SELECT outcome, path, reason FROM ingest_log ORDER BY id DESC LIMIT 1").fetchone()
    assert logged == ("refused", str(path.absolute()), " ".join(str(result.error).split())), (category, logged)


@pytest.fixture
def autocommit_conn(fresh_dsn: str) -> Iterator[Any]:
    with lightcurvedb.connect(fresh_dsn) as c:
        yield c


@pytest.mark.parametrize("case", sorted(STRUCTURED))
def test_foreign_and_inconsistent_files_are_refused(autocommit_conn: Any, tmp_path: Path, case: str) -> None:
    mutate, word = STRUCTURED[case]
    path = write(mutate(spoc_hdul(N)), tmp_path / "f.fits")
    _assert_refused(autocommit_conn, path, f"structured: {case}", word)


def test_not_fits_at_all(autocommit_conn: Any, tmp_path: Path) -> None:
    cases = {"empty file": b"", "text": b"hello, world\n" * 100, "zeros": bytes(2880 * 2),
             "SIMPLE card only": b"SIMPLE  =                    T".ljust(2880, b" ")}
    for name, content in cases.items():
        p = tmp_path / f"{name.replace(' ', '_')}.fits"
        p.write_bytes(content)
        _assert_refused(autocommit_conn, p, f"not FITS: {name}")
    _assert_refused(autocommit_conn, tmp_path / "missing.fits", "not FITS: no such file", "no such file")
    (tmp_path / "dir.fits").mkdir()
    _assert_refused(autocommit_conn, tmp_path / "dir.fits", "not FITS: a directory")
    fifo = tmp_path / "fifo.fits"
    os.mkfifo(fifo)  # refused at once, never opened (a read would block)
    _assert_refused(autocommit_conn, fifo, "not FITS: a FIFO", "not a regular file")
    huge = tmp_path / "huge.fits"
    with huge.open("wb") as f:  # sparse: no disk used, and refused before a byte is read
        f.truncate(MAX_FILE_BYTES + 1)
    _assert_refused(autocommit_conn, huge, "not FITS: larger than any lightcurve", "larger than any TESS lightcurve")


def test_truncated_at_many_offsets(autocommit_conn: Any, good_file: Path, tmp_path: Path) -> None:
    data = good_file.read_bytes()
    size = len(data)
    offsets = sorted({1, 79, 80, 2879, 2880, 2881, 5760, size - 2880, size - 1,
                      *range(0, size, max(1, size // 37))} - {0, size})
    for off in offsets:
        p = tmp_path / f"t{off}.fits"
        p.write_bytes(data[:off])
        _assert_refused(autocommit_conn, p, "truncated")


def test_bit_flips_in_headers_and_data(autocommit_conn: Any, good_file: Path, tmp_path: Path) -> None:
    """Each flipped file is either refused (typed, nothing written) or read as a valid lightcurve; never an
    untyped error. Readable flips are ingested (a flipped flux value is still a lightcurve)."""
    data = good_file.read_bytes()
    rng = random.Random(20240611)
    header_end = data.index(b"END" + b" " * 77, 2880) + 80  # end of the LIGHTCURVE header
    positions = [rng.randrange(0, header_end) for _ in range(120)] + \
                [rng.randrange(header_end, len(data)) for _ in range(60)]
    refused_n = 0
    for i, pos in enumerate(positions):
        flipped = bytearray(data)
        flipped[pos] ^= 1 << rng.randrange(8)
        p = tmp_path / f"flip{i}.fits"
        p.write_bytes(bytes(flipped))
        region = "header" if pos < header_end else "data"
        try:
            lc = read_lightcurve(p)
        except errors.FitsFormatError:
            refused_n += 1
            _assert_refused(autocommit_conn, p, f"bit flip in {region} (refused)")
            continue
        except Exception as exc:
            pytest.fail(f"bit flip at byte {pos}: untyped {type(exc).__name__}: {exc}")
        tally(f"bit flip in {region} (still a valid lightcurve)")
        assert lc.cadence_count > 0 and lc.tic_id > 0
        before = row_counts(autocommit_conn)
        result = ingest_file(autocommit_conn, p)
        assert result.status in ("added", "skipped", "failed"), result
        after = row_counts(autocommit_conn)
        assert after["ingest_log"] == before["ingest_log"] + 1
        if result.status == "failed":  # refused by the database after it was read: nothing else stays
            assert result.error_type is not None
            assert issubclass(getattr(errors, result.error_type), errors.LightcurveDBError), result
            assert {**after, "ingest_log": 0} == {**before, "ingest_log": 0}, result
    assert refused_n > 0
