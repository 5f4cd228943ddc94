"""Reference numbers for gcgap's native core, from TransformerLens (PyTorch).

Run once, outside CI (needs torch and transformer-lens==3.9.0):
    python Tests/Fixtures/make_reference.py
Writes, next to this script:
  reference_model.safetensors     a small random HookedTransformer, saved as TransformerLens saves
                                  it (state_dict() with its extra buffers, no metadata), W_pos zero
  reference_learned.safetensors   the same architecture with learned positions (W_pos random)
  reference_outputs.safetensors   the batch (right-padded rows), its logits under both models, the
                                  loss and every parameter's gradient under the first, the W_V / W_out
                                  gradient norms, and the parameters after 3 Adam steps (lr 1e-2)
"""
import os
import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from transformer_lens import HookedTransformer, HookedTransformerConfig

torch.use_deterministic_algorithms(True)
torch.manual_seed(0)
here = os.path.dirname(os.path.abspath(__file__))
PAD, START, SEP, END = 100, 101, 102, 103


def make_model(learned):
    cfg = HookedTransformerConfig(n_layers=2, d_model=16, n_ctx=24, d_head=8, n_heads=2, d_mlp=32,
                                  d_vocab=104, act_fn="gelu", normalization_type="LN",
                                  positional_embedding_type="standard", device="cpu", seed=0)
    m = HookedTransformer(cfg)
    with torch.no_grad():
        for name, p in m.named_parameters():
            if name.endswith("W_pos"):
                p.copy_(torch.randn_like(p) if learned else torch.zeros_like(p))
            elif "ln" in name:  # LayerNorms off their 1/0 init, so their backward is exercised
                base = 1.0 if name.endswith(".w") else 0.0
                p.copy_(base + 0.5 * (2 * torch.rand_like(p) - 1))
            elif name.startswith("blocks") or name.startswith("unembed"):
                p.copy_(0.3 * torch.randn_like(p))
    return m.eval()


def rows():
    out = []
    for xs in ([5, 9, 2], [7, 1, 33, 64, 8], [3, 99, 12, 40], [11, 22, 33, 44, 55, 66, 77]):
        out.append([START] + xs + [SEP] + list(reversed(xs)) + [END])
    return out


def batch_tensors(rs):
    n = max(len(r) for r in rs) - 1
    inp = torch.full((len(rs), n), PAD, dtype=torch.long)
    tgt = torch.full((len(rs), n), -100, dtype=torch.long)  # -100: no loss
    for i, r in enumerate(rs):
        inp[i, :len(r) - 1] = torch.tensor(r[:-1])
        sep = r.index(SEP)
        for p in range(sep, len(r) - 1):
            if r[p + 1] != PAD:
                tgt[i, p] = r[p + 1]
    return inp, tgt


def loss_of(m, inp, tgt):
    logits = m(inp, return_type="logits")
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1), ignore_index=-100), logits


def main():
    rs = rows()
    inp, tgt = batch_tensors(rs)
    m = make_model(learned=False)
    ml = make_model(learned=True)
    save_file({k: v.contiguous() for k, v in m.state_dict().items()}, os.path.join(here, "reference_model.safetensors"))
    save_file({k: v.contiguous() for k, v in ml.state_dict().items()}, os.path.join(here, "reference_learned.safetensors"))

    out = {}
    padded = torch.full((len(rs), max(len(r) for r in rs)), PAD, dtype=torch.int32)
    for i, r in enumerate(rs):
        padded[i, :len(r)] = torch.tensor(r, dtype=torch.int32)
    out["rows"] = padded
    out["row_lengths"] = torch.tensor([len(r) for r in rs], dtype=torch.int32)
    with torch.no_grad():
        out["logits_learned"] = ml(inp, return_type="logits").float()
    m.zero_grad()
    loss, logits = loss_of(m, inp, tgt)
    loss.backward()
    out["logits"] = logits.detach().float()
    out["loss"] = loss.detach().reshape(1).float()
    for name, p in m.named_parameters():
        out["grad." + name] = p.grad.detach().clone()
    H, L = m.cfg.n_heads, m.cfg.n_layers
    norms = []
    for l in range(L):
        g = m.blocks[l].attn.W_V.grad
        norms += [g[h].norm().item() for h in range(H)]
        norms.append(m.blocks[l].mlp.W_out.grad.norm().item())
    out["grad_norms"] = torch.tensor(norms, dtype=torch.float32)

    # W_pos stays zero: a model without positional embedding has no such parameter to train.
    m.pos_embed.W_pos.requires_grad_(False)
    opt = torch.optim.Adam([p for p in m.parameters() if p.requires_grad], lr=1e-2, betas=(0.9, 0.999), eps=1e-8)
    for _ in range(3):
        opt.zero_grad()
        loss_of(m, inp, tgt)[0].backward()
        opt.step()
    for name, p in m.named_parameters():
        if name.endswith("W_pos"):
            continue
        out["adam3." + name] = p.detach().clone()
    save_file({k: v.contiguous() for k, v in out.items()}, os.path.join(here, "reference_outputs.safetensors"),
              metadata={"made_by": "make_reference.py", "torch": torch.__version__, "loss": repr(loss.item())})
    print("loss", loss.item(), "files written to", here)


if __name__ == "__main__":
    main()
