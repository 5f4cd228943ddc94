-- A new task, defined in Lua, through the whole measurement: sorting in descending order
-- (y = x sorted from largest to smallest), the protocol's model and analysis on it: OOD
-- length, G, C, rho, Heroes and Bloats, pruning.
--   gcgap scripts/examples/new_task.lua [seed] [cache-folder]
-- About two minutes here (training about one). A task whose model never generalises to a
-- longer length ends with "no valid OOD length" and the accuracies it found instead.
local gc = require "gcgap"
local E = require "gcgap.experiment"
local seed = math.tointeger(tonumber(arg[1] or "42")) or error("usage: new_task.lua [seed] [cache-folder]", 0)
local cache = arg[2] or "report/cache"
local task = gc.task.new{
  name = "sort-desc",
  target = function(x)
    local y = { table.unpack(x) }
    table.sort(y, function(a, b) return a > b end)
    return y
  end,
}
local p = E.preset("default", { bootstrap = 50 })
local m, training = E.train(task, seed, p, { cache = cache, label = "train sort-desc" })
print(string.format("trained in %d steps, training accuracy %.3f", training.steps, training.accuracy))
local rec = E.analyse(m, task, seed, p)
if not rec.valid then
  print("no valid OOD length: " .. rec.note)
  for _, a in ipairs(rec.ood.accuracies) do print(string.format("  N = %d: accuracy %.3f", a.length, a.accuracy)) end
  return
end
print(string.format("OOD length %d, base accuracy %.3f, rho raw %.3f, per-param %.3f", rec.ood.length, rec.base_accuracy,
  rec.rho.raw or 0 / 0, rec.rho.per_param or 0 / 0))
print("Hidden Heroes:   " .. table.concat(rec.classes.raw.heroes, " "))
print("Gradient Bloats: " .. table.concat(rec.classes.raw.bloats, " "))
local pr = rec.pruning
print(string.format("pruning: baseline OOD %.3f; Heroes %s -> %s; Bloats %s -> %s", pr.baseline.ood,
  table.concat(pr.raw and pr.raw.heroes and pr.raw.heroes.components or {}, ","), tostring(pr.raw and pr.raw.heroes and pr.raw.heroes.ood),
  table.concat(pr.raw and pr.raw.bloats and pr.raw.bloats.components or {}, ","), tostring(pr.raw and pr.raw.bloats and pr.raw.bloats.ood)))
