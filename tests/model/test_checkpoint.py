"""load_checkpoint: published layout loads with its configuration inferred; damaged
or foreign files are refused with a clear ModelError."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from glurpc_core.model import PUBLISHED_CONFIG, ModelError, load_checkpoint
from glurpc_core.model.checkpoint import open_checkpoint

from .conftest import SMALL


def test_published_layout_loads_with_inferred_config(published_checkpoint: Path) -> None:
    model, config = load_checkpoint(published_checkpoint)
    assert config == PUBLISHED_CONFIG
    assert model.parameter_count() == 11_294_272
    assert len(model.state_dict()) == 115
    assert not model.training


def test_bundle_keeps_config_and_scaling(small_bundle: Path) -> None:
    model, config, scaling = open_checkpoint(small_bundle)
    assert config == SMALL
    assert scaling is not None and scaling["target_max"] == [400.0]
    # position tables are left out of bundles and rebuilt identically
    raw = torch.load(small_bundle, weights_only=True)
    assert "enc_embedding.positional_embedding.pos_emb" not in raw["state_dict"]


def test_truncated_file_is_refused(published_checkpoint: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "damaged_weights.pth"
    damaged.write_bytes(published_checkpoint.read_bytes()[:5_000_000])
    with pytest.raises(ModelError) as caught:
        load_checkpoint(damaged)
    assert caught.value.code == "model_invalid"
    assert str(damaged) in caught.value.message


def test_garbage_file_is_refused(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"not a checkpoint at all" * 100)
    with pytest.raises(ModelError, match="not a readable weights file"):
        load_checkpoint(garbage)


def test_missing_file_has_its_own_code(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as caught:
        load_checkpoint(tmp_path / "absent.pth")
    assert caught.value.code == "model_not_found"


@pytest.mark.parametrize(
    "damage",
    ["drop_key", "extra_key", "wrong_shape", "not_finite", "not_a_dict"],
)
def test_mismatched_state_dict_is_refused(small_bare: Path, tmp_path: Path, damage: str) -> None:
    state = torch.load(small_bare, weights_only=True)
    if damage == "drop_key":
        del state["decoder.norm.bias"]
    elif damage == "extra_key":
        state["decoder.extra.weight"] = torch.zeros(3)
    elif damage == "wrong_shape":
        state["projection.weight"] = torch.zeros(2, 16)
    elif damage == "not_finite":
        state["projection.bias"] = torch.tensor([float("nan")])
    else:
        state = [1, 2, 3]
    path = tmp_path / "small_2heads_weights.pth"
    torch.save(state, path)
    with pytest.raises(ModelError) as caught:
        load_checkpoint(path)
    assert caught.value.code == "model_invalid"


def test_code_never_runs_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "pickled.pth"
    torch.save({"weights": Path("/")}, path)  # an arbitrary object needs full unpickling
    with pytest.raises(ModelError, match="not a readable weights file"):
        load_checkpoint(path)


def test_the_finiteness_check_tells_overflowing_sums_from_non_finite_values():
    from glurpc_core.model.checkpoint import _all_finite

    assert _all_finite(torch.tensor([3e38, 3e38]))  # finite values whose sum overflows
    assert not _all_finite(torch.tensor([1.0, float("inf")]))
    assert not _all_finite(torch.tensor([float("nan"), 1.0], dtype=torch.float16))


def test_the_loaded_network_holds_the_files_tensors_as_float32(
    small_bare: Path, tmp_path: Path
) -> None:
    """The network is built without weights and takes the file's tensors:
    every one must arrive (none left on the meta device), in float32 even
    when the file stores half precision, with the file's values."""
    state = torch.load(small_bare, weights_only=True)
    half = tmp_path / "small_2heads_half.pth"
    torch.save({key: value.half() if value.is_floating_point() else value
                for key, value in state.items()}, half)  # fmt: skip
    model, _ = load_checkpoint(half)
    loaded = model.state_dict()
    assert set(loaded) == set(state)
    for key, value in loaded.items():
        assert not value.is_meta, key
        if value.is_floating_point():
            assert value.dtype == torch.float32, key
            assert torch.equal(value, state[key].half().float()), key


def test_the_model_id_names_the_bytes_that_were_loaded(small_bundle: Path) -> None:
    """One read gives both the weights and their digest, and that digest is
    the one the store computes from the file without loading it."""
    from glurpc_core.model.checkpoint import open_weights, weights_digest

    assert open_weights(small_bundle).sha256 == weights_digest(small_bundle)
