"""The daemon's store loader serves a model only under the id it was scanned
with: a file whose bytes changed since the scan is refused, not mislabelled."""

from __future__ import annotations

import shutil

import pytest

from glurpc_core.errors import OpError
from glurpcd.services import store_loader
from glurpcd.settings.config import DaemonConfig
from tests.models.store import make_store, shipped_catalog


def test_a_model_loads_under_its_scanned_id(tmp_path):
    catalog = shipped_catalog(make_store(tmp_path / "models", {"first": 1}))
    load = store_loader(DaemonConfig(tmp_path / "s.sock", tmp_path / "state", samples=2), "cpu")
    file = catalog.get("first")
    assert load(file).model_id == file.model_id


def test_a_file_changed_since_the_scan_is_refused(tmp_path):
    store = make_store(tmp_path / "models", {"first": 1, "second": 2})
    catalog = shipped_catalog(store)
    scanned = catalog.get("first")
    shutil.copyfile(store / "second.pt", store / "first.pt")
    load = store_loader(DaemonConfig(tmp_path / "s.sock", tmp_path / "state", samples=2), "cpu")
    with pytest.raises(OpError) as caught:
        load(scanned)
    assert caught.value.code == "model_invalid"
    assert "changed on disk" in caught.value.message
    assert caught.value.details["scanned"] == scanned.model_id
