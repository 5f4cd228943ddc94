-- A custom ablation order: prune components one after another (mean ablation, cumulative),
-- least important first, in three orders, and print the OOD accuracy after each step:
--   by G (smallest gradient first), by C (smallest single-ablation drop first), and greedy
--   (at each step, the component whose removal keeps the most accuracy).
-- A good importance score keeps accuracy up for longer.
--   gcgap scripts/examples/ablation_order.lua [task] [seed] [cache-folder]
-- The model comes from the cache paper.lua keeps (default: report/cache, relative to the
-- folder you run from); a model not found there is trained once and added to it.
local gc = require "gcgap"
local E = require "gcgap.experiment"
local task_name, seed = arg[1] or "reverse", math.tointeger(tonumber(arg[2] or "42"))
local cache = arg[3] or "report/cache"
if not E.tasks[task_name] or not seed then
  io.stderr:write("usage: gcgap scripts/examples/ablation_order.lua [reverse|sort] [seed] [cache-folder]\n")
  os.exit(2)
end
local p = E.preset("default")
local cached = io.open(cache .. "/" .. E.cache_key(E.tasks[task_name](), seed, p) .. ".safetensors")
if cached then cached:close() else
  io.stderr:write(string.format("%s seed %d is not in %s: training it (pass the cache folder paper.lua used as the third argument)\n",
    task_name, seed, cache))
end
local m = E.train(task_name, seed, p, { cache = cache, label = "train " .. task_name .. " " .. seed })
local task = E.tasks[task_name]()
local ood = gc.ood(m, task, { seed = seed })
assert(ood.length, "this model has no OOD length in 8..11")
local means = gc.means(m, ood.set)
local G = gc.score.gradient(m, task, { length = ood.length, seed = seed })
local C = gc.score.causal(m, ood.set, { means = means })

local function order_by(scores)
  local names = m:components()
  table.sort(names, function(a, b) return scores[a] < scores[b] end)
  return names
end

local function curve(order)
  local accs, ablated = {}, {}
  for i, c in ipairs(order) do
    ablated[i] = c
    accs[i] = m:accuracy(ood.set, { ablate = ablated, means = means })
  end
  return accs
end

local function greedy()
  local left, chosen, accs = m:components(), {}, {}
  while #left > 0 do
    local best, bestAcc
    for i, c in ipairs(left) do
      local trial = { table.unpack(chosen) }
      trial[#trial + 1] = c
      local a = m:accuracy(ood.set, { ablate = trial, means = means })
      if not bestAcc or a > bestAcc then best, bestAcc = i, a end
    end
    chosen[#chosen + 1] = table.remove(left, best)
    accs[#accs + 1] = bestAcc
  end
  return chosen, accs
end

local byG, byC = order_by(G), order_by(C)
local gAcc, cAcc = curve(byG), curve(byC)
local gr, grAcc = greedy()
print(string.format("%s seed %d, OOD length %d, base accuracy %.3f", task_name, seed, ood.length, m:accuracy(ood.set)))
print(string.format("%-4s  %-8s %-6s  %-8s %-6s  %-8s %-6s", "k", "by G", "acc", "by C", "acc", "greedy", "acc"))
local function area(a) local s = 0 for _, v in ipairs(a) do s = s + v end return s / #a end
for k = 1, #byG do
  print(string.format("%-4d  %-8s %.3f   %-8s %.3f   %-8s %.3f", k, byG[k], gAcc[k], byC[k], cAcc[k], gr[k], grAcc[k]))
end
print(string.format("mean accuracy along the curve: by G %.3f, by C %.3f, greedy %.3f", area(gAcc), area(cAcc), area(grAcc)))
