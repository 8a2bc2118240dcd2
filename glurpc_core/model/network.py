"""The Gluformer network and its configuration (pure compute: torch only, no I/O).

`Gluformer(config)` has the same parameter names and shapes as GlucoBench's
`Gluformer(d_model, n_heads, ...)`. Calling it runs one forward pass:
(x_id, x_enc, x_mark_enc, x_dec, x_mark_dec) -> (mean [B, len_pred, 1], logvar [B, 1, 1]).
`eval()` gives deterministic outputs; `eval()` plus `sampling(streams)` gives seeded
MC-dropout samples with BatchNorm still on its running statistics.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass

import torch
from torch import nn

from glurpc_core.model.dropout import McDropout, RowStreams
from glurpc_core.model.layers import (
    ConvLayer,
    DataEmbedding,
    Decoder,
    DecoderLayer,
    Encoder,
    EncoderLayer,
    Variance,
    single_output,
)


@dataclass(frozen=True)
class GluformerConfig:
    d_model: int = 512
    n_heads: int = 10
    d_fcn: int = 1024
    r_drop: float = 0.2
    activ: str = "gelu"
    num_enc_layers: int = 2
    num_dec_layers: int = 2
    distil: bool = True
    len_seq: int = 96
    len_pred: int = 12
    num_dynamic_features: int = 6
    num_static_features: int = 1
    label_len: int = 32

    def as_dict(self) -> dict[str, int | float | str | bool]:
        return asdict(self)


PUBLISHED_CONFIG = GluformerConfig()


class Gluformer(nn.Module):
    def __init__(self, config: GluformerConfig) -> None:
        super().__init__()
        c = config
        self.config = config
        self.len_pred = c.len_pred
        self.label_len = c.label_len
        self.enc_embedding = DataEmbedding(
            c.d_model, c.r_drop, c.num_dynamic_features, c.num_static_features
        )
        self.dec_embedding = DataEmbedding(
            c.d_model, c.r_drop, c.num_dynamic_features, c.num_static_features
        )
        self.encoder = Encoder(
            [
                EncoderLayer(c.d_model, c.n_heads, c.d_fcn, c.r_drop, c.activ)
                for _ in range(c.num_enc_layers)
            ],
            [ConvLayer(c.d_model) for _ in range(c.num_enc_layers - 1)] if c.distil else [],
            c.d_model,
        )
        self.decoder = Decoder(
            [
                DecoderLayer(c.d_model, c.n_heads, c.d_fcn, c.r_drop, c.activ)
                for _ in range(c.num_dec_layers)
            ],
            c.d_model,
        )
        self.projection = nn.Linear(c.d_model, 1)
        self.var = Variance(c.d_model, c.r_drop, c.len_seq)

    def forward(
        self,
        x_id: torch.Tensor,
        x_enc: torch.Tensor,
        x_mark_enc: torch.Tensor,
        x_dec: torch.Tensor,
        x_mark_dec: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        enc_tokens = self.enc_embedding(x_id, x_enc, x_mark_enc)
        logvar = self.var(enc_tokens)
        memory = self.encoder(enc_tokens)
        dec_tokens = self.dec_embedding(x_id, x_dec, x_mark_dec)
        # Only the last len_pred decoder tokens are returned, so the last layer
        # computes only those rows.
        dec_out = self.decoder(dec_tokens, memory, keep_last=self.len_pred)
        return single_output(self.projection, dec_out)[:, -self.len_pred :, :], logvar

    def dropout_sites(self) -> list[McDropout]:
        return [module for module in self.modules() if isinstance(module, McDropout)]

    @contextmanager
    def sampling(self, streams: RowStreams) -> Iterator[None]:
        """MC dropout for the forward passes inside: every dropout site draws each
        row's mask from that row's stream. Call in eval mode."""
        sites = self.dropout_sites()
        for site in sites:
            site.streams = streams
        try:
            yield
        finally:
            for site in sites:
                site.streams = None

    def parameter_count(self) -> int:
        return sum(parameter.numel() for parameter in self.parameters())
