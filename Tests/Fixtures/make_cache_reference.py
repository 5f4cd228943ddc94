"""TransformerLens's activations (run_with_cache) on the committed reference model.

Run once, outside CI (needs torch and transformer-lens==3.9.0):
    python Tests/Fixtures/make_cache_reference.py
Reads reference_model.safetensors and the batch in reference_outputs.safetensors (both made by
make_reference.py) and writes reference_cache.safetensors beside them: for every hook point
gcgap mirrors, the activation TransformerLens records on the right-padded batch (each row
without its last token, padded with PAD), under its TransformerLens name.
"""
import os
import torch
from safetensors.torch import load_file, save_file
from transformer_lens import HookedTransformer, HookedTransformerConfig

torch.use_deterministic_algorithms(True)
here = os.path.dirname(os.path.abspath(__file__))
PAD = 100

HOOKS = ["hook_embed", "ln_final.hook_normalized"] + [
    f"blocks.{l}.{h}" for l in range(2) for h in [
        "hook_resid_pre", "ln1.hook_normalized", "attn.hook_q", "attn.hook_k", "attn.hook_v", "attn.hook_pattern",
        "attn.hook_z", "attn.hook_result", "hook_attn_out", "hook_resid_mid", "ln2.hook_normalized",
        "mlp.hook_pre", "mlp.hook_post", "hook_mlp_out", "hook_resid_post"]]


def main():
    cfg = HookedTransformerConfig(n_layers=2, d_model=16, n_ctx=24, d_head=8, n_heads=2, d_mlp=32,
                                  d_vocab=104, act_fn="gelu", normalization_type="LN",
                                  positional_embedding_type="standard", device="cpu", seed=0)
    m = HookedTransformer(cfg)
    m.load_state_dict(load_file(os.path.join(here, "reference_model.safetensors")))
    m.set_use_attn_result(True)
    m.eval()
    ref = load_file(os.path.join(here, "reference_outputs.safetensors"))
    rows, lengths = ref["rows"].long(), ref["row_lengths"].long()
    n = int(lengths.max()) - 1
    inp = torch.full((rows.shape[0], n), PAD, dtype=torch.long)
    for i in range(rows.shape[0]):
        inp[i, :int(lengths[i]) - 1] = rows[i, :int(lengths[i]) - 1]
    with torch.no_grad():
        logits, cache = m.run_with_cache(inp)
    out = {name: cache[name].float().clone().contiguous() for name in HOOKS}
    out["logits_padded"] = logits.float().clone().contiguous()
    save_file(out, os.path.join(here, "reference_cache.safetensors"),
              metadata={"made_by": "make_cache_reference.py", "torch": torch.__version__})
    print("wrote", len(out), "tensors to", here)


if __name__ == "__main__":
    main()
