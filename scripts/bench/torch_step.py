#!/usr/bin/env python3
"""PyTorch reference for gcgap-bench: one training step of the PROTOCOL model on 1 thread.

The model is PROTOCOL.md's: decoder-only, pre-LayerNorm, 4 layers, 4 heads, d_model 128,
d_head 32, d_mlp 512, vocab 104, no positional embedding, exact (erf) GELU, LayerNorm eps
1e-5, biases everywhere, untied unembedding. A plain nn.Module (not TransformerLens).

The batch: 64 reversal samples of lengths 3..7 (`START x SEP y`, 2N+2 tokens read), as
gcgap-bench draws them (same shape, not the same values). PyTorch runs it RIGHT-PADDED
to the longest sample (16 tokens: 64 x 16 = 1024 positions, ~773 of them real) with a
causal mask; gcgap packs the ~773 real tokens end to end with no padding. Loss: mean
cross-entropy over target positions only (SEP, y1..yN predict y1..yN, END), logits taken
at target rows only (as gcgap does). Step = zero_grad + forward + backward + Adam
(lr 1e-3, PyTorch's default foreach implementation).

Prints one machine-readable line:
    TORCH_STEP_MS median=<ms> mean=<ms> steps=<n> threads=1 torch=<version> tokens=<real> padded=<positions>
"""
import argparse
import math
import random
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

PAD, START, SEP, END = 100, 101, 102, 103
V, D, H, DH, M, L = 104, 128, 4, 32, 512, 4


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1 = nn.LayerNorm(D, eps=1e-5)
        self.qkv = nn.Linear(D, 3 * H * DH)
        self.o = nn.Linear(H * DH, D)
        self.ln2 = nn.LayerNorm(D, eps=1e-5)
        self.fc_in = nn.Linear(D, M)
        self.fc_out = nn.Linear(M, D)

    def forward(self, x, mask):
        B, T, _ = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(H * DH, dim=-1)
        q = q.view(B, T, H, DH).transpose(1, 2)
        k = k.view(B, T, H, DH).transpose(1, 2)
        v = v.view(B, T, H, DH).transpose(1, 2)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(DH)
        att = att.masked_fill(mask, float("-inf")).softmax(-1)
        z = (att @ v).transpose(1, 2).reshape(B, T, H * DH)
        x = x + self.o(z)
        return x + self.fc_out(F.gelu(self.fc_in(self.ln2(x))))


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(V, D)
        self.blocks = nn.ModuleList([Block() for _ in range(L)])
        self.ln_f = nn.LayerNorm(D, eps=1e-5)
        self.unembed = nn.Linear(D, V)

    def forward(self, tokens, rows, cols):
        T = tokens.shape[1]
        mask = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
        x = self.embed(tokens)
        for b in self.blocks:
            x = b(x, mask)
        return self.unembed(self.ln_f(x[rows, cols]))


def batch(rng):
    seqs, rows, cols, targets = [], [], [], []
    for s in range(64):
        n = rng.randint(3, 7)
        xs = [rng.randint(1, 99) for _ in range(n)]
        full = [START] + xs + [SEP] + xs[::-1] + [END]
        inp = full[:-1]
        seqs.append(inp)
        for p in range(n + 1, 2 * n + 2):  # SEP, y1..yN predict y1..yN, END
            rows.append(s); cols.append(p); targets.append(full[p + 1])
    T = max(len(s) for s in seqs)
    tok = torch.full((64, T), PAD, dtype=torch.long)
    for i, s in enumerate(seqs):
        tok[i, :len(s)] = torch.tensor(s)
    real = sum(len(s) for s in seqs)
    return tok, torch.tensor(rows), torch.tensor(cols), torch.tensor(targets), real


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(42)
    rng = random.Random(42)
    model = Model()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    batches = [batch(rng) for _ in range(8)]

    def step(b):
        tok, rows, cols, tg, _ = b
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(tok, rows, cols), tg)
        loss.backward()
        opt.step()

    for i in range(args.warmup):
        step(batches[i % len(batches)])
    times = []
    for i in range(args.steps):
        b = batches[i % len(batches)]
        t0 = time.perf_counter()
        step(b)
        times.append(time.perf_counter() - t0)
    real = sum(b[4] for b in batches) / len(batches)
    padded = sum(b[0].numel() for b in batches) / len(batches)
    print(f"TORCH_STEP_MS median={statistics.median(times) * 1000:.2f} mean={statistics.mean(times) * 1000:.2f} "
          f"steps={args.steps} threads={torch.get_num_threads()} torch={torch.__version__} "
          f"tokens={real:.0f} padded={padded:.0f}", flush=True)


if __name__ == "__main__":
    main()
