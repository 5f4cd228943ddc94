--- gcgap.circuits: known circuits to check G and C against. A task with an entry here gets
-- its circuit located from attention patterns alone (no G, no C), and the analysis then asks
-- where G and C rank the circuit's heads.
--
--   local circuits = require "gcgap.circuits"
--   local found = circuits.induction(m, gcgap.task.induction(), {length = 7, seed = 1})
--   --> {prev = {head = "L0.H2", score = 0.91}, induction = {head = "L1.H3", score = 0.84}, scores = {...}}
local gc = require "gcgap.core"
require "gcgap.hooks" -- m:run_with_cache
local M = {}

-- mean attention from each (query, key) pair listed, per head, over a batch of one length
local function mean_attention(m, b, n_layers, n_heads, pairs)
  local names = {}
  for l = 0, n_layers - 1 do names[#names + 1] = "blocks." .. l .. ".attn.hook_pattern" end
  local _, cache = m:run_with_cache(b, { names = names })
  local out = {}
  for l = 0, n_layers - 1 do
    local pat = cache["blocks." .. l .. ".attn.hook_pattern"]
    for h = 0, n_heads - 1 do
      local s, k = 0, 0
      for row = 1, b:size() do
        for _, qk in ipairs(pairs) do s = s + pat:get(row, h + 1, qk[1], qk[2]); k = k + 1 end
      end
      out["L" .. l .. ".H" .. h] = s / k
    end
  end
  return out
end

local function best(scores, accept)
  local name, score
  for c, v in pairs(scores) do
    if accept(c) and (not score or v > score or (v == score and c < name)) then name, score = c, v end
  end
  return name and { head = name, score = score } or nil
end

local function layer(c) return tonumber(c:match("^L(%d+)")) end

--- The induction circuit of a model trained on gcgap.task.induction(): rows are
-- START x1..xn SEP x1..xn END with distinct tokens. Previous-token score of a head: its mean
-- attention from x_i to x_{i-1}; induction score: from the repeated x_i (after SEP) to x_{i+1}
-- in the first half, the token to copy next. The circuit: the head of highest induction score
-- in a layer ≥ 1, and the head of highest previous-token score in an earlier layer.
function M.induction(m, task, opts)
  opts = opts or {}
  local n = opts.length or 7
  local b = task:batch { size = opts.size or 64, length = n, seed = opts.seed or 1, stream = "circuit" }
  local cfg = m:config()
  local prev_pairs, ind_pairs = {}, {}
  -- positions, 1-based: START 1, x_i at i + 1, SEP at n + 2, the repeated x_i at n + 2 + i
  for i = 2, n do prev_pairs[#prev_pairs + 1] = { i + 1, i } end
  for i = 1, n - 1 do ind_pairs[#ind_pairs + 1] = { n + 2 + i, i + 2 } end
  local prev = mean_attention(m, b, cfg.n_layers, cfg.n_heads, prev_pairs)
  local ind = mean_attention(m, b, cfg.n_layers, cfg.n_heads, ind_pairs)
  local ih = best(ind, function(c) return layer(c) >= 1 end)
  local ph = ih and best(prev, function(c) return layer(c) < layer(ih.head) end)
  return { induction = ih, prev = ph, scores = { induction = ind, prev = prev }, length = n }
end

return M
