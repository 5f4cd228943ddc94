--- gcgap.paper: the paper's figures, all three versions (v1 workshop text, v2 project page,
-- v3 arXiv 2602.01442v3), in one place: what the report prints beside ours, what its figures
-- draw, and what the verdict judges. docs/protocol.md lists where each comes from.
local P = {}

-- The paper's figures (docs/protocol.md), to print beside ours.
P.text = {
  reverse = { rho_v1 = "0.726 ± 0.121, range [0.47, 0.88]", rho_v2 = "0.59", rho_v3 = "0.72", counts_v1 = "7 / 17",
              prune_heroes = "−35.0 pts (seed 2020)", prune_bloats = "−27.0 pts (seed 2020)", seed = 2020 },
  sort = { rho_v1 = "0.318 ± 0.241, range [−0.11, 0.73]", rho_v2 = "0.07 (four seeds negative, min −0.34)",
           rho_v3 = "0.27 (worst seed −0.18)",
           counts_v1 = "33 / 36", prune_heroes = "−32.0 pts (seed 456)", prune_bloats = "+3.5 pts (seed 456)", seed = 456 },
}

-- The paper's mean ρ per version (docs/protocol.md): v1 and v3 raw G, v2 per-param G.
P.rho = {
  reverse = { raw = { { "v1", 0.726 }, { "v3", 0.72 } }, per_param = { { "v2", 0.59 } } },
  sort = { raw = { { "v1", 0.318 }, { "v3", 0.27 } }, per_param = { { "v2", 0.07 } } },
}
P.colors = { v1 = "#009E73", v2 = "#CC79A7", v3 = "#6b4226" }
-- The paper's pruning figures (v1, raw G, one seed per task), OOD points.
P.prune = { reverse = { seed = 2020, heroes = -35.0, bloats = -27.0 }, sort = { seed = 456, heroes = -32.0, bloats = 3.5 } }

-- The paper's claims, by version (docs/protocol.md, "The paper's figures").
P.claims = {
  v1 = { rho = { reverse = 0.726, sort = 0.318 }, norm = "raw" },
  v2 = { rho = { reverse = 0.59, sort = 0.07 }, norm = "per_param" },
  v3 = { rho = { reverse = 0.72, sort = 0.27 }, norm = "raw" },
}

return P
