"""Reference values for gcgap's attribution estimators (gate gradient, attribution patching,
integrated gradients, exact mean ablation), from TransformerLens (PyTorch), in float32.

Run once, outside CI (needs torch and transformer-lens==3.9.0):
    python Tests/Fixtures/make_estimator_reference.py
Reads reference_model.safetensors and the batch in reference_outputs.safetensors (both made by
make_reference.py) and writes reference_estimators.safetensors beside them.

Setup. Input = each row without its last token, right-padded with PAD (causal attention: pads
never affect real positions). Components, in this order: L0.H0, L0.H1, L0.MLP, L1.H0, L1.H1,
L1.MLP. A head's output a_i is blocks.l.attn.hook_result[:, :, h, :] (z_h W_O[h], no b_O); an
MLP's output is blocks.l.hook_mlp_out (includes b_out). mu_i is the mean of a_i over every non-pad
input position of every row of the clean run (one d_model vector per component). Target rows:
for a row with SEP at index s, positions p = s .. len-2 predicting r[p+1]; R = their count.
Interventions are TransformerLens hooks, so a downstream component sees the intervened upstream
outputs, and a_i inside a hook is the component's own output in that run. Replacements apply at
every position, pads included.

Metrics f (raw, not negated), each a mean over the R target rows (logit_diff: over samples):
  loss        cross-entropy of the target
  margin      logit[target] - max_{j != target} logit[j] (gradient of max goes to the argmax)
  logit_diff  TransformerLens's: logit[answer] - logit[wrong] at one position per sample, the SEP
              position (it predicts y1), with answer = y1 and wrong = (y1 + 7) mod 100
  kl          KL(p_ref || q) = sum_j p_ref_j (log p_ref_j - log q_j); p_ref = softmax of the clean
              logits (detached constant), q = softmax of the current logits

Tensors, for m in (loss, margin, logit_diff, kl), float32:
  gate.<m>      [6]  df/dg_i at g = 1 for a_i -> g_i a_i (all gates in one run, one backward)
  attrib.<m>    [6]  df/dalpha_i at alpha = 0 for a_i -> a_i + alpha_i (mu_i - a_i), i.e.
                     sum over all positions of (mu_i - a_i) . df/da_i at the clean run
  ig.<m>        [6]  integrated gradients along the joint path (the same alpha for all six),
                     midpoint rule with k = 4 steps: alpha_j = (j + 0.5)/4, j = 0..3;
                     ig_i = (1/4) sum_j df/dalpha_i at alpha_j (separate alpha_i, all = alpha_j)
  ig_total.<m>  [1]  f(all six mean-ablated, alpha = 1) - f(clean); sum(ig) approximates it
                     (not exactly: midpoint rule with 4 steps)
  exact.<m>     [6]  f(component i alone replaced by mu_i at every position) - f(clean)
  clean.<m>     [1]  f at the clean run (0 for kl)
  means         [6, 16]  mu_i in component order
kl's gate and attrib are ~0 (float32 rounding only): the KL's gradient vanishes at the clean
point, where q = p_ref. Its ig and exact values are not zero. margin's sum(ig) is far from
ig_total at k = 4 (about 60% here): the runner-up token changes several times along the path, so
f is only piecewise smooth in alpha; with more steps sum(ig) does converge to ig_total.
Each metric's attrib is checked in-script against sum (mu_i - a_i) . df/da_i, and gate against
sum a_i . df/da_i (df/da_i taken from a separate run with a zero tensor added to each a_i).
"""
import os
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from transformer_lens import HookedTransformer, HookedTransformerConfig

torch.use_deterministic_algorithms(True)
here = os.path.dirname(os.path.abspath(__file__))
PAD, SEP = 100, 102
K = 4
COMPONENTS = [(0, 0), (0, 1), (0, None), (1, 0), (1, 1), (1, None)]  # (layer, head); None = MLP
NAMES = ["L0.H0", "L0.H1", "L0.MLP", "L1.H0", "L1.H1", "L1.MLP"]
METRICS = ["loss", "margin", "logit_diff", "kl"]


