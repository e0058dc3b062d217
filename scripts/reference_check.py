#!/usr/bin/env python3
"""reference_check.py DUMP_DIR: compare the engine with an independent PyTorch GPT-2.

DUMP_DIR holds what native/tools/reference_dump wrote: model.ckpt (a Seedling checkpoint),
dump.bin and dump.json (the engine's logits, losses, gradients and weights after AdamW steps).

This script shares no code with the engine. It parses the checkpoint with its own reader (the
layout documented in native/src/io/checkpoint_format.h), builds GPT-2 from torch.nn parts, and checks:

  forward/backward  logits, loss and every parameter gradient against PyTorch in float64, so the
                    difference measured is the engine's own float32 error. Tolerance: max |diff|
                    <= 2e-5 x max |reference| per tensor. float32 keeps ~7 digits; sums over at
                    most 4C = 192 terms through two layers lose about one of them, and correct
                    code measures ~1e-6 here (20x margin). A real mistake (a transposed weight, a
                    missing bias, a wrong scale, an off-by-one mask) shows as O(1); even the exact
                    GELU in place of GPT-2's tanh approximation shows as 2e-4..4e-4 (10x over).
                    The weights are random at order-one scale (see reference_dump.c) so that
                    every nonlinearity matters.
  AdamW             two steps of torch.optim.AdamW in float32, fed the engine's own gradients, with
                    decay on parameters that are matrices (ndim >= 2) and not on biases or
                    LayerNorm, against the engine's weights after the same steps. Both do the same
                    few float32 operations per element, so they agree to a few ulps: tolerance
                    8 x float32 epsilon x max |weight| per tensor. That still sees a missing decay
                    on a 0.02-sized weight (lr * wd * w = 2e-6) or a wrong bias correction.

Prints the largest differences per tensor and exits 1 if any exceeds its tolerance.
"""
import json
import math
import struct
import sys
import zlib
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

FWD_RTOL = 2e-5
ADAM_ULPS = 8
FLOAT32_EPS = float(np.finfo(np.float32).eps)

TENSOR_NAMES = ["wte", "wpe", "ln1w", "ln1b", "qkvw", "qkvb", "attprojw", "attprojb",
                "ln2w", "ln2b", "fcw", "fcb", "fcprojw", "fcprojb", "lnfw", "lnfb"]


# ---- checkpoint reader ---------------------------------------------------------------------------

def tensor_shapes(cfg):
    V, T, C, L = cfg["vocab_size"], cfg["context_length"], cfg["d_model"], cfg["n_layers"]
    return {
        "wte": (V, C), "wpe": (T, C), "ln1w": (L, C), "ln1b": (L, C),
        "qkvw": (L, 3 * C, C), "qkvb": (L, 3 * C), "attprojw": (L, C, C), "attprojb": (L, C),
        "ln2w": (L, C), "ln2b": (L, C), "fcw": (L, 4 * C, C), "fcb": (L, 4 * C),
        "fcprojw": (L, C, 4 * C), "fcprojb": (L, C), "lnfw": (C,), "lnfb": (C,),
    }


def read_checkpoint(path):
    data = Path(path).read_bytes()
    if data[:8] != b"SEEDLING":
        raise ValueError(f"{path}: bad magic")
    version, header_len = struct.unpack_from("<II", data, 8)
    if version != 1:
        raise ValueError(f"{path}: format version {version}, this reader knows 1")
    dtype, n_sections = struct.unpack_from("<II", data, 16)
    pos = 16 + header_len
    sections = {}
    for _ in range(n_sections):
        tag, crc, length = struct.unpack_from("<4sIQ", data, pos)
        pos += 16
        payload = data[pos:pos + length]
        if len(payload) != length:
            raise ValueError(f"{path}: section {tag!r} truncated")
        if zlib.crc32(payload) != crc:
            raise ValueError(f"{path}: section {tag!r} fails its CRC")
        sections[tag.decode("ascii")] = payload
        pos += length
    if pos != len(data):
        raise ValueError(f"{path}: {len(data) - pos} trailing bytes")
    keys = ["vocab_size", "context_length", "d_model", "n_layers", "n_heads"]
    cfg = dict(zip(keys, struct.unpack("<5i", sections["CONF"])))
    if dtype != 0:
        raise ValueError(f"{path}: weights dtype {dtype}; this check reads f32 (0) only")
    flat = np.frombuffer(sections["WGHT"], dtype="<f4")
    weights, offset = {}, 0
    for name, shape in tensor_shapes(cfg).items():
        n = int(np.prod(shape))
        weights[name] = flat[offset:offset + n].reshape(shape).copy()
        offset += n
    if offset != flat.size:
        raise ValueError(f"{path}: weights hold {flat.size} floats, the config needs {offset}")
    return cfg, weights


