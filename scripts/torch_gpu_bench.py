#!/usr/bin/env python3
"""torch_gpu_bench.py: Seedling's GPT-2 model trained in PyTorch on the GPU, the anchor for
cuda/bench_cuda_train.c. Same architecture (pre-LayerNorm blocks, learned positions, GELU-tanh MLP,
tied embeddings), same AdamW settings, random tokens, bf16 autocast with fp32 master weights,
PyTorch's fused flash attention. Prints one JSON line per mode (eager, compile).

  python3 scripts/torch_gpu_bench.py --vocab 16384 --ctx 1024 --d 768 --layers 12 --heads 12 \\
      --batch 8 --steps 20 --modes eager,compile
"""
import argparse
import json
import math
import sys
import time


def build_model(torch, args):
    nn = torch.nn
    F = torch.nn.functional

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            C = args.d
            self.ln1 = nn.LayerNorm(C)
            self.qkv = nn.Linear(C, 3 * C)
            self.proj = nn.Linear(C, C)
            self.ln2 = nn.LayerNorm(C)
            self.fc = nn.Linear(C, 4 * C)
            self.fcproj = nn.Linear(4 * C, C)

        def forward(self, x):
            B, T, C = x.shape
            q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)
            heads = lambda t: t.view(B, T, args.heads, C // args.heads).transpose(1, 2)
            y = F.scaled_dot_product_attention(heads(q), heads(k), heads(v), is_causal=True)
            x = x + self.proj(y.transpose(1, 2).contiguous().view(B, T, C))
            return x + self.fcproj(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte = nn.Embedding(args.vocab, args.d)
            self.wpe = nn.Embedding(args.ctx, args.d)
            self.blocks = nn.ModuleList(Block() for _ in range(args.layers))
            self.lnf = nn.LayerNorm(args.d)
            for name, p in self.named_parameters():
                if p.dim() == 2:
                    std = 0.02 / math.sqrt(2 * args.layers) if name.endswith(("proj.weight", "fcproj.weight")) else 0.02
                    nn.init.normal_(p, 0.0, std)
                elif name.endswith("bias"):
                    nn.init.zeros_(p)

        def forward(self, idx, targets):
            T = idx.shape[1]
            x = self.wte(idx) + self.wpe(torch.arange(T, device=idx.device))
            for block in self.blocks:
                x = block(x)
            logits = self.lnf(x) @ self.wte.weight.t()  # tied output embedding
            return F.cross_entropy(logits.float().view(-1, logits.shape[-1]), targets.view(-1))

    return GPT()


def run_mode(torch, args, mode):
    torch.manual_seed(1337)
    model = build_model(torch, args).cuda()
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=3e-4, betas=(0.9, 0.95), eps=1e-8, fused=True)
    step_model = torch.compile(model) if mode == "compile" else model
    T = args.seq or args.ctx
    data = torch.randint(0, args.vocab, (args.batch, T + 1), device="cuda")
    x, y = data[:, :-1].contiguous(), data[:, 1:].contiguous()

    def step():
        with torch.autocast(device_type="cuda", dtype=torch.bfloat16):
            loss = step_model(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        return loss

    t_compile = time.time()
    for _ in range(args.warmup):
        step()
    torch.cuda.synchronize()
    warmup_s = time.time() - t_compile
    t0 = time.time()
    for _ in range(args.steps):
        loss = step()
    torch.cuda.synchronize()
    seconds = time.time() - t0
    n_params = sum(p.numel() for p in model.parameters())
    tokens_per_s = args.batch * T * args.steps / seconds
    flops_per_token = 6 * n_params + 12 * args.layers * args.d * T
    return {
        "bench": "train", "device": "cuda", "framework": f"pytorch-{torch.__version__}", "mode": mode,
        "gpu": torch.cuda.get_device_name(0), "vocab": args.vocab, "ctx": args.ctx, "d_model": args.d,
        "layers": args.layers, "heads": args.heads, "params": n_params, "batch": args.batch, "seq": T,
        "steps": args.steps, "warmup_s": round(warmup_s, 1), "ms_per_step": round(1e3 * seconds / args.steps, 2),
        "tokens_per_s": round(tokens_per_s), "model_tflops": round(flops_per_token * tokens_per_s / 1e12, 1),
        "last_loss": round(float(loss), 4),
    }


def main():
    ap = argparse.ArgumentParser()
    for name, default in [("vocab", 16384), ("ctx", 1024), ("d", 768), ("layers", 12), ("heads", 12),
                          ("batch", 8), ("seq", 0), ("steps", 20), ("warmup", 3)]:
        ap.add_argument(f"--{name}", type=int, default=default)
    ap.add_argument("--modes", default="eager,compile")
    args = ap.parse_args()
    try:
        import torch
    except ImportError:
        print(json.dumps({"bench": "train", "framework": "pytorch", "skipped": "torch not installed"}))
        return 0
    if not torch.cuda.is_available():
        print(json.dumps({"bench": "train", "framework": "pytorch", "skipped": "torch has no CUDA device"}))
        return 0
    torch.backends.cuda.matmul.allow_tf32 = True
    for mode in args.modes.split(","):
        try:
            print(json.dumps(run_mode(torch, args, mode)), flush=True)
        except Exception as e:  # a failed compile must not hide the eager figure
            print(json.dumps({"bench": "train", "framework": "pytorch", "mode": mode, "error": str(e)[:300]}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
