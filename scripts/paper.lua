-- scripts/paper.lua: the whole paper, reproduced.
--
--   gcgap scripts/paper.lua [--quick] [--tasks reverse,sort] [--seeds 42,123,...]
--                           [--preset default|paper-code] [--out DIR] [--cache DIR]
--                           [--no-decomposition] [--fresh] [--jobs N] [--steps N] [--set K=V]
--                           [--shard I/N] [--report-only] [--emit-slurm [--array-limit K] ...]
--
-- Trains (or loads) one model per task and seed, analyses it (gcgap.experiment), and writes
-- DIR (default: report/) with report.md, runs.csv, summary.json, one JSON per run under
-- runs/, and SVG figures. Trained models are cached (default: DIR/cache), finished runs are
-- read back from runs/, so an interrupted run picks up where it stopped. --quick: two seeds
-- per task and a smaller bootstrap, for a first look in a few minutes.
local gc = require "gcgap"
local E = require "gcgap.experiment"
local R = require "gcgap.report"
local json = require "gcgap.json"
local S = require "gcgap.sweep"

local SEEDS = { 42, 123, 456, 789, 1010, 2020, 3030, 4040, 5050, 6060 }
local opts = { tasks = { "reverse", "sort" }, seeds = nil, preset = "default", out = "report", cache = nil,
               quick = false, fresh = false, decomposition = true, jobs = 1, shard = nil, report_only = false,
               emit_slurm = false, array_limit = 32, shards = nil, sbatch = {}, steps = nil, set = {} }
-- the options a shard or the merge job is run with (not the sweep's own or Slurm's)
local passed = {}

