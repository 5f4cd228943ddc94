--- gcgap.experiment: the paper's measurement, one run at a time, in plain Lua on top of
-- the native primitives. Read it, copy it, change it.
--
--   local E = require "gcgap.experiment"
--   local p = E.preset("default", {threshold = 5})          -- docs/protocol.md, one thing changed
--   local model, training = E.train(gcgap.task.reverse(), 42, p, {cache = "runs/cache"})
--   local record = E.analyse(model, gcgap.task.reverse(), 42, p)
--   print(record.rho.raw, table.concat(record.classes.raw.heroes, " "))
--
-- A record is a plain table (written as JSON by E.run): training, OOD selection, G (raw and
-- per-param), C, ρ with a bootstrap interval, Δ, classes, pruning, and a hero-stability
-- bootstrap over the evaluation set.
local gc = require "gcgap.core"
local json = require "gcgap.json"
local R = require "gcgap.resampling"

local E = {}

-- docs/protocol.md's numbers have one home, gcgap.protocol; these are its presets.
local P = require "gcgap.protocol"
local circuits = require "gcgap.circuits"
E.presets, E.preset = P.presets, P.preset

-- the task library by name (gcgap.task.names(): reverse, sort, copy, modadd, ...)
E.tasks = {}
for _, name in ipairs(gc.task.names()) do E.tasks[name] = gc.task[name] end

local function task_of(t) return type(t) == "string" and assert(E.tasks[t], "unknown task " .. t)() or t end

