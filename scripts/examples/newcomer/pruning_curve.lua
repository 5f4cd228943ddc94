-- A pruning curve: ablate components one by one in G order and in C order, plot accuracy.
local plot = require "gcgap.plot"
local task = gcgap.task.reverse()
local m = gcgap.model{seed = 1, n_layers = 2, n_heads = 4, d_model = 64, d_head = 16, d_mlp = 128}
m:train(task, {steps = 3000, lr = 3e-3, lengths = {2, 4}, quiet = true})
local set = task:batch{size = 200, length = 4, seed = 7}
local G = gcgap.score.gradient(m, task, {length = 4, batches = 4, batch = 32, seed = 1})
local C = gcgap.score.causal(m, set)
local series = {}
for _, by in ipairs{{"G order", G}, {"C order", C}} do
  local order = m:components()
  table.sort(order, function(a, b) return by[2][a] > by[2][b] end)
  local x, y = {0}, {m:accuracy(set)}
  for k = 1, #order do x[k + 1] = k; y[k + 1] = m:accuracy(set, {ablate = table.move(order, 1, k, 1, {})}) end
  series[#series + 1] = {label = by[1], x = x, y = y}
end
plot.line{series = series, title = "Pruning in G and C order", xlabel = "components ablated", ylabel = "accuracy"}:save("pruning.svg")
print("pruning.svg")