local USAGE = [[
usage: gcgap scripts/paper.lua [options]

Trains (or loads) one model per task and seed, analyses each as docs/protocol.md says, and
writes a report folder: report.md, runs.csv, summary.json, runs/*.json and SVG figures.

  --quick               two seeds per task (42, 123) and a 50-resample bootstrap: a first
                        look in a few minutes (the report says it is preliminary)
  --tasks LIST          tasks, comma-separated (default: reverse,sort)
  --seeds LIST          seeds: a list (42,123), a range (1-50) or both (42,100-109);
                        default: the paper's ten (42,123,456,789,1010,2020,3030,4040,5050,6060)
  --preset NAME         default (docs/protocol.md) or paper-code (the author's public code)
  --out DIR             the report folder (default: report)
  --cache DIR           trained models (default: DIR/cache); a model trained before is loaded
  --no-decomposition    skip re-analysing the models under the public code's choices
  --fresh               redo every run even when its record exists in DIR/runs
  --jobs N              N runs at once, as separate processes (one thread each);
                        the records are the same as a sequential run's, bit for bit
  --steps N             at most N training steps (a preset's train.steps)
  --set FIELD=VALUE     a preset field, e.g. --set ladder=false, --set model.d_model=64,
                        --set ood.range=0.1,0.9 (numbers, true/false, words, lists)

Beyond one machine (Slurm, or any set of processes sharing the folder):
  --shard I/N           run only shard I of N: every N-th run from the I-th (and its
                        decomposition), writing records into DIR/runs; no report. In a Slurm
                        job array, SLURM_ARRAY_TASK_ID and _COUNT give it when it is left out
  --report-only         write the report from the records in DIR/runs, listing the runs
                        still missing (a merged report equals a single process's)
  --emit-slurm          write DIR/slurm/paper.sbatch (a job array over the shards, one CPU
                        each; template scripts/slurm/paper.sbatch) and DIR/slurm/submit.sh
                        (submits it and a merge job that runs after it succeeds)
  --shards N            array tasks (default: one per run)
  --array-limit K       at most K array tasks at once (default 32)
  --sbatch 'OPTION'     an extra #SBATCH line (e.g. --sbatch '--partition=cpu'), repeatable
  -h, --help            this text

An interrupted run (Ctrl-C) keeps every finished run and trained model: the same command
resumes where it stopped.]]

local function usage_error(msg)
  io.stderr:write("paper.lua: " .. msg .. "\n\n" .. USAGE .. "\n")
  os.exit(2)
end

local function split(s)
  local t = {}
  for x in s:gmatch("[^,]+") do t[#t + 1] = x end
  return t
end

local function seeds_of(text)
  local out = {}
  for _, part in ipairs(split(text)) do
    local lo, hi = part:match("^(%d+)%-(%d+)$")
    if lo then
      lo, hi = math.tointeger(tonumber(lo)), math.tointeger(tonumber(hi))
      if hi < lo or hi - lo > 100000 then usage_error("bad seed range " .. part) end
      for s = lo, hi do out[#out + 1] = s end
    else
      out[#out + 1] = math.tointeger(tonumber(part)) or usage_error("bad seed '" .. part .. "' (integers, or ranges like 1-50)")
    end
  end
  if #out == 0 then usage_error("--seeds needs at least one seed") end
  return out
end

local args = { ... }
local i = 1
while i <= #args do
  local a = args[i]
  local function value()
    i = i + 1
    if not args[i] then usage_error("option " .. a .. " needs a value") end
    return args[i]
  end
  local function keep(...) for _, x in ipairs { a, ... } do passed[#passed + 1] = x end end
  if a == "--quick" then opts.quick = true; keep()
  elseif a == "--fresh" then opts.fresh = true; keep()
  elseif a == "--no-decomposition" then opts.decomposition = false; keep()
  elseif a == "--tasks" then opts.tasks = split(value()); keep(args[i])
  elseif a == "--seeds" then opts.seeds = seeds_of(value()); keep(args[i])
  elseif a == "--preset" then opts.preset = value(); keep(args[i])
  elseif a == "--out" then opts.out = value(); keep(args[i])
  elseif a == "--cache" then opts.cache = value(); keep(args[i])
  elseif a == "--steps" then
    opts.steps = math.tointeger(tonumber(value())) or usage_error("--steps needs a whole number"); keep(args[i])
  elseif a == "--set" then
    local k, v = value():match("^([%w_%.]+)=(.+)$")
    if not k then usage_error("--set needs FIELD=VALUE") end
    opts.set[#opts.set + 1] = { k, v }; keep(args[i])
  elseif a == "--shard" or a == "--worker" then
    local err
    opts.shard, err = S.shard(value())
    if not opts.shard then usage_error(err) end
  elseif a == "--report-only" then opts.report_only = true
  elseif a == "--emit-slurm" then opts.emit_slurm = true
  elseif a == "--shards" then opts.shards = math.tointeger(tonumber(value())) or usage_error("--shards needs a whole number")
  elseif a == "--array-limit" then opts.array_limit = math.tointeger(tonumber(value())) or usage_error("--array-limit needs a whole number")
  elseif a == "--sbatch" then opts.sbatch[#opts.sbatch + 1] = value()
  elseif a == "--jobs" then
    opts.jobs = math.tointeger(tonumber(value())) or usage_error("--jobs needs a whole number")
    if opts.jobs < 1 or opts.jobs > 64 then usage_error("--jobs must be in 1..64") end
  elseif a == "--help" or a == "-h" then
    print(USAGE)
    return
  else usage_error("unknown option " .. a) end
  i = i + 1
end
for _, t in ipairs(opts.tasks) do
  if not E.tasks[t] then usage_error("unknown task '" .. t .. "' (" .. table.concat(gc.task.names(), ", ") .. ")") end
end
if not E.presets[opts.preset] then usage_error("unknown preset '" .. opts.preset .. "' (default, paper-code)") end
opts.seeds = opts.seeds or (opts.quick and { 42, 123 } or SEEDS)
opts.cache = opts.cache or (opts.out .. "/cache")

-- --set FIELD=VALUE (FIELD may be a path: model.d_model, ood.range; VALUE a number, true,
-- false, a word, or a comma-separated list of numbers); nested tables are copied, not changed
local function parse_value(v)
  if v == "true" or v == "false" then return v == "true" end
  if v:find(",") then
    local list = {}
    for x in v:gmatch("[^,]+") do list[#list + 1] = tonumber(x) or usage_error("bad list value '" .. v .. "'") end
    return list
  end
  return tonumber(v) or v
end
local overrides = {}
local function set(path, value)
  local keys = split(path:gsub("%.", ","))
  local base, into = E.presets[opts.preset] or {}, overrides
  for n = 1, #keys - 1 do
    local key = keys[n]
    if into[key] == nil then
      local copy = {}
      for k2, v2 in pairs(type(base[key]) == "table" and base[key] or {}) do copy[k2] = v2 end
      into[key] = copy
    end
    base, into = type(base[key]) == "table" and base[key] or {}, into[key]
  end
  into[keys[#keys]] = value
end
if opts.quick then overrides.bootstrap = 50 end
if opts.steps then set("train.steps", opts.steps) end
for _, kv in ipairs(opts.set) do set(kv[1], parse_value(kv[2])) end
local ok_preset, preset = pcall(E.preset, opts.preset, overrides)
if not ok_preset then usage_error(tostring(preset):gsub("^.-:%d+: ", "")) end
-- in a Slurm job array, the array task is the shard
if not opts.shard and not opts.report_only and not opts.emit_slurm then
  local shard, err = S.shard_from_env(os.getenv)
  if err then usage_error(err) end
  opts.shard = shard
end
local worker = opts.shard -- (the name the rest of this script uses)
gc.mkdir(opts.out .. "/runs")
gc.mkdir(opts.cache)

local function clock_text(s)
  s = math.floor(s + 0.5)
  return s >= 3600 and string.format("%d:%02d:%02d", s // 3600, s // 60 % 60, s % 60) or string.format("%d:%02d", s // 60, s % 60)
end

local t0 = gc.clock()
local finished = 0

-- --jobs N: N worker processes run the runs (each its own share), then this process reads
-- the records back (every run cached) and writes the report as a sequential run would
if opts.jobs > 1 and not worker and not opts.report_only and not opts.emit_slurm then
  local function q(x) return "'" .. tostring(x):gsub("'", "'\\''") .. "'" end
  local base = { q(arg[-1] or "gcgap"), q(arg[0]) }
  for _, a in ipairs(args) do base[#base + 1] = q(a) end
  local cmds = {}
  for j = 1, opts.jobs do
    cmds[#cmds + 1] = table.concat(base, " ") .. " --shard " .. j .. "/" .. opts.jobs
  end
  io.write(string.format("%d worker processes\n", opts.jobs))
  local ok = os.execute("GCGAP_THREADS=1; export GCGAP_THREADS; " .. table.concat(cmds, " & ") .. " & wait")
  if not ok then io.stderr:write("paper.lua: a worker failed\n"); os.exit(1) end
  opts.fresh = false -- the workers redid what --fresh asked for; read their records back
end

-- --emit-slurm: the batch scripts of a Slurm sweep, ready for sbatch on a login node
local function emit_slurm()
  local runs = #opts.tasks * #opts.seeds
  local shards = math.max(1, math.min(opts.shards or runs, runs))
  local cwd = os.getenv("PWD") or "."
  local function absolute(x) return x:sub(1, 1) == "/" and x or cwd .. "/" .. x end
  local dir, logs = absolute(opts.out .. "/slurm"), absolute(opts.out .. "/slurm/logs")
  gc.mkdir(logs)
  local exe = arg[-1] or "gcgap"
  exe = exe:find("/") and absolute(exe) or exe
  local quoted = {}
  for _, a in ipairs(passed) do quoted[#quoted + 1] = S.quote(a) end
  -- (LOGS unquoted: #SBATCH lines are not read by a shell)
  local fields = { JOB = "gcgap-paper-" .. preset.name .. "-" .. table.concat(opts.tasks, "+"), SHARDS = shards,
                   LIMIT = math.max(1, opts.array_limit), LOGS = logs, CWD = S.quote(cwd), GCGAP = S.quote(exe),
                   SCRIPT = S.quote(absolute(arg[0])), ARGS = table.concat(quoted, " "), OUT = opts.out, EXTRA = "" }
  for _, x in ipairs(opts.sbatch) do fields.EXTRA = fields.EXTRA .. "#SBATCH " .. x .. "\n" end
  local template = gc.read_file((absolute(arg[0]):gsub("paper%.lua$", "slurm/paper.sbatch")))
  E.write_file(dir .. "/paper.sbatch", S.fill(template, fields))
  E.write_file(dir .. "/submit.sh", table.concat({
    "#!/bin/bash",
    "# Submits the sweep's job array, then the merge job, which runs once every shard has",
    "# succeeded (--dependency=afterok). Options go to the merge's sbatch: --wait waits for it.",
    "set -euo pipefail",
    "cd " .. S.quote(cwd),
    "array=$(sbatch --parsable " .. S.quote(dir .. "/paper.sbatch") .. ")",
    "echo \"job array ${array%%;*}: " .. shards .. " shards of " .. runs .. " runs\"",
    "sbatch --parsable --dependency=afterok:${array%%;*} --job-name=" .. fields.JOB:gsub("^gcgap%-paper", "gcgap-merge") ..
      " --ntasks=1 --cpus-per-task=1 --output=" .. S.quote(logs .. "/merge.out") .. " \"$@\" --wrap " ..
      S.quote("exec " .. fields.GCGAP .. " " .. fields.SCRIPT .. " " .. fields.ARGS .. " --report-only"),
  }, "\n") .. "\n")
  print(string.format("wrote %s/paper.sbatch (%d shards of %d runs, at most %d at once) and %s/submit.sh", dir, shards, runs,
    fields.LIMIT, dir))
  print("on the cluster's login node:  bash " .. dir .. "/submit.sh        (squeue --me shows " .. fields.JOB .. ")")
end
if opts.emit_slurm then emit_slurm() return end

local function main()
local total = #opts.tasks * #opts.seeds
local records, k, missing = {}, 0, {}
local worked, work_time = 0, 0 -- runs computed here (not read back), and their time
for _, task in ipairs(opts.tasks) do
  for _, seed in ipairs(opts.seeds) do
    k = k + 1
    if not S.mine(k, worker) then goto next_run end
    do
    -- the whole job's ETA, from the runs computed so far (cached ones cost nothing)
    local left = (total - k + 1) / (worker and worker.count or 1)
    local eta = worked > 0 and ("  job ETA " .. clock_text(work_time / worked * left) ..
      (opts.decomposition and " + the decomposition" or "")) or ""
    local label = string.format("%srun %d/%d %s seed %d%s", worker and ("shard " .. worker.index .. "/" .. worker.count .. " ") or "",
      k, total, task, seed, eta)
    if opts.report_only and not io.open(S.record_file(opts.out .. "/runs", task, seed, preset.name)) then
      missing[#missing + 1] = string.format("%s seed %d", task, seed)
      goto next_run
    end
    local status = function(what) gc.status(label .. ": " .. what) end
    status("training")
    local started = gc.clock()
    local rec, cached = E.run(task, seed, preset, { cache = opts.cache, out = opts.out .. "/runs", fresh = opts.fresh,
                                                    label = label, status = status })
    if not cached then worked, work_time = worked + 1, work_time + (gc.clock() - started) end
    finished = finished + 1
    gc.status()
    io.write(string.format("%-28s %s  steps %-5s OOD %-4s rho raw %-6s per-param %-6s  heroes %s  bloats %s%s\n", label,
      rec.valid and "ok     " or "no OOD ", tostring(rec.train and rec.train.steps or "?"), tostring(rec.ood.length or "-"),
      rec.rho and rec.rho.raw and string.format("%.3f", rec.rho.raw) or "-",
      rec.rho and rec.rho.per_param and string.format("%.3f", rec.rho.per_param) or "-",
      rec.classes and rec.classes.raw and table.concat(rec.classes.raw.heroes, ",") or "-",
      rec.classes and rec.classes.raw and table.concat(rec.classes.raw.bloats, ",") or "-",
      cached and "  (cached)" or ""))
    records[#records + 1] = rec
    end
    ::next_run::
  end
end

-- The decomposition: the same trained models, analysed under other measurement choices.
local decomposition
if opts.decomposition then
  local variants = {
    { label = "this protocol (" .. preset.name .. ")", records = records },
    -- (ρ only: no bootstrap, per-sample results or interaction matrices for these)
    { label = "paper-code analysis, defects off", name = "pc", preset = E.preset("paper-code", { timings = preset.timings, bootstrap = 0, keep_samples = false, joint = false, ladder = false }) },
    { label = "paper-code + z-slice head ablation defect", name = "pc-zslice", preset = E.preset("paper-code", { timings = preset.timings, bootstrap = 0, keep_samples = false, joint = false, ladder = false, zslice_defect = true }) },
    { label = "paper-code + whole-W_V gradient defect", name = "pc-wholewv", preset = E.preset("paper-code", { timings = preset.timings, bootstrap = 0, keep_samples = false, joint = false, ladder = false, whole_wv = true }) },
  }
  decomposition = {}
  -- its own ETA, from the analyses done so far (3 per model; read-back ones cost nothing)
  local to_do = 0
  for vi, v in ipairs(variants) do if not v.records then to_do = to_do + math.ceil(total / (worker and worker.count or 1)) end end
  local done, spent = 0, 0
  for vi, v in ipairs(variants) do
    if not v.records then
      v.records = {}
      local j = 0
      for _, task in ipairs(opts.tasks) do
        for _, seed in ipairs(opts.seeds) do
          j = j + 1
          -- a worker analyses the models it trained (the same share as its runs)
          if not S.mine(j, worker) then goto next_model end
          local file = S.variant_file(opts.out .. "/runs", task, seed, v.name, preset.name)
          local f = (not opts.fresh) and io.open(file)
          local rec
          if not f and opts.report_only then
            missing[#missing + 1] = string.format("%s seed %d (%s)", task, seed, v.name)
            goto next_model
          end
          if f then rec = json.decode(f:read("a")); f:close() else
            gc.status(string.format("decomposition %d/%d: %s, %s seed %d%s", vi, #variants, v.label, task, seed,
              done > 0 and ("  ETA " .. clock_text(spent / done * math.max(0, to_do - done))) or ""))
            local started = gc.clock()
            local m = E.train(task, seed, preset, { cache = opts.cache, quiet = true })
            v.preset.name = v.name
            rec = E.analyse(m, task, seed, v.preset)
            E.write_file(file, json.encode(rec, " "))
            done, spent = done + 1, spent + (gc.clock() - started)
          end
          v.records[#v.records + 1] = rec
          ::next_model::
        end
      end
      gc.status()
    end
    local s = {}
    for _, x in ipairs(R.summary(v.records)) do s[x.task] = x end
    decomposition[#decomposition + 1] = { label = v.label, summary = s }
  end
end
if worker then return end -- the parent (or the merge) writes the report

-- Figures, data, report.
local figures = {}
local function figure(file, caption, text)
  E.write_file(opts.out .. "/" .. file, text)
  figures[#figures + 1] = { file = file, caption = caption }
end
local n_layers = 4
for _, task in ipairs(opts.tasks) do
  for _, norm in ipairs{ "raw", "per_param" } do
    figure(string.format("fig1-%s-%s.svg", task, norm),
      string.format("Figure 1: %s, rank of %s against rank of C, every component of every valid run, Heroes and Bloats marked", task, R.norm_label[norm]),
      R.svg_scatter(records, task, norm, string.format("%s: %s against C", task, R.norm_label[norm])))
  end
end
for _, norm in ipairs{ "raw", "per_param" } do
  figure("fig2-layers-" .. norm .. ".svg", "Figure 2: Heroes and Bloats per layer, " .. R.norm_label[norm], R.svg_layers(records, norm, n_layers))
end
for _, norm in ipairs{ "raw", "per_param" } do
  figure("fig3-pruning-" .. norm .. ".svg", "Figure 3: pruning, " .. R.norm_label[norm] .. ": OOD accuracy change per run, mean and n",
    R.svg_pruning(records, norm))
end
figure("fig4-rho.svg", "Figure 4: ρ per run with its bootstrap interval, per task and G, beside the paper's v1, v2 and v3 means",
  R.svg_rho(records))
figure("fig5-joint.svg", "Figure 5: all raw-G Bloats of a run ablated together against the sum of their single effects, with y = x and v3's y = 14x",
  R.svg_joint(records))
for _, task in ipairs(opts.tasks) do
  figure(string.format("fig6-interactions-%s.svg", task),
    string.format("Figure 6: %s, pairwise interactions (joint effect − the two single effects), mean over the valid runs", task),
    R.svg_interactions(records, task))
end

local LD = require "gcgap.ladder"
if #LD.summary(records, { resamples = 200 }) > 0 then
  figure("fig7-ladder.svg", "Figure 7: the estimator ladder, ρ of each estimate with exact mean-ablation C under each metric, per task",
    LD.svg(records))
end

E.write_file(opts.out .. "/runs.csv", R.csv(records))
E.write_file(opts.out .. "/summary.json", json.encode({ preset = preset.name, summary = R.summary(records),
  decomposition = decomposition, ladder = LD.summary(records) }, " "))
E.write_file(opts.out .. "/report.md", R.markdown(records, { preset = preset.name, p = preset, decomposition = decomposition,
  resamples = opts.quick and 1000 or preset.verdict_resamples,
  figures = figures, seconds = gc.clock() - t0 }))
print(string.format("report: %s/report.md (%d runs, %.0f s)", opts.out, #records, gc.clock() - t0))
if #missing > 0 then
  print(string.format("%d runs are still missing (the report leaves them out):", #missing))
  for _, m in ipairs(missing) do print("  " .. m) end
end
end

local ok, err = xpcall(main, debug.traceback)
if not ok then
  gc.status()
  if tostring(err):match("interrupted!") then
    io.stderr:write(string.format("\npaper.lua: interrupted after %d finished runs. They are kept in %s/runs and the trained " ..
      "models in %s:\nrun the same command again to resume where it stopped.\n", finished, opts.out, opts.cache))
    os.exit(130)
  end
  error(err, 0)
end
