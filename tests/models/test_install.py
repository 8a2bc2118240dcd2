"""`models add` on the file system: the serving loader checks the copy, a
refused or abandoned install leaves nothing behind, a name is never
overwritten, and the directory's trust rules."""

from __future__ import annotations

import os

import pytest

from glurpc_core.errors import OpError
from glurpc_core.model import Forecaster, ModelError
from glurpc_wire.codes import ErrorCode
from glurpcd.models.directory import directory_problem, file_problem
from glurpcd.models.install import Abandoned, install

from .store import make_store


def serving_loader(path):
    Forecaster(path, source="store", samples=2)


@pytest.fixture
def source(tmp_path):
    return make_store(tmp_path / "source", {"alpha": 1}) / "alpha.pt"


def test_a_valid_file_is_copied_in_under_its_name(tmp_path, source):
    directory = tmp_path / "models"
    installed = install(source, directory, "kept", serving_loader)
    assert installed == directory / "kept.pt"
    assert os.listdir(directory) == ["kept.pt"]
    assert installed.read_bytes() == source.read_bytes()
    assert file_problem(installed) is None and directory_problem(directory) is None


@pytest.mark.parametrize("share", [0.0, 0.002, 0.5, 0.999])
def test_a_truncated_file_is_refused_and_nothing_is_left(tmp_path, source, share):
    whole = source.read_bytes()
    keep = int(len(whole) * share)
    truncated = tmp_path / "cut.pt"
    truncated.write_bytes(whole[:keep])
    directory = tmp_path / "models"
    with pytest.raises(ModelError) as refused:
        install(truncated, directory, "cut", serving_loader)
    assert refused.value.code is ErrorCode.MODEL_INVALID
    assert os.listdir(directory) == []


def test_a_taken_name_is_refused_and_the_model_kept(tmp_path, source):
    directory = tmp_path / "models"
    install(source, directory, "kept", serving_loader)
    other = make_store(tmp_path / "other", {"beta": 2}) / "beta.pt"
    with pytest.raises(OpError) as taken:
        install(other, directory, "kept", serving_loader)
    assert taken.value.details["reason"] == "name_taken"
    assert (directory / "kept.pt").read_bytes() == source.read_bytes()
    assert os.listdir(directory) == ["kept.pt"]


def test_a_client_that_left_installs_nothing(tmp_path, source):
    directory = tmp_path / "models"
    with pytest.raises(Abandoned):
        install(source, directory, "late", serving_loader, wanted=lambda: False)
    assert os.listdir(directory) == []


def test_a_missing_file_is_model_not_found(tmp_path):
    with pytest.raises(OpError) as missing:
        install(tmp_path / "nowhere.pt", tmp_path / "models", "x", serving_loader)
    assert missing.value.code is ErrorCode.MODEL_NOT_FOUND
    assert not (tmp_path / "models").exists()


def test_the_directory_and_its_files_follow_the_trust_rules(tmp_path, source):
    directory = make_store(tmp_path / "models", {"alpha": 1})
    assert directory_problem(directory) is None
    os.chmod(directory, 0o777)
    assert "others may write" in directory_problem(directory)
    os.chmod(directory, 0o700)
    link = tmp_path / "linked"
    link.symlink_to(directory)
    assert "symlink" in directory_problem(link)
    (directory / "linked.pt").symlink_to(source)
    assert "symlink" in file_problem(directory / "linked.pt")
    os.chmod(directory / "alpha.pt", 0o666)
    assert "others may write" in file_problem(directory / "alpha.pt")
