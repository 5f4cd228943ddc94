--- gcgap.protocol: docs/protocol.md's numbers, in one place. The native functions read
-- their defaults from `presets.default` here (package.loaded["gcgap.protocol"]); nothing else
-- holds a protocol number. This module requires nothing (gcgap.core loads it).
local P = {}

-- docs/protocol.md, every default in one place. `paper-code` follows the author's public code
-- where the protocol's table says it differs; the two defects are flags, off by default.
P.presets = {
  default = {
    name = "default",
    model = {},                                  -- gcgap.model options (the protocol's sizes)
    train = { lr = 1e-3, batch = 64, lengths = { 3, 7 }, steps = 15000, target = 0.90 },
    adam = { beta1 = 0.9, beta2 = 0.999, eps = 1e-8 }, -- m:train's beta1, beta2, eps
    layout = "whole",                            -- each sample right-padded as a whole
    eval_every = 100, eval_size = 256, fresh_eval = false,
    ood = { lengths = { 8, 9, 10, 11 }, range = { 0.20, 0.75 } },
    set_size = 200, fresh_sets = false,          -- fixed sets from the seed
    grad = { batches = 50, batch = 64 },
    means = "eval-set", per_position = false,    -- μ over the OOD evaluation set
    threshold = 6, strict = false, ranks = "average",
    pruning = "extremes",                        -- two Heroes of most negative Δ, two Bloats of largest Δ
    id_size = 200,
    zslice_defect = false, whole_wv = false,
    bootstrap = 200,                             -- resamples of the evaluation set
    verdict_resamples = 10000,                   -- the verdict's bootstraps and tests (native)
    keep_samples = true,                         -- per-sample results in the record (cross-run bootstraps)
    joint = true,                                -- joint Hero/Bloat ablations (2 + k passes each)
    interactions = false,                        -- the 20×20 pairwise matrix (211 passes, ~30 s a run)
    ladder = { steps = 16, shapley = 4 },        -- estimator ladder (false: off); shapley = permutations
    snapshot_every = false,                      -- keep the model every k training steps and score ρ at each
    timings = true,                              -- wall-clock seconds in records (false: records repeat byte for byte)
  },
}
P.presets["paper-code"] = setmetatable({
  name = "paper-code",
  layout = "blocks",                             -- START x SEP padded, then y END padded
  eval_every = 500, eval_size = 100, fresh_eval = true,
  set_size = 100, fresh_sets = true,             -- fresh random samples on every accuracy call
  means = "fresh-batches",                       -- μ over 50 fresh batches of 64
  strict = true,                                 -- Δ < −6, Δ > 6
  pruning = "component-order",                   -- the first two in component order
}, { __index = P.presets.default })

-- The task library's own numbers, where a task differs from the preset (the paper's two
-- tasks use the preset as it is). Each task's lengths were chosen so that a default-size
-- model learns it within the preset's steps and its OOD accuracy falls in ood.range at one
-- of the OOD lengths (docs/tasks.md).
P.tasks = {
  histogram = { train = { lengths = { 2, 5 } }, ood = { lengths = { 6, 7, 8 } } },
}

--- The preset `p` for a task: its train and ood fields overridden by P.tasks[name] (copies;
-- `p` is unchanged). The same preset for a task without entries, and for p already adapted.
function P.for_task(p, name)
  local t = P.tasks[name]
  if not t or p.task == name then return p end
  local q = {}
  for k, v in pairs(p) do q[k] = v end
  for _, field in ipairs { "train", "ood" } do
    if t[field] then
      q[field] = {}
      for k, v in pairs(p[field]) do q[field][k] = v end
      for k, v in pairs(t[field]) do q[field][k] = v end
    end
  end
  q.task = name
  return q
end

--- A preset by name, with overrides (a shallow copy: nested tables are replaced whole).
function P.preset(name, overrides)
  local base = P.presets[name or "default"]
  if not base then error("unknown preset '" .. tostring(name) .. "' (default, paper-code)", 2) end
  local p = {}
  for k in pairs(P.presets.default) do p[k] = base[k] end
  for k, v in pairs(base) do p[k] = v end
  for k, v in pairs(overrides or {}) do
    if P.presets.default[k] == nil and k ~= "name" then error("unknown preset field '" .. tostring(k) .. "'", 2) end
    p[k] = v
  end
  return p
end

return P
