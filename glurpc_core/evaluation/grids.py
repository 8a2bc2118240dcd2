"""Clinical error grids: which zone each (reference, forecast) pair falls in
(pure numpy; mg/dL on both axes).

Clarke et al. 1987 (Diabetes Care 10:622), zones by their published rules:
A within 20 % of the reference, or both below 70; E a reference at most 70
read as 180 or more, or a reference of 180 or more read as 70 or less; C an
overcorrection (70 <= ref <= 290 and forecast >= ref + 110, or 130 <= ref <= 180
and forecast <= 7/5 ref - 182); D a failure to detect (ref >= 240 with the
forecast in 70-180, or ref <= 70 with the forecast in 70-180 above the A
zone); B the rest.

Parkes et al. 2000 (Diabetes Care 23:1143), the consensus grid for type 1
diabetes, as the vertices of its zone boundaries (reference, forecast) listed
by Pfuetzner et al. 2013 (J Diabetes Sci Technol 7:1275). Each boundary is a
polyline that is a function of the reference; its last segment continues past
the chart. A pair on a boundary belongs to the inner (better) zone, the
convention Clarke's "within 20 %" already uses.

No library fit: the two on PyPI are a plotly-only Clarke grid and an
unmaintained single release (checked 2026).
"""

from __future__ import annotations

import numpy as np

ZONES = ("A", "B", "C", "D", "E")
GRIDS = ("clarke", "parkes")

# Parkes type 1: upper boundaries (forecast too high) from A outwards, and lower
# boundaries (forecast too low), each starting at the reference where it begins.
Polyline = tuple[tuple[int, int], ...]
PARKES_UPPER: tuple[Polyline, ...] = (
    ((0, 50), (30, 50), (140, 170), (280, 380), (430, 550)),  # A | B
    ((0, 60), (30, 60), (50, 80), (70, 110), (260, 550)),  # B | C
    ((0, 100), (25, 100), (50, 125), (80, 215), (125, 550)),  # C | D
    ((0, 150), (35, 155), (50, 550)),  # D | E
)
PARKES_LOWER: tuple[Polyline, ...] = (
    ((50, 30), (170, 145), (385, 300), (550, 450)),  # A | B, from a vertical at 50
    ((120, 30), (260, 130), (550, 250)),  # B | C, from a vertical at 120
    ((250, 40), (550, 150)),  # C | D, from a vertical at 250
)


def clarke_zones(reference: np.ndarray, forecast: np.ndarray) -> np.ndarray:
    """Zone letters ("A".."E") of each pair, same shape as the inputs."""
    x = np.asarray(reference, dtype=np.float64)
    y = np.asarray(forecast, dtype=np.float64)
    zone = np.full(np.broadcast(x, y).shape, "B")
    upper_d = (x <= 70) & (y >= 70) & (y < 180) & (y > 1.2 * x)
    right_d = (x >= 240) & (y >= 70) & (y <= 180)
    zone[upper_d | right_d] = "D"
    upper_c = (x >= 70) & (x <= 290) & (y >= x + 110)
    lower_c = (x >= 130) & (x <= 180) & (y <= 1.4 * x - 182)
    zone[upper_c | lower_c] = "C"
    zone[((x <= 70) & (y >= 180)) | ((x >= 180) & (y <= 70))] = "E"
    zone[(np.abs(y - x) <= 0.2 * x) | ((x < 70) & (y < 70))] = "A"
    return zone


def _polyline(vertices: Polyline, x: np.ndarray) -> np.ndarray:
    """The boundary's forecast value at each reference x: linear between vertices,
    the last segment extended past the last vertex."""
    xs = np.array([v[0] for v in vertices], dtype=np.float64)
    ys = np.array([v[1] for v in vertices], dtype=np.float64)
    slope = (ys[-1] - ys[-2]) / (xs[-1] - xs[-2])
    beyond = ys[-1] + slope * (x - xs[-1])
    return np.where(x > xs[-1], beyond, np.interp(x, xs, ys))


def parkes_zones(reference: np.ndarray, forecast: np.ndarray) -> np.ndarray:
    """Zone letters of each pair on the Parkes (consensus) grid for type 1 diabetes."""
    x = np.asarray(reference, dtype=np.float64)
    y = np.asarray(forecast, dtype=np.float64)
    x, y = np.broadcast_arrays(x, y)
    # How many boundaries each pair lies beyond, above and below: its zone index.
    above = sum((y > _polyline(line, x)).astype(int) for line in PARKES_UPPER)
    below = sum(((x >= line[0][0]) & (y < _polyline(line, x))).astype(int) for line in PARKES_LOWER)
    return np.array(ZONES)[np.maximum(above, below)]


def zone_shares(zones: np.ndarray) -> dict[str, float]:
    """Share of pairs in each zone, A..E (zeros when there are none)."""
    total = zones.size
    return {zone: float((zones == zone).sum() / total) if total else 0.0 for zone in ZONES}


def grid_zones(grid: str, reference: np.ndarray, forecast: np.ndarray) -> np.ndarray:
    """Zones on the grid named `grid` (one of GRIDS)."""
    zones = clarke_zones if grid == "clarke" else parkes_zones
    return zones(reference, forecast)