def load_model():
    cfg = HookedTransformerConfig(n_layers=2, d_model=16, n_ctx=24, d_head=8, n_heads=2, d_mlp=32,
                                  d_vocab=104, act_fn="gelu", normalization_type="LN",
                                  positional_embedding_type="standard", device="cpu", seed=0)
    m = HookedTransformer(cfg)
    m.load_state_dict(load_file(os.path.join(here, "reference_model.safetensors")))
    m.set_use_attn_result(True)
    m.eval()
    for p in m.parameters():
        p.requires_grad_(False)
    return m


def load_batch():
    ref = load_file(os.path.join(here, "reference_outputs.safetensors"))
    rows, lengths = ref["rows"].long(), ref["row_lengths"].long()
    n = int(lengths.max()) - 1
    inp = torch.full((rows.shape[0], n), PAD, dtype=torch.long)
    bi, pi, ti = [], [], []  # target rows: (batch index, position, target token)
    cp, ca, cw = [], [], []  # the logit difference's: per sample, position, answer, wrong
    for i in range(rows.shape[0]):
        L = int(lengths[i])
        r = rows[i, :L].tolist()
        inp[i, :L - 1] = rows[i, :L - 1]
        for p in range(r.index(SEP), L - 1):
            bi.append(i), pi.append(p), ti.append(r[p + 1])
        y1 = r[r.index(SEP) + 1]
        cp.append(r.index(SEP)), ca.append(y1), cw.append((y1 + 7) % 100)
    contrast = (torch.arange(rows.shape[0]), torch.tensor(cp), torch.tensor(ca), torch.tensor(cw))
    return inp, (torch.tensor(bi), torch.tensor(pi), torch.tensor(ti), contrast), ref["loss"]


def metrics(logits, tgt, ref_logp):
    """The four metrics as a dict of 0-d tensors; ref_logp = clean log-probs at target rows (or None)."""
    bi, pi, ti, (cb, cp, ca, cw) = tgt
    x = logits[bi, pi]  # [R, vocab]
    logp = F.log_softmax(x, dim=-1)
    out = {"loss": -logp.gather(1, ti[:, None]).squeeze(1).mean()}
    tl = x.gather(1, ti[:, None]).squeeze(1)
    others = x.scatter(1, ti[:, None], float("-inf"))
    out["margin"] = (tl - others.max(dim=1).values).mean()
    out["logit_diff"] = (logits[cb, cp, ca] - logits[cb, cp, cw]).mean()
    if ref_logp is None:
        out["kl"] = torch.zeros((), dtype=x.dtype)
    else:
        out["kl"] = (ref_logp.exp() * (ref_logp - logp)).sum(-1).mean()
    return out


def run(m, inp, transform):
    """Forward with every component's output a_i replaced by transform(i, a_i); returns logits."""
    def attn_hook(layer):
        def hook(result, hook):  # [batch, pos, head, d_model]
            heads = [transform(COMPONENTS.index((layer, h)), result[:, :, h, :]) for h in range(result.shape[2])]
            return torch.stack(heads, dim=2)
        return hook

    def mlp_hook(layer):
        def hook(out, hook):
            return transform(COMPONENTS.index((layer, None)), out)
        return hook

    fwd = []
    for l in range(m.cfg.n_layers):
        fwd.append((f"blocks.{l}.attn.hook_result", attn_hook(l)))
        fwd.append((f"blocks.{l}.hook_mlp_out", mlp_hook(l)))
    return m.run_with_hooks(inp, fwd_hooks=fwd, return_type="logits")


