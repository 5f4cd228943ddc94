"""scipy reference numbers for gcgap's rank statistics (Tests/Fixtures/stats_reference.json).
Run: python3 Tests/Fixtures/make_stats_reference.py (numpy, scipy)."""
import json, os
import numpy as np, scipy, scipy.stats as st

rng = np.random.default_rng(0)
cases = []
for k in range(6):
    n = 20
    x = rng.normal(size=n).round(2)
    y = (0.5 * x + rng.normal(size=n)).round(1)
    if k == 1: y[:8] = 0.0          # many ties at 0, as C often has
    if k == 2: x = np.round(x, 0)   # ties in x
    if k == 3: y = -x + rng.normal(size=n) * 0.1
    cases.append(dict(x=x.tolist(), y=y.tolist(),
        ranks_x=st.rankdata(x).tolist(), ranks_y=st.rankdata(y).tolist(),
        ordinal_y=st.rankdata(y, method="ordinal").tolist(),
        spearman=float(st.spearmanr(x, y).statistic), kendall=float(st.kendalltau(x, y).statistic),
        pearson=float(st.pearsonr(x, y).statistic)))
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stats_reference.json")
json.dump({"made_by": "scipy " + scipy.__version__ + " (see Tests/Fixtures/make_stats_reference.py)", "cases": cases},
          open(out, "w"), indent=1)
