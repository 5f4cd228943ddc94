--- gcgap.beyond: the study beyond the paper (scripts/beyond.lua): its cells, how each runs,
-- and its report. A cell is a set of tasks at one model size, run by scripts/paper.lua with
-- the protocol's preset and these changes (the cell's `set`, after B.common).
local B = {}

--- What every cell changes in the protocol's preset: no estimator ladder, no joint
-- ablations, a 50-resample bootstrap per run (the per-run ρ intervals and class stability).
B.common = { "ladder=false", "joint=false", "bootstrap=50" }

--- The cells, in the order they run. `base` marks the protocol's size (the cell that
-- the sizes are compared with). The paper's two tasks at that size come from a paper.lua
-- report (--paper DIR: B.paper_cell), not run again.
B.paper_cell = { name = "paper", base = true, tasks = { "reverse", "sort" }, set = {},
                 text = "the paper's two tasks at the protocol's size, from a paper.lua report", size = { n_layers = 4, d_model = 128 } }
B.cells = {
  { name = "tasks", base = true, tasks = { "copy", "modadd", "histogram", "brackets", "induction" },
    set = { "snapshot_every=50" }, text = "the task library at the protocol's size (4 layers, d_model 128), ρ along training",
    size = { n_layers = 4, d_model = 128 } },
  { name = "d64", tasks = { "copy", "brackets" }, set = { "model.d_model=64", "model.d_head=16", "model.d_mlp=256" },
    text = "d_model 64 (d_head 16, d_mlp 256)", size = { n_layers = 4, d_model = 64 } },
  { name = "L1", tasks = { "copy", "brackets" }, set = { "model.n_layers=1" }, text = "one layer", size = { n_layers = 1, d_model = 128 } },
  { name = "L6", tasks = { "copy", "brackets" }, set = { "model.n_layers=6" }, text = "six layers", size = { n_layers = 6, d_model = 128 } },
  { name = "d256", tasks = { "copy", "brackets" }, set = { "model.d_model=256", "model.d_head=64", "model.d_mlp=1024" },
    text = "d_model 256 (d_head 64, d_mlp 1024)", size = { n_layers = 4, d_model = 256 } },
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

-- ---------------------------------------------------------------- the report
local gc = require "gcgap.core"
local json = require "gcgap.json"
local R = require "gcgap.resampling"
local SV = require "gcgap.svg"
local provenance = require("gcgap.report.markdown").provenance

local RESAMPLES = 10000
local D = require "gcgap.report.data"
local function fmt(x, d) return D.fmt(x, d or 2) end   -- (two decimals unless told)
local ci = D.fmt_interval
local function median(t)
  local c = {}
  for k, v in ipairs(t) do c[k] = v end
  table.sort(c)
  return R.percentile(c, 0.5)
end

--- The records of a folder of runs (*.json), sorted by task then seed.
function B.read_runs(dir)
  local out = {}
  local ok, names = pcall(gc.dir, dir)
  if not ok then return out end
  table.sort(names)
  for _, name in ipairs(names) do
    if name:match("%.json$") then
      local f = io.open(dir .. "/" .. name)
      if f then
        local ok2, r = pcall(json.decode, f:read("a")); f:close()
        if ok2 and type(r) == "table" and r.task then out[#out + 1] = r end
      end
    end
  end
  table.sort(out, function(a, b) return a.task < b.task or (a.task == b.task and a.seed < b.seed) end)
  return out
end

--- Every cell's records: list of {cell =, task =, runs =, size =}.
function B.groups(out, paper_dir)
  local groups = {}
  for _, cell in ipairs(B.cells) do
    local by = {}
    for _, r in ipairs(B.read_runs(out .. "/cells/" .. cell.name .. "/runs")) do
      by[r.task] = by[r.task] or {}
      table.insert(by[r.task], r)
    end
    for _, task in ipairs(cell.tasks) do
      if by[task] then
        groups[#groups + 1] = { cell = cell, task = task, runs = by[task] }
      end
    end
  end
  if paper_dir then
    local by = {}
    for _, r in ipairs(B.read_runs(paper_dir .. "/runs")) do
      if r.preset == "default" then by[r.task] = by[r.task] or {}; table.insert(by[r.task], r) end
    end
    for _, task in ipairs { "reverse", "sort" } do
      if by[task] then groups[#groups + 1] = { cell = B.paper_cell, task = task, runs = by[task], from = paper_dir } end
    end
  end
  return groups
end

-- the statistics of one group: valid runs, mean ρ with its two-level interval, pruning
local function summarise(g, k)
  local valid = {}
  for _, r in ipairs(g.runs) do if r.valid and r.rho and r.rho.raw then valid[#valid + 1] = r end end
  local s = { n = #g.runs, valid = #valid, cell = g.cell.name, task = g.task, size = g.cell.size, reached = 0, best = 0, steps = 0 }
  for _, r in ipairs(g.runs) do
    local t = r.train or {}
    if t.reached then s.reached = s.reached + 1 end
    s.best, s.steps = math.max(s.best, t.accuracy or 0), math.max(s.steps, t.steps or 0)
  end
  for i, norm in ipairs { "raw", "per_param" } do
    local rhos = {}
    for _, r in ipairs(valid) do rhos[#rhos + 1] = r.rho[norm] end
    if #valid >= 2 then
      local draws = gc.stats.mean_rho(valid, { norm = norm, resamples = RESAMPLES, seed = 100 * k + i })
      s[norm] = { mean = R.mean(rhos), sd = R.sd(rhos), interval = R.interval(draws), min = math.min(table.unpack(rhos)),
                  max = math.max(table.unpack(rhos)) }
    end
  end
  local d = {}
  for _, r in ipairs(valid) do
    local pr, base = r.pruning and r.pruning.raw, r.pruning and r.pruning.baseline
    if pr and base and #pr.heroes.components > 0 and #pr.bloats.components > 0 then
      d[#d + 1] = 100 * ((base.ood - pr.heroes.ood) - (base.ood - pr.bloats.ood))
    end
  end
  s.pruning = R.mean_ci(d, RESAMPLES)
  local heroes, bloats = 0, 0
  for _, r in ipairs(valid) do heroes = heroes + #r.classes.raw.heroes; bloats = bloats + #r.classes.raw.bloats end
  s.heroes, s.bloats = #valid > 0 and heroes / #valid or nil, #valid > 0 and bloats / #valid or nil
  s.valid_runs = valid
  return s
end

-- In plain words: how well G predicts C in a group.
local function verdict_of(s)
  local r = s.raw
  if not r then return "too few valid runs" end
  if r.interval[1] >= 0.5 then return "predicts well" end
  if r.interval[1] > 0 then return "predicts weakly" end
  if r.interval[2] < 0 then return "predicts the opposite" end
  return "does not predict"
end

local function size_label(size) return "L" .. size.n_layers .. " d" .. size.d_model end

B.progress_bins = 6

--- ρ along training of a group: each run's trajectory as progress (step / the run's last
-- step) in B.progress_bins bins; per bin the mean over runs of ρ and OOD accuracy, with a
-- 95% bootstrap interval over runs. Returns a list of bins {progress, n, rho, acc}.
function B.trajectory(g)
  local bins = {}
  for _, r in ipairs(g.runs) do
    local t = r.trajectory
    if t and #t > 0 and r.valid then
      local last = t[#t].step
      for _, pt in ipairs(t) do
        local b = math.max(1, math.ceil(pt.step / last * B.progress_bins - 1e-9))
        bins[b] = bins[b] or { rho = {}, acc = {}, seeds = {} }
        -- one point per run and bin (the last), so every run counts once
        local at = bins[b].seeds[r.seed]
        if at then bins[b].rho[at], bins[b].acc[at] = pt.rho.raw or false, pt.ood_accuracy
        else
          table.insert(bins[b].rho, pt.rho.raw or false); table.insert(bins[b].acc, pt.ood_accuracy)
          bins[b].seeds[r.seed] = #bins[b].rho
        end
      end
    end
  end
  local out = {}
  for b = 1, B.progress_bins do
    local x = bins[b]
    if x then
      local rhos = {}
      for _, v in ipairs(x.rho) do if v then rhos[#rhos + 1] = v end end
      out[#out + 1] = { progress = b / B.progress_bins, n = #rhos, rho = R.mean_ci(rhos, 2000), acc = R.mean_ci(x.acc, 2000),
                        undefined = #x.rho - #rhos }
    end
  end
  return out
end

--- The known-circuit check of a group (records with r.circuit): per run the circuit's heads
-- and where C and G rank them, and a summary.
function B.circuit(g)
  local rows, ranks = {}, { induction = { C = {}, G = {} }, prev = { C = {}, G = {} } }
  for _, r in ipairs(g.runs) do
    local c = r.circuit
    if c and c.induction then
      rows[#rows + 1] = { seed = r.seed, c = c, classes = r.classes.raw }
      for _, role in ipairs { "induction", "prev" } do
        if c[role] then table.insert(ranks[role].C, c[role].C_rank); table.insert(ranks[role].G, c[role].G_rank) end
      end
    end
  end
  return rows, ranks
end

local function class_of(classes, head)
  for _, h in ipairs(classes.heroes) do if h == head then return "Hero" end end
  for _, b in ipairs(classes.bloats) do if b == head then return "Bloat" end end
  return "–"
end

local TASK_COLORS = { copy = "#0072B2", modadd = "#D55E00", histogram = "#009E73", brackets = "#CC79A7", induction = "#E69F00",
                      reverse = "#56B4E9", sort = "#000000" }
local TASK_SHAPES = { copy = "circle", modadd = "square", histogram = "triangle", brackets = "diamond", induction = "circle",
                      reverse = "square", sort = "triangle" }
B.task_style = { colors = TASK_COLORS, shapes = TASK_SHAPES }

-- figures: ρ by task at the base size, ρ by size, ρ along training
local function figures(stats, groups)
  local figs = {}
  local base, cats = {}, {}
  for _, s in ipairs(stats) do if B.cell_of(s.cell).base and s.raw then base[#base + 1] = s end end
  local series = { { label = "raw G", color = SV.C_RAW, shape = "circle", points = {} },
                   { label = "per-param G", color = SV.C_PP, shape = "square", points = {} } }
  for i, s in ipairs(base) do
    cats[i] = s.task
    for k, norm in ipairs { "raw", "per_param" } do
      local x = s[norm]
      table.insert(series[k].points, { i, x.mean, x.interval[1], x.interval[2], string.format("%s: mean ρ %.2f [%.2f, %.2f], %d valid runs", s.task, x.mean, x.interval[1], x.interval[2], s.valid) })
    end
  end
  figs[#figs + 1] = { file = "fig1-rho-by-task.svg", caption = "Figure 1: mean ρ(G, C) per task at the protocol's size, 95% two-level bootstrap intervals",
    svg = SV.chart { title = "ρ(G, C) by task", subtitle = "4 layers, d_model 128; mean over seeds, 95% interval", categories = cats,
                     xlabel = "task", ylabel = "mean Spearman ρ(G, C)", series = series } }
  local order = { { 1, 128 }, { 4, 128 }, { 6, 128 }, { 4, 64 }, { 4, 256 } }
  local scats, sseries = {}, {}
  for i, o in ipairs(order) do scats[i] = "L" .. o[1] .. " d" .. o[2] end
  for _, task in ipairs { "copy", "brackets" } do
    local sr = { label = task, color = TASK_COLORS[task], shape = TASK_SHAPES[task], points = {} }
    for i, o in ipairs(order) do
      for _, s in ipairs(stats) do
        if s.task == task and s.size.n_layers == o[1] and s.size.d_model == o[2] and s.raw then
          table.insert(sr.points, { i, s.raw.mean, s.raw.interval[1], s.raw.interval[2], string.format("%s %s: %.2f (%d valid)", task, scats[i], s.raw.mean, s.valid) })
        end
      end
    end
    sseries[#sseries + 1] = sr
  end
  figs[#figs + 1] = { file = "fig2-rho-by-size.svg", caption = "Figure 2: mean ρ(G, C) (raw G) by model size on copy and brackets, 95% intervals",
    svg = SV.chart { title = "ρ(G, C) by model size", subtitle = "n_layers at d_model 128, then d_model at 4 layers", categories = scats,
                     xlabel = "model (layers, d_model)", ylabel = "mean Spearman ρ(G, C), raw G", series = sseries } }
  local tseries = {}
  for _, g in ipairs(groups) do
    if B.cell_of(g.cell.name).base then
      local pts = {}
      for _, b in ipairs(B.trajectory(g)) do
        if b.rho then pts[#pts + 1] = { 100 * b.progress, b.rho.mean, b.rho.lo, b.rho.hi, string.format("%s at %.0f%%: ρ %.2f (%d runs)", g.task, 100 * b.progress, b.rho.mean, b.n) } end
      end
      if #pts > 0 then tseries[#tseries + 1] = { label = g.task, color = TASK_COLORS[g.task], shape = TASK_SHAPES[g.task], line = true, points = pts } end
    end
  end
  figs[#figs + 1] = { file = "fig3-rho-along-training.svg", caption = "Figure 3: ρ(G, C) along training (raw G), each run's snapshots binned by the share of its training steps, mean over seeds with 95% intervals",
    svg = SV.chart { title = "ρ(G, C) along training", subtitle = "snapshots every 50 steps; x: share of the run's steps", xlabel = "training progress (% of the run's steps)",
                     ylabel = "mean Spearman ρ(G, C), raw G", series = tseries } }
  return figs
end

function B.cell_of(name)
  if name == B.paper_cell.name then return B.paper_cell end
  for _, c in ipairs(B.cells) do if c.name == name then return c end end
end

local function headline(w, stats)
  w("| cell | model | task | valid runs | mean ρ, raw G [95%] | mean ρ, per-param G [95%] | range of ρ (raw) | Heroes / Bloats per run | Hero − Bloat pruning, OOD pts [95%] | G … C |")
  w("|---|---|---|---|---|---|---|---|---|---|")
  for _, s in ipairs(stats) do
    local r, pp = s.raw, s.per_param
    w(string.format("| %s | %s | %s | %d of %d | %s %s | %s %s | %s to %s | %s / %s | %s %s | %s |", s.cell, size_label(s.size), s.task, s.valid, s.n,
      fmt(r and r.mean), ci(r and r.interval), fmt(pp and pp.mean), ci(pp and pp.interval), fmt(r and r.min), fmt(r and r.max),
      fmt(s.heroes, 1), fmt(s.bloats, 1), fmt(s.pruning and s.pruning.mean, 1),
      s.pruning and s.pruning.lo and ci({ s.pruning.lo, s.pruning.hi }, 1) or "", verdict_of(s)))
  end
end

local function trajectory_section(w, groups)
  w("## ρ along training")
  w()
  w("Each run kept its model every 50 training steps; the analysis scored G and C of at most " .. 12 .. " of them (evenly spaced, the last always) at the run's OOD length and set, each with its own means. " ..
    "Runs stop at different steps (the target accuracy), so the table bins each run's snapshots by the share of its steps. ρ is undefined while C is constant (an untrained model fails every OOD sample).")
  w()
  w("| task | " .. (function() local t = {} for b = 1, B.progress_bins do t[b] = string.format("≤ %d%%", math.floor(100 * b / B.progress_bins + 0.5)) end return table.concat(t, " | ") end)() .. " |")
  w("|---|" .. string.rep("---|", B.progress_bins))
  for _, g in ipairs(groups) do
    local t = B.trajectory(g)
    if #t > 0 then
      local cells = {}
      for b = 1, B.progress_bins do cells[b] = "–" end
      for _, x in ipairs(t) do
        local b = math.floor(x.progress * B.progress_bins + 0.5)
        cells[b] = x.rho and string.format("%s %s (OOD %s, n %d)", fmt(x.rho.mean), ci({ x.rho.lo, x.rho.hi }), fmt(x.acc and x.acc.mean), x.n) or "undefined"
      end
      w("| " .. g.task .. " | " .. table.concat(cells, " | ") .. " |")
    end
  end
  w()
end

local function circuit_section(w, groups)
  for _, g in ipairs(groups) do
    local rows, ranks = B.circuit(g)
    if #rows > 0 then
      w("## A known circuit: induction")
      w()
      w("On `induction` the circuit is known: a previous-token head and, in a later layer, an induction head that attends from the repeated token to the token after its first occurrence. " ..
        "gcgap.circuits.induction finds both from attention patterns alone (no G, no C): the head of highest induction score (mean attention to the token to copy) in a layer ≥ 1, and the head of highest previous-token score in an earlier layer. " ..
        "The table shows where C and G rank them among the " .. #g.runs[1].components .. " components (1 = most important).")
      w()
      w("| seed | induction head (score) | heads scoring > 0.5 | its C rank | its G rank | class | previous-token head (score) | its C rank | its G rank | class |")
      w("|---|---|---|---|---|---|---|---|---|---|")
      for _, r in ipairs(rows) do
        local i, p = r.c.induction, r.c.prev
        local like = 0
        for _, v in pairs(r.c.scores.induction) do if v > 0.5 then like = like + 1 end end
        w(string.format("| %d | %s (%s) | %d | %s | %s | %s | %s | %s | %s | %s |", r.seed, i.head, fmt(i.score), like, i.C_rank, i.G_rank, class_of(r.classes, i.head),
          p and (p.head .. " (" .. fmt(p.score) .. ")") or "–", p and p.C_rank or "–", p and p.G_rank or "–", p and class_of(r.classes, p.head) or "–"))
      end
      w()
      w(string.format("Median ranks: the induction head is %s by C and %s by G; the previous-token head %s by C and %s by G (of %d; %d runs).",
        tostring(median(ranks.induction.C)), tostring(median(ranks.induction.G)), tostring(median(ranks.prev.C) or "–"), tostring(median(ranks.prev.G) or "–"),
        #g.runs[1].components, #rows))
      w()
    end
  end
end

-- "In plain words": sentences made from the numbers (regenerated with the report)
local function plain_words(w, stats, groups)
  w("## In plain words")
  w()
  local by = {}
  for _, s in ipairs(stats) do
    local v = verdict_of(s)
    by[v] = by[v] or {}
    table.insert(by[v], s.task .. " (" .. size_label(s.size) .. ", ρ " .. fmt(s.raw and s.raw.mean) .. ")")
  end
  w("Read ρ(G, C) as: does ranking components by gradient magnitude rank them as ablating them would? " ..
    "“Predicts well” means the 95% interval of the mean ρ lies above 0.5, “weakly” above 0 but reaching below 0.5, “does not predict” that it includes 0.")
  w()
  local say = { ["predicts well"] = "Gradient importance **predicts** causal importance well on",
                ["predicts weakly"] = "It predicts it **weakly** on",
                ["does not predict"] = "It **does not** predict it on",
                ["predicts the opposite"] = "It predicts the **opposite** on",
                ["too few valid runs"] = "Too few valid runs to say on" }
  for _, v in ipairs { "predicts well", "predicts weakly", "does not predict", "predicts the opposite", "too few valid runs" } do
    if by[v] then w(string.format("- %s: %s.", say[v], table.concat(by[v], "; "))) end
  end
  w()
  local lo, hi
  for _, s in ipairs(stats) do
    if s.raw and B.cell_of(s.cell).base then
      if not lo or s.raw.mean < lo.raw.mean then lo = s end
      if not hi or s.raw.mean > hi.raw.mean then hi = s end
    end
  end
  if lo and hi then
    local paper = {}
    for _, s in ipairs(stats) do if s.cell == "paper" and s.raw then paper[#paper + 1] = s.task .. " " .. fmt(s.raw.mean) end end
    w(string.format("- At the protocol's size, mean ρ runs from %s on %s to %s on %s%s; within a task, seeds spread ρ with a standard deviation of %s (%s) and %s (%s).",
      fmt(lo.raw.mean), lo.task, fmt(hi.raw.mean), hi.task, #paper > 0 and (" (the paper's tasks: " .. table.concat(paper, ", ") .. ")") or "",
      fmt(lo.raw.sd), lo.task, fmt(hi.raw.sd), hi.task))
  end
  local unlearned = {}
  for _, s in ipairs(stats) do
    if s.reached == 0 and s.n > 0 then
      unlearned[#unlearned + 1] = string.format("%s at %s (best training accuracy %s after %d steps, %d runs)", s.task, size_label(s.size),
        fmt(s.best), s.steps, s.n)
    end
  end
  if #unlearned > 0 then
    w("- No model learned " .. table.concat(unlearned, "; ") .. " to the stop accuracy: no OOD length falls in range, so ρ is undefined there, " ..
      "and the question needs a model that does the task.")
  end
  w()
end

-- the range of tasks at the protocol's size against the paper's two
local function range_point(w, stats)
  local paper, new = {}, {}
  for _, s in ipairs(stats) do
    if s.raw and B.cell_of(s.cell).base then
      if s.cell == "paper" then paper[#paper + 1] = s else new[#new + 1] = s end
    end
  end
  if #paper == 2 and #new > 0 then
    local lo = math.min(paper[1].raw.mean, paper[2].raw.mean)
    local hi = math.max(paper[1].raw.mean, paper[2].raw.mean)
    local inside, outside = {}, {}
    for _, s in ipairs(new) do
      local t = string.format("%s %s", s.task, fmt(s.raw.mean))
      if s.raw.mean >= lo and s.raw.mean <= hi then inside[#inside + 1] = t else outside[#outside + 1] = t end
    end
    w(string.format("- **The range of tasks.** Reversal and sorting span mean ρ %s to %s. Of the new tasks at the same size, %s%s.",
      fmt(lo), fmt(hi), #inside > 0 and (table.concat(inside, ", ") .. " lie inside that span") or "none lies inside that span",
      #outside > 0 and ("; outside it: " .. table.concat(outside, ", ")) or ""))
  end
end

-- ρ along training: from the first bin with 3 runs of a defined ρ to the end
local function training_point(w, groups)
  local rises = {}
  for _, g in ipairs(groups) do
    local first, last
    for _, x in ipairs(B.trajectory(g)) do if x.rho and x.n >= 3 then first = first or x; last = x end end
    if first and last and first ~= last and B.cell_of(g.cell.name).base then
      rises[#rises + 1] = string.format("%s from %s (at %d%% of training, OOD accuracy %s) to %s", g.task, fmt(first.rho.mean),
        math.floor(100 * first.progress + 0.5), fmt(first.acc and first.acc.mean), fmt(last.rho.mean))
    end
  end
  if #rises > 0 then
    w("- **Training.** The paper measures ρ once, on the final model. Along training it moves: " .. table.concat(rises, "; ") ..
      " (the first bin with at least 3 runs of a defined ρ). While few OOD samples are solved, C is nearly flat and ρ says little; the ranking the paper reports forms late in training.")
  end
end

-- mean ρ and the class counts by size, where the models learned the task
local function size_point(w, stats)
  local sizes = {}
  for _, task in ipairs { "copy", "brackets" } do
    local pts = {}
    for _, s in ipairs(stats) do if s.task == task and s.raw then pts[#pts + 1] = s end end
    if #pts >= 3 then
      table.sort(pts, function(a, b)
        return a.size.n_layers < b.size.n_layers or (a.size.n_layers == b.size.n_layers and a.size.d_model < b.size.d_model)
      end)
      local parts = {}
      for _, s in ipairs(pts) do
        parts[#parts + 1] = string.format("%s %s (%s Heroes + Bloats per run)", size_label(s.size), fmt(s.raw.mean), fmt(s.heroes + s.bloats, 1))
      end
      sizes[#sizes + 1] = task .. ": " .. table.concat(parts, ", ")
    end
  end
  if #sizes > 0 then
    w("- **Size.** The paper fixes 4 layers and d_model 128. Where the models learned the task, mean ρ by size is " .. table.concat(sizes, "; ") ..
      ". Δ's threshold (6) counts ranks, so a model with more components (6 layers: 30 heads and MLPs) has more Heroes and Bloats at the same ρ: the classes' counts do not carry across sizes.")
  end
end

-- where C and G rank a known circuit's heads
local function mechanism_point(w, groups)
  for _, g in ipairs(groups) do
    local rows, ranks = B.circuit(g)
    if #rows > 0 then
      local like, n = 0, 0
      for _, r in ipairs(rows) do
        for _, v in pairs(r.c.scores.induction) do if v > 0.5 then like = like + 1 end end
        n = n + 1
      end
      w(string.format("- **A known mechanism.** On induction, the induction head found from attention patterns has median rank %s by C and %s by G (of %d), with %.1f heads per model attending like induction heads (score > 0.5). " ..
        "Single-component ablation can rank a circuit's head low when other heads do the same job: neither score is a circuit finder, and a task without a known circuit cannot show it.",
        tostring(median(ranks.induction.C)), tostring(median(ranks.induction.G)), #g.runs[1].components, like / n))
    end
  end
end

-- "What the paper's two tasks miss": each point made from the numbers, with its condition
local function what_paper_misses(w, stats, groups)
  w("## What the paper's two tasks miss")
  w()
  range_point(w, stats)
  training_point(w, groups)
  size_point(w, stats)
  mechanism_point(w, groups)
  w()
end

--- Writes the study's report into `out` from its cells' records: report.md, runs.csv,
-- summary.json and the figures. Returns the number of runs read.
function B.write_report(out, opts)
  opts = opts or {}
  local groups = B.groups(out, opts.paper)
  local stats, records, count = {}, {}, 0
  for k, g in ipairs(groups) do
    stats[k] = summarise(g, k)
    for _, r in ipairs(g.runs) do records[#records + 1] = r; count = count + 1 end
  end
  local lines = {}
  local function w(x) lines[#lines + 1] = x or "" end
  w("# Beyond the paper: where gradient importance predicts causal importance")
  w()
  w(string.format("%d runs in %d cells (a cell: tasks at one model size, seeds 1..10 each), each analysed as docs/protocol.md says (G over 50 batches of 64 at the run's OOD length, C by mean ablation on its OOD set, ρ, Δ, classes at |Δ| ≥ 6, pruning), without the estimator ladder or joint ablations. " ..
    "Intervals are 95%%: for mean ρ a two-level bootstrap (seeds, and evaluation samples within each seed; %d resamples), for pruning a bootstrap over runs. %s", count, #B.cells, RESAMPLES, provenance(records)))
  for _, g in ipairs(groups) do
    if g.from then w() w(string.format("The paper cell's reverse and sort runs are read from `%s` (its runs, not run again here).", g.from)) break end
  end
  w()
  w("## Headline")
  w()
  headline(w, stats)
  w()
  plain_words(w, stats, groups)
  what_paper_misses(w, stats, groups)
  trajectory_section(w, groups)
  circuit_section(w, groups)
  w("## Figures")
  w()
  for _, f in ipairs(figures(stats, groups)) do
    gc.write_file(out .. "/" .. f.file, f.svg)
    w(string.format("![%s](%s)", f.caption, f.file))
    w()
    w(f.caption)
    w()
  end
  w("## The cells")
  w()
  for _, c in ipairs(B.cells) do w(string.format("- `%s`: %s; tasks %s; `--set` %s %s.", c.name, c.text, table.concat(c.tasks, ", "), table.concat(B.common, " "), table.concat(c.set, " "))) end
  w()
  w("Made with `gcgap scripts/beyond.lua --run --jobs 2 --out DIR` (then `gcgap scripts/beyond.lua --out DIR` rewrites this report from the records).")
  gc.write_file(out .. "/report.md", table.concat(lines, "\n") .. "\n")
  local csv = { "cell,n_layers,d_model,task,seed,valid,steps,ood_length,rho_raw,rho_per_param,heroes,bloats" }
  for _, g in ipairs(groups) do
    for _, r in ipairs(g.runs) do
      csv[#csv + 1] = string.format("%s,%d,%d,%s,%d,%s,%s,%s,%s,%s,%d,%d", g.cell.name, g.cell.size.n_layers, g.cell.size.d_model, r.task, r.seed,
        tostring(r.valid == true), tostring(r.train and r.train.steps or ""), tostring(r.ood and r.ood.length or ""),
        r.rho and r.rho.raw and string.format("%.6f", r.rho.raw) or "", r.rho and r.rho.per_param and string.format("%.6f", r.rho.per_param) or "",
        r.classes and #r.classes.raw.heroes or 0, r.classes and #r.classes.raw.bloats or 0)
    end
  end
  gc.write_file(out .. "/runs.csv", table.concat(csv, "\n") .. "\n")
  local summary = {}
  for k, s in ipairs(stats) do
    summary[k] = { cell = s.cell, task = s.task, size = s.size, runs = s.n, valid = s.valid, rho = { raw = s.raw, per_param = s.per_param },
                   pruning = s.pruning, verdict = verdict_of(s) }
  end
  gc.write_file(out .. "/summary.json", json.encode(summary, " "))
  return count
end

return B