def main():
    m = load_model()
    inp, tgt, ref_loss = load_batch()
    real = inp != PAD  # [batch, pos]
    bi, pi = tgt[0], tgt[1]

    # Clean run: outputs, means, reference distribution.
    acts = [None] * 6

    def record(i, a):
        acts[i] = a.detach().clone()
        return a

    with torch.no_grad():
        clean_logits = run(m, inp, record)
    means = torch.stack([a[real].mean(0) for a in acts])  # [6, d_model]
    ref_logp = F.log_softmax(clean_logits[bi, pi], dim=-1).detach()
    clean = {k: v.item() for k, v in metrics(clean_logits, tgt, ref_logp).items()}
    assert abs(clean["loss"] - ref_loss.item()) < 1e-5, (clean["loss"], ref_loss.item())

    def partials(make_transform, at):
        """Per-metric gradient [6] w.r.t. six scalar variables all set to `at`."""
        res = {}
        for k in METRICS:
            v = [torch.tensor(float(at), requires_grad=True) for _ in range(6)]
            f = metrics(run(m, inp, make_transform(v)), tgt, ref_logp)[k]
            res[k] = torch.stack(list(torch.autograd.grad(f, v)))
        return res

    def gate(v):
        return lambda i, a: v[i] * a

    def ablate(v):
        return lambda i, a: a + v[i] * (means[i] - a)

    def value(alphas):
        with torch.no_grad():
            f = metrics(run(m, inp, ablate([torch.tensor(float(x)) for x in alphas])), tgt, ref_logp)
        return {k: f[k].item() for k in METRICS}

    gate_g = partials(gate, 1.0)
    attrib = partials(ablate, 0.0)
    ig = {k: torch.zeros(6) for k in METRICS}
    for j in range(K):
        g = partials(ablate, (j + 0.5) / K)
        for k in METRICS:
            ig[k] += g[k] / K
    full = value([1.0] * 6)
    ig_total = {k: full[k] - clean[k] for k in METRICS}
    exact = {k: torch.zeros(6) for k in METRICS}
    for i in range(6):
        v = value([1.0 if c == i else 0.0 for c in range(6)])
        for k in METRICS:
            exact[k][i] = v[k] - clean[k]

    # Cross-check attrib against its other form: sum over positions of (mu_i - a_i) . df/da_i.
    for k in METRICS:
        zs = [torch.zeros_like(a, requires_grad=True) for a in acts]  # df/dz_i = df/da_i
        f = metrics(run(m, inp, lambda i, a: a + zs[i]), tgt, ref_logp)[k]
        da = torch.autograd.grad(f, zs)
        direct = torch.stack([((means[i] - acts[i]) * da[i]).sum() for i in range(6)])
        assert torch.allclose(direct, attrib[k], atol=1e-6, rtol=1e-4), (k, direct, attrib[k])
        direct_gate = torch.stack([(acts[i] * da[i]).sum() for i in range(6)])
        assert torch.allclose(direct_gate, gate_g[k], atol=1e-6, rtol=1e-4), (k, direct_gate, gate_g[k])

    out = {"means": means.float()}
    for k in METRICS:
        out[f"gate.{k}"] = gate_g[k].float()
        out[f"attrib.{k}"] = attrib[k].float()
        out[f"ig.{k}"] = ig[k].float()
        out[f"ig_total.{k}"] = torch.tensor([ig_total[k]], dtype=torch.float32)
        out[f"exact.{k}"] = exact[k].float()
        out[f"clean.{k}"] = torch.tensor([clean[k]], dtype=torch.float32)
    save_file({n: t.contiguous() for n, t in out.items()}, os.path.join(here, "reference_estimators.safetensors"),
              metadata={"made_by": "make_estimator_reference.py", "torch": torch.__version__, "dtype": "float32",
                        "k": str(K), "components": ",".join(NAMES), "target_rows": str(len(bi))})

    fmt = lambda t: "[" + ", ".join(f"{x:+.6f}" for x in t.tolist()) + "]"
    print("components", ", ".join(NAMES), "| target rows", len(bi))
    for k in METRICS:
        s = ig[k].sum().item()
        rel = abs(s - ig_total[k]) / max(abs(ig_total[k]), 1e-12)
        print(f"{k}: clean {clean[k]:+.6f}")
        print(f"  gate   {fmt(gate_g[k])}")
        print(f"  attrib {fmt(attrib[k])}")
        print(f"  ig     {fmt(ig[k])}")
        print(f"  exact  {fmt(exact[k])}")
        print(f"  sum(ig) {s:+.6f} vs ig_total {ig_total[k]:+.6f} (relative error {rel:.2e})")
    print("wrote", len(out), "tensors to", os.path.join(here, "reference_estimators.safetensors"))


if __name__ == "__main__":
    main()
