from __future__ import annotations

import pytest

from glurpc_core.forecast import WindowForecast
from tests.render.forecasts import make_forecast


@pytest.fixture
def forecast() -> WindowForecast:
    return make_forecast()