def read_dump(directory):
    meta = json.loads((Path(directory) / "dump.json").read_text())
    flat = np.fromfile(Path(directory) / "dump.bin", dtype="<f4")
    arrays = {}
    for a in meta["arrays"]:
        n = int(np.prod(a["shape"]))
        arrays[a["name"]] = flat[a["offset"]:a["offset"] + n].reshape(a["shape"])
    return meta, arrays


# ---- the model ---------------------------------------------------------------------------------

class Block(nn.Module):
    def __init__(self, C, NH):
        super().__init__()
        self.n_heads = NH
        self.ln1 = nn.LayerNorm(C, eps=1e-5)
        self.qkv = nn.Linear(C, 3 * C)
        self.attn_proj = nn.Linear(C, C)
        self.ln2 = nn.LayerNorm(C, eps=1e-5)
        self.fc = nn.Linear(C, 4 * C)
        self.fc_proj = nn.Linear(4 * C, C)

    def forward(self, x):
        B, T, C = x.shape
        hs = C // self.n_heads
        q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, self.n_heads, hs).transpose(1, 2) for t in (q, k, v))
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(hs)
        causal = torch.ones(T, T, dtype=torch.bool).tril()
        scores = scores.masked_fill(~causal, float("-inf"))
        y = (scores.softmax(dim=-1) @ v).transpose(1, 2).reshape(B, T, C)
        x = x + self.attn_proj(y)
        return x + self.fc_proj(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        C = cfg["d_model"]
        self.wte = nn.Embedding(cfg["vocab_size"], C)
        self.wpe = nn.Embedding(cfg["context_length"], C)
        self.blocks = nn.ModuleList(Block(C, cfg["n_heads"]) for _ in range(cfg["n_layers"]))
        self.ln_f = nn.LayerNorm(C, eps=1e-5)

    def forward(self, idx):
        T = idx.shape[1]
        x = self.wte(idx) + self.wpe(torch.arange(T))
        for block in self.blocks:
            x = block(x)
        return self.ln_f(x) @ self.wte.weight.T  # tied output embedding


# Which torch parameter(s) hold each engine tensor; per-layer tensors stack over the blocks.
PER_LAYER = {"ln1w": "ln1.weight", "ln1b": "ln1.bias", "qkvw": "qkv.weight", "qkvb": "qkv.bias",
             "attprojw": "attn_proj.weight", "attprojb": "attn_proj.bias", "ln2w": "ln2.weight",
             "ln2b": "ln2.bias", "fcw": "fc.weight", "fcb": "fc.bias", "fcprojw": "fc_proj.weight",
             "fcprojb": "fc_proj.bias"}
GLOBAL = {"wte": "wte.weight", "wpe": "wpe.weight", "lnfw": "ln_f.weight", "lnfb": "ln_f.bias"}


def torch_params_of(model, name):
    named = dict(model.named_parameters())
    if name in GLOBAL:
        return [named[GLOBAL[name]]]
    return [named[f"blocks.{l}.{PER_LAYER[name]}"] for l in range(len(model.blocks))]


def load_weights(model, weights):
    with torch.no_grad():
        for name, value in weights.items():
            params = torch_params_of(model, name)
            parts = [value] if len(params) == 1 else list(value)
            for p, part in zip(params, parts):
                p.copy_(torch.from_numpy(np.ascontiguousarray(part)).to(p.dtype))


def stacked(model, name, grad):
    ts = [(p.grad if grad else p).detach() for p in torch_params_of(model, name)]
    return (ts[0] if len(ts) == 1 else torch.stack(ts)).double().numpy()


def forward_backward(cfg, weights, inputs, targets, B, T):
    model = GPT(cfg).double()
    load_weights(model, weights)
    idx = torch.tensor(inputs).view(B, T)
    logits = model(idx)
    loss = F.cross_entropy(logits.view(B * T, -1), torch.tensor(targets))
    loss.backward()
    grads = {name: stacked(model, name, True) for name in TENSOR_NAMES}
    return logits.detach().numpy(), float(loss.detach()), grads, model


# ---- comparisons ---------------------------------------------------------------------------------

rows, failures = [], []


def compare(label, ours, ref, tolerance):
    ours = np.asarray(ours, dtype=np.float64).reshape(-1)
    ref = np.asarray(ref, dtype=np.float64).reshape(-1)
    if ours.shape != ref.shape:
        failures.append(label)
        rows.append((label, float("nan"), float("nan"), tolerance, "SHAPE"))
        return
    diff = np.abs(ours - ref)
    worst = float(diff.max()) if diff.size else 0.0
    scale = float(np.abs(ref).max()) if ref.size else 0.0
    ok = worst <= tolerance and np.isfinite(ours).all()
    rows.append((label, worst, worst / scale if scale else 0.0, tolerance, "ok" if ok else "FAIL"))
    if not ok:
        failures.append(label)


def scaled_tolerance(ref, rtol, floor=1e-12):
    return rtol * float(np.abs(np.asarray(ref)).max()) + floor


def main():
    if len(sys.argv) != 2:
        print("usage: reference_check.py DUMP_DIR", file=sys.stderr)
        return 2
    directory = sys.argv[1]
    cfg, w0 = read_checkpoint(Path(directory) / "model.ckpt")
    meta, ours = read_dump(directory)
    if meta["config"] != cfg:
        print(f"dump config {meta['config']} differs from the checkpoint's {cfg}")
        return 1
    B, T = meta["B"], meta["T"]
    V = cfg["vocab_size"]

    # Forward and backward at the initial weights (batch A), float64.
    logits, loss, grads, model = forward_backward(cfg, w0, meta["inputs_a"], meta["targets_a"], B, T)
    compare("logits", ours["logits"], logits, scaled_tolerance(logits, FWD_RTOL))
    compare("loss_a", ours["loss_a"], [loss], FWD_RTOL * abs(loss))
    for name in TENSOR_NAMES:
        compare(f"grad_a.{name}", ours[f"grad_a.{name}"], grads[name], scaled_tolerance(grads[name], FWD_RTOL))

    # Batch B at the engine's weights after one step: checks the backward again at weights that
    # are no longer the tidy initialisation (non-zero biases, LayerNorm gains != 1).
    w1 = {name: ours[f"after1.{name}"].reshape(w0[name].shape) for name in TENSOR_NAMES}
    _, loss_b, grads_b, _ = forward_backward(cfg, w1, meta["inputs_b"], meta["targets_b"], B, T)
    compare("loss_b", ours["loss_b"], [loss_b], FWD_RTOL * abs(loss_b))
    for name in TENSOR_NAMES:
        compare(f"grad_b.{name}", ours[f"grad_b.{name}"], grads_b[name], scaled_tolerance(grads_b[name], FWD_RTOL))

    # AdamW in float32 with the engine's gradients. Decay groups come from the torch model's
    # parameter shapes (matrices and embeddings decay), not from the engine's list.
    hp = meta["adamw"]
    params = {name: nn.Parameter(torch.from_numpy(w0[name].copy())) for name in TENSOR_NAMES}
    decays = {name: torch_params_of(model, name)[0].dim() >= 2 for name in TENSOR_NAMES}
    groups = [{"params": [params[n] for n in TENSOR_NAMES if decays[n]], "weight_decay": hp["weight_decay"]},
              {"params": [params[n] for n in TENSOR_NAMES if not decays[n]], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=hp["lr"], betas=(hp["beta1"], hp["beta2"]), eps=hp["eps"],
                            foreach=False, fused=False)
    for step, grad_prefix, after_prefix in ((1, "grad_a", "after1"), (2, "grad_b", "after2")):
        for name in TENSOR_NAMES:
            params[name].grad = torch.from_numpy(ours[f"{grad_prefix}.{name}"].reshape(w0[name].shape).copy())
        opt.step()
        for name in TENSOR_NAMES:
            ref = params[name].detach().numpy()
            compare(f"{after_prefix}.{name}", ours[f"{after_prefix}.{name}"], ref,
                    scaled_tolerance(ref, ADAM_ULPS * FLOAT32_EPS))

    print(f"model: V={V} ctx={cfg['context_length']} C={cfg['d_model']} L={cfg['n_layers']} "
          f"NH={cfg['n_heads']}, batch B={B} T={T}; torch {torch.__version__}")
    print(f"loss_a: engine {float(ours['loss_a'][0]):.9f}  torch(float64) {loss:.9f}")
    print(f"{'tensor':<20} {'max |diff|':>12} {'/ max|ref|':>12} {'tolerance':>12}")
    for label, worst, rel, tol, verdict in rows:
        print(f"{label:<20} {worst:12.3e} {rel:12.3e} {tol:12.3e}  {verdict}")
    if failures:
        print(f"FAILED: {len(failures)} of {len(rows)} tensors differ beyond tolerance: {', '.join(failures)}")
        return 1
    print(f"reference check passed: {len(rows)} tensors agree with PyTorch")
    return 0


if __name__ == "__main__":
    sys.exit(main())
