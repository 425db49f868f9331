"""A small TESS world (mission, catalog, target, camera/CCD tree, processing group, observation) per test."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import psycopg
import pytest

from lightcurvedb.queries import instruments, missions, observations, processing, targets
from lightcurvedb.records.instruments import InstrumentRecord
from lightcurvedb.records.missions import MissionCatalogRecord, MissionRecord
from lightcurvedb.records.observations import TessObservationRecord
from lightcurvedb.records.processing import ProcessingGroupRecord
from lightcurvedb.records.targets import TargetRecord

CADENCES = np.arange(100, 110, dtype=np.int64)


@dataclass
class World:
    mission: MissionRecord
    tic: MissionCatalogRecord
    target: TargetRecord
    tess: InstrumentRecord
    ccd: InstrumentRecord
    group: ProcessingGroupRecord
    observation: TessObservationRecord


@pytest.fixture
def world(conn: psycopg.Connection[Any]) -> World:
    return make_world(conn)


def make_world(conn: psycopg.Connection[Any]) -> World:
    """Create the small TESS world on `conn` (the caller owns the transaction)."""
    mission = missions.create_mission(conn, name="TESS", description=None, time_unit="d", time_epoch=2457000.0,
                                      time_epoch_scale="tdb", time_epoch_format="jd", time_format_name="btjd")
    tic = missions.create_catalog(conn, host_mission_id=mission.id, name="TIC")
    target = targets.create_target(conn, catalog_id=tic.id, name=261136679)
    tess = instruments.create_instrument(conn, name="TESS", properties={})
    camera = instruments.create_instrument(conn, name="Camera 1", properties={"camera": 1}, parent_id=tess.id)
    ccd = instruments.create_instrument(conn, name="CCD 2", properties={"ccd": 2}, parent_id=camera.id)
    group = processing.get_or_create_processing_group(conn, source_name="SAP", method_name="PDC",
                                                      name="SPOC PDCSAP")
    obs = observations.create_tess_observation(conn, instrument_id=ccd.id, cadence_reference=CADENCES, sector=5,
                                               orbit_number=17)
    return World(mission, tic, target, tess, ccd, group, obs)
