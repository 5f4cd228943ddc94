-- A new task, defined in Lua, through the whole measurement: "add one" (y_i = x_i + 1,
-- values 1..98 so that y stays in 1..99), a smaller model, and the paper's analysis on it.
-- (Measured here: this model learns add-one on lengths 3..7 but scores 0% at every longer
-- length, so the run ends with "no valid OOD length" and its accuracies: that report
-- path is part of the example. Change the model or the lengths and see.)
--   gcgap scripts/examples/new_task.lua
local gc = require "gcgap"
local E = require "gcgap.experiment"
local task = gc.task.new{
  name = "add-one",
  values = { 1, 98 },
  target = function(x)
    local y = {}
    for i, v in ipairs(x) do y[i] = v + 1 end
    return y
  end,
}
local p = E.preset("default", { model = { n_layers = 2, d_model = 64, n_heads = 4, d_head = 16, d_mlp = 256 },
                                ood = { lengths = { 8, 9, 10, 11, 12, 14, 16 }, range = { 0.20, 0.75 } } })
local m, training = E.train(task, 7, p, { label = "train add-one" })
print(string.format("trained in %d steps (%.0f s), training accuracy %.3f", training.steps, training.seconds, training.accuracy))
local rec = E.analyse(m, task, 7, p)
if not rec.valid then
  print("no valid OOD length: " .. rec.note)
  for _, a in ipairs(rec.ood.accuracies) do print(string.format("  N = %d: accuracy %.3f", a.length, a.accuracy)) end
  return
end
print(string.format("OOD length %d, base accuracy %.3f, rho raw %.3f, per-param %.3f", rec.ood.length, rec.base_accuracy,
  rec.rho.raw, rec.rho.per_param))
print("Hidden Heroes:", table.concat(rec.classes.raw.heroes, " "), " Gradient Bloats:", table.concat(rec.classes.raw.bloats, " "))
