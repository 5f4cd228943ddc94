"""Checks that a checkpoint written by gcgap loads in TransformerLens and gives gcgap's logits.

Outside CI (needs torch and transformer-lens==3.9.0):
    .build/release/gcgap -e "local m = gcgap.model{seed = 42}; m:save('/tmp/g.safetensors');
        gcgap.save_tensors('/tmp/g_logits.safetensors',
            {logits = m:logits(gcgap.batch{{101,5,9,2,102,2,9,5,103},{101,7,1,102,1,7,103}})})"
    python Tests/Fixtures/check_transformerlens_load.py /tmp/g.safetensors /tmp/g_logits.safetensors

The logits file may also hold `tokens`, the input tokens the logits were computed on (batch ×
position, e.g. `b:tokens():narrow(2, 1, n)` for rows of one length n + 1); without it, the two
rows above are used. scripts/dev/check_transformerlens.lua writes several such pairs.
"""
import os
import sys
import numpy as np
import torch
from safetensors.torch import load_file
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scripts"))
from transformerlens import load_gcgap  # scripts/transformerlens.py

path, logits_path = sys.argv[1], sys.argv[2]
model = load_gcgap(path)
saved = load_file(logits_path)
if "tokens" in saved:
    tokens = saved["tokens"].long()
else:
    rows = [[101, 5, 9, 2, 102, 2, 9, 5, 103], [101, 7, 1, 102, 1, 7, 103]]
    n = max(len(r) for r in rows) - 1
    tokens = torch.tensor([r[:-1] + [100] * (n - len(r) + 1) for r in rows])
with torch.no_grad():
    ref = model(tokens, return_type="logits").numpy()
ours = saved["logits"].numpy()
err = np.max(np.abs(ours - ref) / (1e-6 + 1e-4 * np.maximum(np.abs(ours), np.abs(ref))))
print(f"TransformerLens loaded {path}; logits {ref.shape}, worst |gcgap - TL| / (1e-6 + 1e-4·|x|) = {err:.3f}")
sys.exit(0 if err <= 1 else 1)
