"""`at`: a time on the file's own clock; one with a zone is refused, never ignored."""

from __future__ import annotations

import numpy as np
import pytest

from glurpc_core.errors import OpError
from glurpc_core.requests.selection import parse_at


def test_a_plain_time_is_read_on_the_files_clock() -> None:
    assert parse_at("2023-03-15T12:00") == np.datetime64("2023-03-15T12:00:00")


@pytest.mark.parametrize("value", ["2023-03-15T12:00+05:00", "2023-03-15T12:00Z", "yesterday", 7])
def test_a_zone_or_a_non_time_is_a_bad_request(value: object) -> None:
    # With the offset dropped, +05:00 and Z picked the same window as the plain
    # time: five hours from the instant meant.
    with pytest.raises(OpError) as caught:
        parse_at(value)
    assert caught.value.code == "bad_request"