-- Token rows of the public code's training layout: input block and target block padded
-- separately, so a short sample reads START x SEP PAD .. PAD y END PAD ..
local function block_rows(rows, pad, sep)
  local maxn = 0
  for _, r in ipairs(rows) do
    for i, t in ipairs(r) do if t == sep then maxn = math.max(maxn, i - 2) break end end
  end
  local out = {}
  for k, r in ipairs(rows) do
    local s
    for i, t in ipairs(r) do if t == sep then s = i break end end
    local n = s - 2
    local row = {}
    for i = 1, s do row[#row + 1] = r[i] end
    for _ = n + 1, maxn do row[#row + 1] = pad end
    for i = s + 1, #r do row[#row + 1] = r[i] end
    for _ = n + 1, maxn do row[#row + 1] = pad end
    out[k] = row
  end
  return out
end

-- A deterministic stream of fresh evaluation batches (paper-code's "fresh samples").
local function fresh(task, seed, stream)
  local k = 0
  return function(size, length)
    k = k + 1
    return task:batch{ size = size, length = length, seed = seed, stream = stream .. "-" .. k }
  end
end

--- The cache file of a trained model: everything that shapes training is in the name.
function E.cache_key(task, seed, p)
  local parts = { task:name(), "s" .. seed, p.layout, "e" .. p.eval_every .. "x" .. p.eval_size .. (p.fresh_eval and "f" or ""),
                  "lr" .. p.train.lr, "b" .. p.train.batch, "l" .. p.train.lengths[1] .. "-" .. p.train.lengths[2],
                  "max" .. p.train.steps, "t" .. tostring(p.train.target) }
  local keys = {}
  for k in pairs(p.model) do keys[#keys + 1] = k end
  table.sort(keys)
  for _, k in ipairs(keys) do parts[#parts + 1] = k .. "=" .. tostring(p.model[k]) end
  return table.concat(parts, "_")
end

local function read_file(path)
  local f = io.open(path, "r")
  if not f then return nil end
  local s = f:read("a"); f:close()
  return s
end

--- Writes a file atomically through gcgap's one native writer (temporary file, fsync,
-- rename): a reader sees the old file or the new one, and a full disk is an error with the
-- OS's reason, never a truncated record.
E.write_file = gc.write_file

-- The snapshots a cached run kept (file.at<step>.safetensors), or nil when the preset
-- asks for snapshots the cache lacks (the run is trained again).
local function load_snapshots(file, rec, p)
  if not p.snapshot_every or not rec.snapshots then return nil end
  local snaps = {}
  for i, step in ipairs(rec.snapshots) do
    local ok, m = pcall(gc.load, file .. ".at" .. step .. ".safetensors")
    if not ok then return nil end
    snaps[i] = { step = step, model = m }
  end
  return snaps
end

--- Trains a model as the preset says, or loads it from `opts.cache` (a folder) when it was
-- trained before. Returns the model, the training record and, when the preset has
-- `snapshot_every`, the snapshots ({step =, model =} every that many steps).
function E.train(task, seed, p, opts)
  task = task_of(task)
  p = P.for_task(p, task:name())
  opts = opts or {}
  local file
  if opts.cache then
    gc.mkdir(opts.cache) -- before training: a missing folder must not lose the trained model
    file = opts.cache .. "/" .. E.cache_key(task, seed, p)
    local ok, m = pcall(gc.load, file .. ".safetensors")
    local rec = read_file(file .. ".json")
    if ok and rec then
      rec = json.decode(rec)
      if not p.timings then rec.seconds = nil end
      local snaps = load_snapshots(file, rec, p)
      if snaps or not p.snapshot_every then return m, rec, snaps end
    end
  end
  local mopts = { seed = seed }
  for k, v in pairs(p.model) do mopts[k] = v end
  local m = gc.model(mopts)
  local topts = { lr = p.train.lr, batch = p.train.batch, lengths = p.train.lengths, steps = p.train.steps,
                  target = p.train.target, eval_every = p.eval_every, eval_size = p.eval_size, seed = seed,
                  label = opts.label, quiet = opts.quiet, snapshot_every = p.snapshot_every or nil }
  if p.fresh_eval then
    local next_set = fresh(task, seed, "train-check")
    topts.eval = function() return m:accuracy(next_set(p.eval_size, p.train.lengths)) end
  end
  local result
  if p.layout == "blocks" then
    local k = 0
    result = m:train(function()
      k = k + 1
      local b = task:batch{ size = p.train.batch, length = p.train.lengths, seed = seed, stream = "train-" .. k }
      return block_rows(b:rows(), gc.PAD, gc.SEP)
    end, topts)
  else
    -- with a cache, the run keeps a checkpoint every 200 steps, and an interrupted run
    -- resumes from it bit for bit (runs fed by Lua functions cannot be replayed)
    if file and not topts.eval and not p.snapshot_every then
      topts.checkpoint, topts.checkpoint_every = file .. ".partial.safetensors", 200
    end
    result = m:train(task, topts)
  end
  local rec = { steps = result.steps, seconds = p.timings and result.seconds or nil, accuracy = result.accuracy,
                reached = result.reached, loss = result.loss }
  local snaps = result.snapshots
  if snaps then
    rec.snapshots = {}
    for i, s in ipairs(snaps) do rec.snapshots[i] = s.step end
  end
  if file then
    for _, s in ipairs(snaps or {}) do s.model:save(file .. ".at" .. s.step .. ".safetensors") end
    m:save(file .. ".safetensors")
    E.write_file(file .. ".json", json.encode(rec, " "))
    if topts.checkpoint then os.remove(topts.checkpoint) end
  end
  return m, rec, snaps
end

-- Means for mean ablation, as the preset says.
local function means_for(m, task, seed, p, length, set)
  if p.means == "fresh-batches" then
    -- the same mean as over 50 batches of 64 (equal lengths: every sample counts the same)
    local big = task:batch{ size = p.grad.batches * p.grad.batch, length = length, seed = seed, stream = "means-" .. length }
    return gc.means(m, big, { per_position = p.per_position, z = p.zslice_defect }), big
  end
  return gc.means(m, set, { per_position = p.per_position, z = p.zslice_defect })
end

local function constant(t)
  local first
  for _, v in pairs(t) do
    if first == nil then first = v elseif v ~= first then return false end
  end
  return true
end

--- The gap and classes of (G, C), or nil (undefined) when G or C is constant.
function E.gap_and_classes(G, C, p)
  if constant(G) or constant(C) then return nil end
  local delta = gc.gap(G, C, { ranks = p.ranks })
  return delta, gc.classify(delta, { threshold = p.threshold, strict = p.strict }), gc.stats.spearman(G, C)
end

--- Pruning: ablate the picked components together (mean ablation with the OOD means),
-- accuracy on the OOD set and on the ID set, against the unablated baseline.
function E.prune(m, picks, means, ood_set, id_set)
  local r = { components = picks }
  if #picks == 0 then
    r.ood = m:accuracy(ood_set); r.id = m:accuracy(id_set)
  else
    r.ood = m:accuracy(ood_set, { ablate = picks, means = means })
    r.id = m:accuracy(id_set, { ablate = picks, means = means })
  end
  return r
end

local function first_two(list)
  local out = {}
  for i = 1, math.min(2, #list) do out[i] = list[i] end
  return out
end

local function in_component_order(list, comps)
  local pos = {}
  for i, c in ipairs(comps) do pos[c] = i end
  local copy = { table.unpack(list) }
  table.sort(copy, function(a, b) return pos[a] < pos[b] end)
  return copy
end

-- The analysis as phases, each a function of the context c = {m, task, seed, p, rec, status}
-- that reads what earlier phases left in c and writes the record; a phase that returns false
-- ends the analysis (no valid OOD length). A new measurement is a phase and a name in E.phases.
local phase = {}

--- The OOD length and its evaluation set (fresh samples per length with fresh_sets).
function phase.ood(c)
  local m, task, seed, p, rec = c.m, c.task, c.seed, c.p, c.rec
  c.status("OOD selection")
  c.sets_for = p.fresh_sets and fresh(task, seed, "ood") or nil
  local ood
  if c.sets_for then
    ood = { accuracies = {} }
    for _, n in ipairs(p.ood.lengths) do
      local set = c.sets_for(p.set_size, n)
      local acc = m:accuracy(set)
      ood.accuracies[#ood.accuracies + 1] = { length = n, accuracy = acc }
      if acc >= p.ood.range[1] and acc <= p.ood.range[2] then ood.length = n; ood.set = set break end
    end
  else
    ood = gc.ood(m, task, { lengths = p.ood.lengths, range = p.ood.range, size = p.set_size, seed = seed })
  end
  rec.ood = { length = ood.length, accuracies = ood.accuracies }
  if not ood.length then
    rec.valid = false
    rec.note = "no valid OOD length: accuracy outside [" .. p.ood.range[1] .. ", " .. p.ood.range[2] .. "] at every length tried"
    return false
  end
  c.ood, c.N = ood, ood.length
end

--- G, raw and per-param, and gradient × weight, at the OOD length.
function phase.gradient(c)
  local p, N = c.p, c.N
  c.status("G: " .. p.grad.batches .. " batches at length " .. N)
  local G, Gp, taylor = gc.score.gradient(c.m, c.task, { length = N, batches = p.grad.batches, batch = p.grad.batch, seed = c.seed,
                                                         whole_wv = p.whole_wv })
  c.rec.G = { raw = G, per_param = Gp }
  c.rec.taylor = taylor
end

--- C by mean ablation on the OOD set, with every sample's exact match under each ablation.
function phase.causal(c)
  local p, rec = c.p, c.rec
  c.status("C: " .. #rec.components .. " ablations")
  c.means = means_for(c.m, c.task, c.seed, p, c.N, c.ood.set)
  local comps = rec.components
  -- one route for C in every preset: the native scorer, with the preset's means, a fresh
  -- set per ablation when the preset draws fresh samples, and the z-slice defect only where
  -- the flag says (it changes nothing but where a head's mean is written)
  local sets
  if c.sets_for then
    sets = {}
    for _, comp in ipairs(comps) do sets[comp] = c.sets_for(p.set_size, c.N) end
  end
  local C, b0, _, samples = gc.score.causal(c.m, c.ood.set, { means = c.means, zslice_defect = p.zslice_defect, sets = sets,
                                                              samples = true })
  c.base, c.each = samples.base, samples
  rec.base_accuracy = b0
  rec.C = C
  -- per-sample exact match under each ablation, for a bootstrap over samples across runs
  -- (a string of 0 and 1 per component; "base": nothing ablated)
  if p.keep_samples then
    local function bits(list)
      local t = {}
      for i, v in ipairs(list) do t[i] = v and "1" or "0" end
      return table.concat(t)
    end
    rec.samples = { base = bits(c.base) }
    for _, comp in ipairs(comps) do rec.samples[comp] = bits(c.each[comp]) end
  end
end

--- ρ, Δ and the classes, for both normalisations.
function phase.classes(c)
  local rec = c.rec
  rec.rho, rec.delta, rec.classes = {}, {}, {}
  for _, norm in ipairs{ "raw", "per_param" } do
    local delta, classes, rho = E.gap_and_classes(rec.G[norm], rec.C, c.p)
    rec.rho[norm], rec.delta[norm], rec.classes[norm] = rho, delta, classes
  end
  rec.valid = rec.rho.raw ~= nil
  if not rec.valid then rec.note = "G or C is constant: ρ, Δ and the classes are undefined" end
end

-- One bootstrap resample's C: a count per sample (how often it was drawn); a component's
-- mean is the base's plus its samples that differ from the base (few), in exact integer
-- sums, so the result is mean01 over the drawn indices, value for value, at a fraction of the cost.
local function resampled_C(count, n, base01, diffs, comps)
  local sbase = 0
  for i = 1, n do sbase = sbase + count[i] * base01[i] end
  local b0 = sbase / n
  local Cs = {}
  for _, comp in ipairs(comps) do
    local s, d = sbase, diffs[comp]
    for k = 1, #d, 2 do s = s + count[d[k]] * d[k + 1] end
    Cs[comp] = b0 - s / n
  end
  return Cs
end

-- The bootstrap's record: ρ intervals, and how often each observed Hero (Bloat) is still one
-- over the resamples where the classes were defined (ρ defined), not all of them.
local function bootstrap_record(rec, p, rhos, hero_count, bloat_count)
  local out = { resamples = p.bootstrap, rho_interval = {}, hero_stability = {}, bloat_stability = {} }
  for _, norm in ipairs{ "raw", "per_param" } do
    local r = rhos[norm]
    table.sort(r)
    if #r > 0 then
      out.rho_interval[norm] = { R.percentile(r, 0.025), R.percentile(r, 0.975) }
    end
    local hs, bs = {}, {}
    local defined = math.max(#r, 1)
    for _, comp in ipairs(rec.classes[norm].heroes) do hs[comp] = (hero_count[norm][comp] or 0) / defined end
    for _, comp in ipairs(rec.classes[norm].bloats) do bs[comp] = (bloat_count[norm][comp] or 0) / defined end
    out.hero_stability[norm], out.bloat_stability[norm] = hs, bs
  end
  return out
end

--- The noise: the evaluation set resampled (the same samples for base and ablations).
function phase.bootstrap(c)
  local p, rec, base, each, comps = c.p, c.rec, c.base, c.each, c.rec.components
  if not (base and not c.sets_for and p.bootstrap > 0 and rec.valid) then return end
  c.status("bootstrap")
  local n = #base
  local rhos = { raw = {}, per_param = {} }
  local hero_count, bloat_count = { raw = {}, per_param = {} }, { raw = {}, per_param = {} }
  local rand = R.lcg(c.seed * 7919 + 1, 20)  -- resample indices, fixed by the seed
  local base01, diffs = {}, {}
  for i = 1, n do base01[i] = base[i] and 1 or 0 end
  for _, comp in ipairs(comps) do
    local d = {}
    for i = 1, n do
      local v = each[comp][i] and 1 or 0
      if v ~= base01[i] then d[#d + 1] = i; d[#d + 1] = v - base01[i] end
    end
    diffs[comp] = d
  end
  local count = {}
  for _ = 1, p.bootstrap do
    for i = 1, n do count[i] = 0 end
    for _ = 1, n do local j = rand(n); count[j] = count[j] + 1 end
    local Cs = resampled_C(count, n, base01, diffs, comps)
    for _, norm in ipairs{ "raw", "per_param" } do
      local _, classes, rho = E.gap_and_classes(rec.G[norm], Cs, p)
      if rho then
        rhos[norm][#rhos[norm] + 1] = rho
        for _, comp in ipairs(classes.heroes) do hero_count[norm][comp] = (hero_count[norm][comp] or 0) + 1 end
        for _, comp in ipairs(classes.bloats) do bloat_count[norm][comp] = (bloat_count[norm][comp] or 0) + 1 end
      end
    end
  end
  rec.bootstrap = bootstrap_record(rec, p, rhos, hero_count, bloat_count)
end

-- The pruning picks of both normalisations (the preset's rule), and the distinct lists.
local function pruning_picks(rec, p)
  local picks, lists, index = {}, {}, {}
  for _, norm in ipairs{ "raw", "per_param" } do
    local cl = rec.classes[norm]
    if cl then
      local heroes, bloats = cl.heroes, cl.bloats
      if p.pruning == "component-order" then
        heroes, bloats = in_component_order(heroes, rec.components), in_component_order(bloats, rec.components)
      end
      picks[norm] = { heroes = first_two(heroes), bloats = first_two(bloats) }
      for _, kind in ipairs{ "heroes", "bloats" } do
        local list = picks[norm][kind]
        local key = table.concat(list, ",")
        if #list > 0 and not index[key] then lists[#lists + 1] = list; index[key] = #lists end
      end
    end
  end
  return picks, lists, index
end

--- Pruning: the two Heroes, then the two Bloats, ablated together on the OOD and ID sets
-- (every pick of both normalisations at once on each set, each pick once: resumed from a
-- clean run of the set, on threads; the same values as E.prune's one pass per pick).
function phase.pruning(c)
  local m, p, rec, seed = c.m, c.p, c.rec, c.seed
  c.status("pruning")
  local id_set = p.fresh_sets and fresh(c.task, seed, "id")(p.id_size, p.train.lengths)
      or c.task:batch{ size = p.id_size, length = p.train.lengths, seed = seed, stream = "id" }
  local picks, lists, index = pruning_picks(rec, p)
  local on_ood, ood_base = gc.score.ablations(m, c.ood.set, lists, { means = c.means })
  local on_id, id_base = gc.score.ablations(m, id_set, lists, { means = c.means })
  rec.pruning = { baseline = { ood = ood_base.accuracy, id = id_base.accuracy } }
  local function pruned(list)
    local i = index[table.concat(list, ",")]
    return { components = list, ood = i and on_ood[i].accuracy or ood_base.accuracy, id = i and on_id[i].accuracy or id_base.accuracy }
  end
  for norm, pk in pairs(picks) do
    rec.pruning[norm] = { heroes = pruned(pk.heroes), bloats = pruned(pk.bloats) }
  end
end

--- Joint ablation of every Hero and every Bloat (v3: the Bloats together do far more damage
-- than the sum of their single ablations).
function phase.joint(c)
  if not c.p.joint then return end
  local rec = c.rec
  c.status("joint ablations")
  rec.joint = {}
  for _, norm in ipairs{ "raw", "per_param" } do
    local cl = rec.classes[norm]
    if cl then
      rec.joint[norm] = {}
      for _, kind in ipairs{ "heroes", "bloats" } do
        if #cl[kind] >= 2 then
          local j = gc.score.joint(c.m, c.ood.set, cl[kind], { means = c.means, leave_one_out = false })
          rec.joint[norm][kind] = { components = j.components, joint = j.joint, sum = j.sum, ratio = j.ratio,
                                    singles = j.singles }
        end
      end
    end
  end
end

--- The estimator ladder: every estimator and exact ablation variant under its metrics.
function phase.ladder(c)
  local p, rec = c.p, c.rec
  if not p.ladder then return end
  c.status("estimator ladder")
  local source = c.task:batch{ size = p.set_size, length = c.N, seed = c.seed, stream = "resample-" .. c.N }
  local L = gc.score.ladder(c.m, c.ood.set, { means = c.means, source = source, steps = p.ladder.steps,
                                              shapley = p.ladder.shapley, seed = c.seed })
  L.G = rec.G
  L.taylor = rec.taylor
  rec.ladder = L
  rec.ladder.rho = require("gcgap.ladder").rhos(L)
  rec.ladder.G, rec.ladder.taylor = nil, nil
  if not p.timings then rec.ladder.seconds = nil end
end

--- The pairwise interaction matrix (opt-in: 211 passes).
--- The most snapshots the trajectory phase scores (more are thinned evenly).
E.trajectory_points = 12

--- ρ along training: G and C of every snapshot at the run's OOD length and set, each
-- snapshot's means its own (a model's mean activations change as it learns).
function phase.trajectory(c)
  if not c.snapshots or #c.snapshots == 0 then return end
  local p, rec = c.p, c.rec
  -- at most E.trajectory_points snapshots: every ⌈n / points⌉-th, counted back from the last
  local every = math.ceil(#c.snapshots / E.trajectory_points)
  local picked = {}
  for i = #c.snapshots, 1, -every do table.insert(picked, 1, c.snapshots[i]) end
  rec.trajectory = {}
  for i, s in ipairs(picked) do
    c.status("ρ along training: snapshot " .. i .. " of " .. #picked .. " (step " .. s.step .. ")")
    local G, Gp = gc.score.gradient(s.model, c.task, { length = c.N, batches = p.grad.batches, batch = p.grad.batch, seed = c.seed,
                                                       whole_wv = p.whole_wv })
    local C, b0 = gc.score.causal(s.model, c.ood.set, { means = means_for(s.model, c.task, c.seed, p, c.N, c.ood.set),
                                                          zslice_defect = p.zslice_defect })
    local _, _, rho = E.gap_and_classes(G, C, p)
    local _, _, rho_pp = E.gap_and_classes(Gp, C, p)
    rec.trajectory[i] = { step = s.step, ood_accuracy = b0, rho = { raw = rho, per_param = rho_pp }, G = G, C = C }
    -- a scored model holds its pass buffers (hundreds of MB) that Lua's collector does not
    -- count: E.run's own snapshots are dropped now, not when the analysis ends
    if c.release_snapshots then s.model = nil; collectgarbage() end
  end
end

--- A known circuit (gcgap.circuits, for tasks that have one): its heads located from
-- attention patterns alone, and where G and C rank them (1 = most important of all).
function phase.circuit(c)
  local find = circuits[c.task:name()]
  if not find or not c.rec.valid then return end
  c.status("known circuit")
  local found = find(c.m, c.task, { seed = c.seed })
  local function ranks(scores)
    local order = {}
    for comp in pairs(scores) do order[#order + 1] = comp end
    table.sort(order, function(a, b) return scores[a] > scores[b] or (scores[a] == scores[b] and a < b) end)
    local r = {}
    for i, comp in ipairs(order) do r[comp] = i end
    return r
  end
  local rC, rG, rGp = ranks(c.rec.C), ranks(c.rec.G.raw), ranks(c.rec.G.per_param)
  local out = { length = found.length, scores = found.scores }
  for _, role in ipairs { "prev", "induction" } do
    local h = found[role]
    if h then
      out[role] = { head = h.head, score = h.score, C_rank = rC[h.head], G_rank = rG[h.head], G_per_param_rank = rGp[h.head],
                    delta = c.rec.delta.raw and c.rec.delta.raw[h.head] }
    end
  end
  c.rec.circuit = out
end

function phase.interactions(c)
  if not c.p.interactions then return end
  c.status("interactions")
  local I = gc.score.interactions(c.m, c.ood.set, { means = c.means })
  c.rec.interactions = { components = I.components, singles = I.singles, matrix = I.matrix }
end

E.phase = phase
E.phases = { "ood", "gradient", "causal", "classes", "bootstrap", "pruning", "joint", "ladder", "interactions", "trajectory", "circuit" }

--- The whole analysis of one trained model. Returns a record (a plain table).
function E.analyse(m, task, seed, p, opts)
  task = task_of(task)
  p = P.for_task(p, task:name())
  opts = opts or {}
  local rec = { task = task:name(), seed = seed, preset = p.name, components = m:components(),
                -- which gcgap made it, and the settings the report reads back (not re-derived)
                build = gc.build(),
                settings = { threshold = p.threshold, strict = p.strict, ranks = p.ranks, id_size = p.id_size,
                             grad = { batches = p.grad.batches, batch = p.grad.batch } } }
  -- models no longer referenced (an earlier run's, a copy's) hold hundreds of MB of native
  -- memory that Lua's collector, counting only its own small heap, would free late: free it
  -- now, not in the middle of the timed work (a full collection takes milliseconds)
  collectgarbage()
  local t0 = gc.clock()
  local c = { m = m, task = task, seed = seed, p = p, rec = rec, status = opts.status or function() end,
              snapshots = opts.snapshots, release_snapshots = opts.release_snapshots }
  for _, name in ipairs(E.phases) do
    if phase[name](c) == false then break end
  end
  rec.seconds = p.timings and gc.clock() - t0 or nil
  return rec
end

--- Trains (or loads) and analyses one run; the record is cached as JSON in `opts.out`
-- (a run already recorded there is read back, not redone).
function E.run(task, seed, p, opts)
  task = task_of(task)
  opts = opts or {}
  local file = opts.out and (opts.out .. "/" .. task:name() .. "-" .. seed .. "-" .. p.name .. ".json")
  if opts.out then gc.mkdir(opts.out) end -- before the work, not after it
  if file and not opts.fresh then
    local s = read_file(file)
    if s then return json.decode(s), true end
  end
  local m, training, snapshots = E.train(task, seed, p, opts)
  local aopts = setmetatable({ snapshots = snapshots, release_snapshots = true }, { __index = opts })
  local rec = E.analyse(m, task, seed, p, aopts)
  rec.train = training
  if file then E.write_file(file, json.encode(rec, " ")) end
  return rec, false
end

return E
