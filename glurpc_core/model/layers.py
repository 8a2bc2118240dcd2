"""Gluformer building blocks in plain torch (pure compute: no I/O, never asyncio).

Module and parameter names follow GlucoBench 0.4.1's `lib/gluformer` exactly, so a
GlucoBench state dict loads with `strict=True`; the arithmetic follows it op by op
(docs/REFERENCE.md, "Architecture"). Two choices of our own that do not change the
numbers: kernel-size-1 "convs" run as matrix products on [B, L, C] (no transposes),
and the decoder's last layer may compute only the query rows that reach the output.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from glurpc_core.model.dropout import McDropout


def sinusoid_table(d_model: int, max_len: int = 5000) -> torch.Tensor:
    """The fixed positional table [1, max_len, d_model], computed in float32."""
    table = torch.zeros(max_len, d_model)
    position = torch.arange(0, max_len).unsqueeze(1)
    frequency = (torch.arange(0, d_model, 2) * -(math.log(10000.0) / d_model)).exp()
    table[:, 0::2] = torch.sin(position * frequency)
    table[:, 1::2] = torch.cos(position * frequency)
    return table.unsqueeze(0)


class PositionalEmbedding(nn.Module):
    def __init__(self, d_model: int) -> None:
        super().__init__()
        self.pos_emb: torch.Tensor
        self.register_buffer("pos_emb", sinusoid_table(d_model))


class TokenEmbedding(nn.Module):
    def __init__(self, d_model: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(1, d_model, kernel_size=3, padding=1, padding_mode="circular")


class TemporalEmbedding(nn.Module):
    def __init__(self, d_model: int, num_features: int) -> None:
        super().__init__()
        self.embed = nn.Linear(num_features, d_model)


class SubjectEmbedding(nn.Module):
    def __init__(self, d_model: int, num_features: int) -> None:
        super().__init__()
        self.id_embedding = nn.Linear(num_features, d_model)


class DataEmbedding(nn.Module):
    """Value conv + position + time features, with the subject token prepended."""

    def __init__(self, d_model: int, r_drop: float, num_dynamic: int, num_static: int) -> None:
        super().__init__()
        self.value_embedding = TokenEmbedding(d_model)
        self.time_embedding = TemporalEmbedding(d_model, num_dynamic)
        self.positional_embedding = PositionalEmbedding(d_model)
        self.subject_embedding = SubjectEmbedding(d_model, num_static)
        self.dropout = McDropout(r_drop)

    def forward(self, x_id: torch.Tensor, x: torch.Tensor, x_mark: torch.Tensor) -> torch.Tensor:
        length = x.shape[1]
        values = self.value_embedding.conv(x.transpose(1, 2)).transpose(1, 2)
        tokens = values + self.positional_embedding.pos_emb[:, :length]
        tokens = tokens + self.time_embedding.embed(x_mark)
        subject = self.subject_embedding.id_embedding(x_id).unsqueeze(1)
        return self.dropout(torch.cat((subject, tokens), dim=1))


class MultiheadAttention(nn.Module):
    """Full attention; heads are contiguous blocks of d_model // n_heads features.

    With `mask_flag`, query row i may see keys up to its own position; when fewer
    queries than keys are given, the queries are the last ones of the sequence."""

    def __init__(self, d_model: int, n_heads: int, mask_flag: bool, r_drop: float) -> None:
        super().__init__()
        self.h, self.d, self.mask_flag = n_heads, d_model // n_heads, mask_flag
        self.proj_q = nn.Linear(d_model, self.h * self.d)
        self.proj_k = nn.Linear(d_model, self.h * self.d)
        self.proj_v = nn.Linear(d_model, self.h * self.d)
        self.proj_out = nn.Linear(self.h * self.d, d_model)
        self.dropout = McDropout(r_drop)

    def forward(self, q: torch.Tensor, kv: torch.Tensor) -> torch.Tensor:
        batch, n_q, n_k, h, d = q.shape[0], q.shape[1], kv.shape[1], self.h, self.d
        # One wide matrix product instead of three narrow ones: same numbers, faster.
        if q is kv:
            query, key, value = fused(x=q, linears=(self.proj_q, self.proj_k, self.proj_v))
        else:
            query = self.proj_q(q)
            key, value = fused(x=kv, linears=(self.proj_k, self.proj_v))
        query = query.view(batch, n_q, h, d).transpose(1, 2)
        key = key.view(batch, n_k, h, d).permute(0, 2, 3, 1)
        value = value.view(batch, n_k, h, d).transpose(1, 2)
        scores = torch.matmul(query, key)
        if self.mask_flag:
            future = torch.ones(n_q, n_k, dtype=torch.bool, device=q.device)
            scores = scores.masked_fill(future.triu(1 + n_k - n_q), -math.inf)
        attention = self.dropout(F.softmax(scores / (d**0.5), dim=-1))
        merged = torch.matmul(attention, value).transpose(1, 2).reshape(batch, n_q, h * d)
        return self.proj_out(merged)


def fused(x: torch.Tensor, linears: tuple[nn.Linear, ...]) -> tuple[torch.Tensor, ...]:
    """Several Linears of one input as a single matrix product, split back."""
    weight = torch.cat([linear.weight for linear in linears])
    bias = torch.cat([linear.bias for linear in linears])
    return F.linear(x, weight, bias).split(linears[0].out_features, dim=-1)


def pointwise(conv: nn.Conv1d, x: torch.Tensor) -> torch.Tensor:
    """A kernel-size-1 Conv1d applied to [B, L, C_in] as a matrix product."""
    return F.linear(x, conv.weight.squeeze(-1), conv.bias)


def single_output(linear: nn.Linear, x: torch.Tensor) -> torch.Tensor:
    """A Linear with one output, as a per-row product and sum: torch's matrix-vector
    kernel rounds differently with the batch size, which would make a window's
    numbers depend on the batch it shares."""
    return (x * linear.weight[0]).sum(dim=-1, keepdim=True) + linear.bias


def activation(name: str) -> Callable[[torch.Tensor], torch.Tensor]:
    if name == "relu":
        return F.relu
    if name == "gelu":
        return F.gelu
    raise ValueError(f"unknown activation {name!r}")


class EncoderLayer(nn.Module):
    def __init__(self, d_model: int, n_heads: int, d_fcn: int, r_drop: float, activ: str) -> None:
        super().__init__()
        self.att = MultiheadAttention(d_model, n_heads, False, r_drop)
        self.conv1 = nn.Conv1d(d_model, d_fcn, kernel_size=1)
        self.conv2 = nn.Conv1d(d_fcn, d_model, kernel_size=1)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.dropout = McDropout(r_drop)
        self.activ = activation(activ)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.norm1(x + self.dropout(self.att(x, x)))
        hidden = self.dropout(self.activ(pointwise(self.conv1, x)))
        return self.norm2(x + self.dropout(pointwise(self.conv2, hidden)))


class ConvLayer(nn.Module):
    """Distilling: circular conv, BatchNorm, ELU, max-pool halving the tokens."""

    def __init__(self, d_model: int) -> None:
        super().__init__()
        self.downConv = nn.Conv1d(d_model, d_model, 3, padding=1, padding_mode="circular")
        self.norm = nn.BatchNorm1d(d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.elu(self.norm(self.downConv(x.transpose(1, 2))))
        return F.max_pool1d(x, kernel_size=3, stride=2, padding=1).transpose(1, 2)


class Encoder(nn.Module):
    def __init__(self, layers: list[EncoderLayer], convs: list[ConvLayer], d_model: int) -> None:
        super().__init__()
        self.enc_layers = nn.ModuleList(layers)
        # GlucoBench registers None when not distilling; keep that state-dict shape.
        self.conv_layers: nn.ModuleList | None = nn.ModuleList(convs) if convs else None
        self.norm = nn.LayerNorm(d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.conv_layers is not None:
            for layer, conv in zip(self.enc_layers, self.conv_layers, strict=False):
                x = conv(layer(x))
            x = self.enc_layers[-1](x)
        else:
            for layer in self.enc_layers:
                x = layer(x)
        return self.norm(x)


class DecoderLayer(nn.Module):
    def __init__(self, d_model: int, n_heads: int, d_fcn: int, r_drop: float, activ: str) -> None:
        super().__init__()
        self.self_att = MultiheadAttention(d_model, n_heads, True, r_drop)
        self.cross_att = MultiheadAttention(d_model, n_heads, False, r_drop)
        self.conv1 = nn.Conv1d(d_model, d_fcn, kernel_size=1)
        self.conv2 = nn.Conv1d(d_fcn, d_model, kernel_size=1)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.norm3 = nn.LayerNorm(d_model)
        self.dropout = McDropout(r_drop)
        self.activ = activation(activ)

    def forward(self, x: torch.Tensor, memory: torch.Tensor, keep_last: int = 0) -> torch.Tensor:
        """`keep_last` > 0 computes only the last that many rows (a causal layer's
        later rows never feed its earlier ones, so those rows come out the same)."""
        query = x[:, -keep_last:] if keep_last else x
        x = self.norm1(query + self.self_att(query, x))
        x = self.norm2(x + self.cross_att(x, memory))
        hidden = self.dropout(self.activ(pointwise(self.conv1, x)))
        return self.norm3(x + self.dropout(pointwise(self.conv2, hidden)))


class Decoder(nn.Module):
    def __init__(self, layers: list[DecoderLayer], d_model: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.norm = nn.LayerNorm(d_model)

    def forward(self, x: torch.Tensor, memory: torch.Tensor, keep_last: int) -> torch.Tensor:
        last = len(self.layers) - 1
        for number, layer in enumerate(self.layers):
            x = layer(x, memory, keep_last if number == last else 0)
        return self.norm(x)


class Variance(nn.Module):
    """Log-variance head on the encoder embedding, bounded to (-10, 10)."""

    def __init__(self, d_model: int, r_drop: float, len_seq: int) -> None:
        super().__init__()
        self.proj1 = nn.Linear(d_model, 1)
        self.dropout = McDropout(r_drop)
        self.proj2 = nn.Linear(len_seq + 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.dropout(F.relu(single_output(self.proj1, x))).transpose(1, 2)
        return 10 * torch.tanh(single_output(self.proj2, x))
