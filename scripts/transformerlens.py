"""Loads a gcgap checkpoint into TransformerLens's HookedTransformer (outside gcgap; needs torch,
safetensors and transformer-lens==3.9.0, whose HookedTransformer 4.x dropped).

    from transformerlens import load_gcgap        # this file, on sys.path
    model = load_gcgap("reverse-42.safetensors")  # a HookedTransformer with gcgap's weights
    logits, cache = model.run_with_cache(tokens)

gcgap writes TransformerLens's state-dict names and HookedTransformerConfig's field names in the
safetensors metadata, so the config is read back from the file. The only tensors a gcgap
checkpoint does not hold are the attention buffers `blocks.L.attn.mask` and `blocks.L.attn.IGNORE`,
which HookedTransformer makes itself; anything else missing or extra is an error.
Tests/Fixtures/check_transformerlens_load.py uses this and compares the logits with gcgap's.
"""
from safetensors import safe_open
from safetensors.torch import load_file
from transformer_lens import HookedTransformer, HookedTransformerConfig

INT_FIELDS = ("n_layers", "d_model", "n_ctx", "d_head", "n_heads", "d_mlp", "d_vocab")
TEXT_FIELDS = ("act_fn", "normalization_type", "positional_embedding_type")


def config_of(path, device="cpu"):
    """The HookedTransformerConfig written in a gcgap checkpoint's metadata."""
    with safe_open(path, "pt") as f:
        meta = f.metadata()
    fields = {k: int(meta[k]) for k in INT_FIELDS}
    fields.update({k: meta[k] for k in TEXT_FIELDS})
    return HookedTransformerConfig(eps=float(meta["eps"]), device=device, **fields)


def load_gcgap(path, device="cpu"):
    """A HookedTransformer holding the gcgap checkpoint at `path`, with its own attention buffers."""
    model = HookedTransformer(config_of(path, device))
    missing, unexpected = model.load_state_dict(load_file(path), strict=False)
    missing = [k for k in missing if not (k.endswith(".mask") or k.endswith(".IGNORE"))]
    if missing or unexpected:
        raise ValueError(f"{path}: tensors missing {missing}, unexpected {unexpected}")
    return model.eval()
