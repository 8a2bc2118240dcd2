"""Train the small default Gluformer shipped with glurpc (training only; offline,
CPU, one thread; never imported by the daemon).

Data: simulated CGM traces from `simulate.py` (simglucose's 30 virtual patients).
Split by patient: #001-#007 of each group train, #008 validates (best epoch), #009
and #010 are held out for the accuracy table in docs/MODEL.md. Inputs are prepared
exactly as at inference (inputs.py) with the bundle's fixed scaler: glucose 40-400
mg/dL and calendar fields over their natural ranges. Loss: Gaussian negative log
likelihood of the 12 future values under (mean, exp(logvar)), as GlucoBench trains
with one sample.

    .venv/bin/python -m glurpcd.model.train --data /tmp/glurpc-sim.npz \
        --out glurpcd/model/default/gluformer_default.pt --epochs 22 --lr 3e-4 --seed 7
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from ..series import INPUT_STEPS, CgmSeries
from .checkpoint import save_bundle
from .evaluate import held_out_table
from .inputs import Scaling, window_inputs
from .network import Gluformer, GluformerConfig

DEFAULT_CONFIG = GluformerConfig(
    d_model=64, n_heads=4, d_fcn=128, r_drop=0.1, num_enc_layers=2, num_dec_layers=1
)
SCALING = {
    "target_min": [40.0],
    "target_max": [400.0],
    "covariate_min": [1.0, 1.0, 2000.0, 0.0, 0.0, 0.0],
    "covariate_max": [31.0, 12.0, 2100.0, 23.0, 59.0, 59.0],
}
VALIDATION = ("#008",)
HELD_OUT = ("#009", "#010")


def load_traces(path: Path) -> dict[str, CgmSeries]:
    with np.load(path) as arrays:
        names = sorted({key.split("/")[0] for key in arrays.files})
        return {
            name: CgmSeries(arrays[f"{name}/times"], arrays[f"{name}/glucose"]) for name in names
        }


def split(traces: dict[str, CgmSeries]) -> tuple[list[str], list[str], list[str]]:
    held = [name for name in traces if name.endswith(HELD_OUT)]
    valid = [name for name in traces if name.endswith(VALIDATION)]
    train = [name for name in traces if name not in held and name not in valid]
    return train, valid, held


def tensors(series_list: list[CgmSeries], scaling: Scaling, label_len: int) -> list[torch.Tensor]:
    """All windows with a known future: x_id, x_enc, x_mark_enc, x_dec, x_mark_dec, y."""
    parts: list[list[np.ndarray]] = [[] for _ in range(5)]
    for series in series_list:
        low, _ = series.index_range()
        indices = list(range(low, 1))
        arrays = window_inputs(series, indices, scaling, label_len)
        starts = np.array([series.input_start(index) for index in indices])
        future = starts[:, None] + INPUT_STEPS + np.arange(12)
        target = scaling.target.transform(series.glucose)[future][..., None]
        for slot, array in enumerate(
            (arrays.x_enc, arrays.x_mark_enc, arrays.x_dec, arrays.x_mark_dec, target)
        ):
            parts[slot].append(array)
    x_enc, mark_enc, x_dec, mark_dec, y = (torch.from_numpy(np.concatenate(p)) for p in parts)
    return [torch.zeros(len(y), 1), x_enc, mark_enc, x_dec, mark_dec, y]


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


def fit(
    model: Gluformer,
    train: list[torch.Tensor],
    valid: list[torch.Tensor],
    minutes: float,
    epochs: int,
    seed: int,
    lr: float,
    schedule: str = "constant",
    batch: int = 64,
) -> dict:
    generator = torch.Generator().manual_seed(seed)
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    steps_per_epoch = len(train[0]) // batch
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lr_factor(schedule, steps_per_epoch, epochs * steps_per_epoch)
    )
    best_loss, best_epoch = float("inf"), -1
    best_state = {key: value.clone() for key, value in model.state_dict().items()}
    deadline = time.monotonic() + minutes * 60
    epoch = 0
    while time.monotonic() < deadline and epoch < epochs:
        model.train()
        order = torch.randperm(len(train[0]), generator=generator)
        for begin in range(0, len(order) - batch + 1, batch):
            rows = [tensor[order[begin : begin + batch]] for tensor in train]
            mean, logvar = model(*rows[:5])
            loss = gaussian_nll(mean, logvar, rows[5])
            optimiser.zero_grad()
            loss.backward()
            # the NLL's exp(-logvar) term spikes when the variance head collapses
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            scheduler.step()
        nll, squared = validation_loss(model, valid)
        # Kept by point accuracy: the NLL rewards an overconfident variance head.
        checked = squared
        print(f"epoch {epoch}: validation nll {nll:.4f} mse {squared:.6f}", flush=True)
        if checked < best_loss:
            best_loss, best_epoch = checked, epoch
            best_state = {key: value.clone() for key, value in model.state_dict().items()}
        epoch += 1
    model.load_state_dict(best_state)
    return {"best_epoch": best_epoch, "epochs": epoch, "validation_mse_scaled": best_loss}


def main() -> None:
    parser = argparse.ArgumentParser(description="Train the shipped default Gluformer")
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--epochs", type=int, default=22, help="stops earlier at --minutes")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--schedule", choices=("constant", "cosine"), default="constant")
    args = parser.parse_args()
    torch.set_num_threads(1)  # the build machine is shared
    torch.manual_seed(args.seed)
    traces = load_traces(args.data)
    train_names, valid_names, held_names = split(traces)
    scaling = Scaling.from_bundle(SCALING)
    label_len = DEFAULT_CONFIG.label_len
    train = tensors([traces[n] for n in train_names], scaling, label_len)
    valid = tensors([traces[n] for n in valid_names], scaling, label_len)
    print(f"{len(train[0])} training windows, {len(valid[0])} validation windows", flush=True)
    model = Gluformer(DEFAULT_CONFIG)
    history = fit(model, train, valid, args.minutes, args.epochs, args.seed, args.lr, args.schedule)
    meta = {
        "trained_on": "simglucose 0.2.11 virtual patients (simulated, not real data)",
        "train_patients": train_names,
        "validation_patients": valid_names,
        "held_out_patients": held_names,
        "seed": args.seed,
        "learning_rate": args.lr,
        "schedule": args.schedule,
        **history,
    }
    save_bundle(args.out, model.eval(), SCALING, meta)
    table = held_out_table(args.out, [traces[n] for n in held_names])
    print(json.dumps({**meta, "held_out": table}, indent=1))


if __name__ == "__main__":
    main()
