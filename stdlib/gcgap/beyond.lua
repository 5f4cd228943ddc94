--- gcgap.beyond: the study beyond the paper (scripts/beyond.lua): its cells, how each runs,
-- and its report. A cell is a set of tasks at one model size, run by scripts/paper.lua with
-- the protocol's preset and these changes (the cell's `set`, after B.common).
local B = {}

--- What every cell changes in the protocol's preset: no estimator ladder, no joint
-- ablations, a 50-resample bootstrap per run (the per-run ρ intervals and class stability).
B.common = { "ladder=false", "joint=false", "bootstrap=50" }

--- The cells, in the order they run. `base` marks the protocol's size (the cell that
-- the sizes are compared with).
B.cells = {
  { name = "tasks", base = true, tasks = { "copy", "modadd", "histogram", "brackets", "induction" },
    set = { "snapshot_every=50" }, text = "the task library at the protocol's size (4 layers, d_model 128), ρ along training",
    size = { n_layers = 4, d_model = 128 } },
  { name = "d64", tasks = { "copy", "brackets" }, set = { "model.d_model=64", "model.d_head=16", "model.d_mlp=256" },
    text = "d_model 64 (d_head 16, d_mlp 256)", size = { n_layers = 4, d_model = 64 } },
  { name = "L1", tasks = { "copy", "brackets" }, set = { "model.n_layers=1" }, text = "one layer", size = { n_layers = 1, d_model = 128 } },
  { name = "L2", tasks = { "copy", "brackets" }, set = { "model.n_layers=2" }, text = "two layers", size = { n_layers = 2, d_model = 128 } },
  { name = "L6", tasks = { "copy", "brackets" }, set = { "model.n_layers=6" }, text = "six layers", size = { n_layers = 6, d_model = 128 } },
  { name = "d256", tasks = { "copy", "brackets" }, set = { "model.d_model=256", "model.d_head=64", "model.d_mlp=1024" },
    text = "d_model 256 (d_head 64, d_mlp 1024)", size = { n_layers = 4, d_model = 256 } },
  { name = "paper", base = true, tasks = { "reverse", "sort" }, set = { "snapshot_every=50" },
    text = "the paper's two tasks at the protocol's size, ρ along training", size = { n_layers = 4, d_model = 128 } },
}

local function q(x) return "'" .. tostring(x):gsub("'", "'\\''") .. "'" end

--- Runs one cell with scripts/paper.lua: `jobs` shards at once, records only (no paper report).
function B.run_cell(cell, o)
  local args = { q(o.exe), q(o.script), "--tasks", table.concat(cell.tasks, ","), "--seeds", q(o.seeds), "--no-decomposition",
                 "--out", q(o.out .. "/cells/" .. cell.name), "--cache", q(o.out .. "/cache/" .. cell.name) }
  for _, s in ipairs(B.common) do args[#args + 1] = "--set"; args[#args + 1] = q(s) end
  for _, s in ipairs(cell.set) do args[#args + 1] = "--set"; args[#args + 1] = q(s) end
  local cmds = {}
  for j = 1, o.jobs do cmds[#cmds + 1] = table.concat(args, " ") .. " --shard " .. j .. "/" .. o.jobs end
  return os.execute("GCGAP_THREADS=1; export GCGAP_THREADS; " .. table.concat(cmds, " & ") .. " & wait")
end

return B
