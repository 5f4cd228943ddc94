-- A new task in a few lines: "shift" (y = x with every value + 1), trained and scored.
local task = gcgap.task.new{name = "shift", values = {1, 98}, target = function(x)
  local y = {}
  for i, v in ipairs(x) do y[i] = v + 1 end
  return y
end}
local m = gcgap.model{seed = 1, n_layers = 2, n_heads = 4, d_model = 64, d_head = 16, d_mlp = 128}
local r = m:train(task, {steps = 2000, lr = 3e-3, lengths = {2, 4}, quiet = true})
local set = task:batch{size = 200, length = 4, seed = 7}
local G = gcgap.score.gradient(m, task, {length = 4, batches = 4, batch = 32, seed = 1})
local C = gcgap.score.causal(m, set)
print(string.format("shift: %d steps, accuracy %.2f, ρ(G, C) = %.2f", r.steps, m:accuracy(set), gcgap.stats.spearman(G, C)))
