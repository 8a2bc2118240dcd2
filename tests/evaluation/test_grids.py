"""Clarke and Parkes (type 1) error-grid zones on points whose zones follow
from the published boundaries by hand, and the zone shares."""

from __future__ import annotations

import numpy as np
import pytest

from glurpc_core.evaluation.grids import clarke_zones, parkes_zones, zone_shares
from glurpc_core.render.evaluation import CLARKE_LETTERS, PARKES_LETTERS

# (reference, forecast, zone), each worked out from Clarke et al. 1987's rules.
CLARKE_CASES = [
    (100, 100, "A"),  # exact
    (100, 120, "A"),  # 20 % above: on the A boundary, which belongs to A
    (60, 40, "A"),  # both below 70
    (50, 200, "E"),  # a low read as high: treat the wrong way
    (250, 50, "E"),  # a high read as low
    (100, 250, "C"),  # 250 >= 100 + 110: overcorrection upwards
    (170, 50, "C"),  # 50 <= 7/5 * 170 - 182 = 56: overcorrection downwards
    (300, 100, "D"),  # ref >= 240 read as 70-180: a high missed
    (50, 100, "D"),  # ref <= 70 read as 70-180 above the A zone: a low missed
    (200, 150, "B"),  # 25 % low, nothing worse
    (150, 40, "B"),  # low, but above the C line (7/5 * 150 - 182 = 28)
    (300, 400, "B"),  # 33 % high but not 110 above
]

# Worked out from the Parkes type 1 vertices (Pfuetzner et al. 2013): e.g. at
# reference 100 the A|B line is 50 + 70 * 120/110 = 126.4, B|C 110 + 30 * 440/190
# = 179.5; at 300 the lower lines are 238.7 (A|B), 146.6 (B|C) and 58.3 (C|D).
PARKES_CASES = [
    (100, 100, "A"),
    (100, 140, "B"),
    (100, 200, "C"),
    (30, 120, "D"),  # above C|D (105), below D|E (154.3)
    (30, 200, "E"),
    (300, 200, "B"),
    (300, 100, "C"),
    (300, 50, "D"),
    (40, 10, "A"),  # left of the vertical at 50: no lower boundary yet
    (120, 10, "C"),  # below A|B (97.1) and B|C (30, from its vertical at 120)
    (500, 600, "A"),  # past the last vertex the A|B line continues: 629.3
]


@pytest.mark.parametrize(("reference", "forecast", "zone"), CLARKE_CASES)
def test_clarke_zone_of_a_point(reference: int, forecast: int, zone: str) -> None:
    assert clarke_zones(np.array([reference]), np.array([forecast]))[0] == zone


@pytest.mark.parametrize(("reference", "forecast", "zone"), PARKES_CASES)
def test_parkes_zone_of_a_point(reference: int, forecast: int, zone: str) -> None:
    assert parkes_zones(np.array([reference]), np.array([forecast]))[0] == zone


def test_zones_of_many_points_at_once_match_one_at_a_time() -> None:
    reference = np.array([c[0] for c in CLARKE_CASES], dtype=float)
    forecast = np.array([c[1] for c in CLARKE_CASES], dtype=float)
    assert clarke_zones(reference, forecast).tolist() == [c[2] for c in CLARKE_CASES]


def test_a_point_on_a_parkes_boundary_belongs_to_the_inner_zone() -> None:
    # (140, 170) is a vertex of the A|B line.
    assert parkes_zones(np.array([140.0]), np.array([170.0]))[0] == "A"
    assert parkes_zones(np.array([140.0]), np.array([170.5]))[0] == "B"


def test_zone_shares_count_every_zone() -> None:
    shares = zone_shares(np.array(["A", "A", "B", "E"]))
    assert shares == {"A": 0.5, "B": 0.25, "C": 0.0, "D": 0.0, "E": 0.25}
    assert zone_shares(np.array([], dtype=str)) == dict.fromkeys("ABCDE", 0.0)


def test_the_figure_writes_each_zone_letter_inside_its_zone() -> None:
    for letter, x, y in CLARKE_LETTERS:
        assert clarke_zones(np.array([x]), np.array([y]))[0] == letter
    for letter, x, y in PARKES_LETTERS:
        assert parkes_zones(np.array([x]), np.array([y]))[0] == letter
