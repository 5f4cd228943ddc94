-- scripts/bench/analysis.lua: one model's analysis and one paper run, timed.
--
--   gcgap scripts/bench/analysis.lua [--cache DIR] [--repeat N]
--
-- Prints the CPU and BLAS in use, then:
--   one paper run     training a protocol model from scratch (reverse, seed 42) and analysing
--                     it, as scripts/paper.lua does for each run (loaded instead of trained
--                     when DIR already holds it)
--   analysis          E.analyse on that model without the estimator ladder, median of N runs,
--                     with the median of each phase
--   ladder            gcgap.score.ladder on its OOD set, median of N runs
-- Models go to DIR (default: a fresh temporary folder, so training is timed from scratch).
-- Speeds vary between machines and with load: compare figures measured in one run.
local gc = require "gcgap"
local E = require "gcgap.experiment"

local opts = { rep = 3, cache = nil }
local i = 1
while arg[i] do
  local a = arg[i]
  if a == "--cache" then opts.cache = arg[i + 1]; i = i + 1
  elseif a == "--repeat" then opts.rep = tonumber(arg[i + 1]) or opts.rep; i = i + 1
  else io.stderr:write("usage: gcgap scripts/bench/analysis.lua [--cache DIR] [--repeat N]\n"); os.exit(2) end
  i = i + 1
end

local function cpu()
  local f = io.open("/proc/cpuinfo")
  if not f then return "?" end
  local text = f:read("a")
  f:close()
  return (text:match("model name%s*:%s*([^\n]+)") or "?")
end
local function median(xs)
  local s = {}
  for k, v in ipairs(xs) do s[k] = v end
  table.sort(s)
  return s[(#s + 1) // 2]
end

local blas = gc.blas()
print(string.format("cpu: %s; BLAS: %s (%s), %d thread(s)", cpu(), blas.core, blas.config, blas.threads))

local cache = opts.cache or (os.tmpname() .. "-gcgap-bench")
gc.mkdir(cache)
local p = E.preset("default")
local task, seed = "reverse", 42

-- one paper run: train (from scratch unless cached) and analyse, as paper.lua does
local t0 = gc.clock()
local m = E.train(task, seed, p, { cache = cache, quiet = true })
local train_s = gc.clock() - t0
local t1 = gc.clock()
local rec = E.analyse(m, task, seed, p)
local analyse_full_s = gc.clock() - t1
print(string.format("one paper run (%s seed %d): %.1f s = training %.1f s + analysis with the ladder %.1f s%s",
  task, seed, train_s + analyse_full_s, train_s, analyse_full_s, opts.cache and " (model from the cache when present)" or ""))

-- the analysis alone (no ladder), N times, with its phases
local q = E.preset("default", { ladder = false })
local totals, phases, order = {}, {}, {}
for _ = 1, opts.rep do
  -- a fresh copy each time: a model keeps its latest clean run, which a repeat would reuse
  local fresh = m:copy()
  local last, name = gc.clock(), nil
  local start = last
  E.analyse(fresh, task, seed, q, { status = function(s)
    local now = gc.clock()
    if name then
      if not phases[name] then phases[name] = {}; order[#order + 1] = name end
      table.insert(phases[name], now - last)
    end
    last, name = now, s
  end })
  local now = gc.clock()
  if name then
    if not phases[name] then phases[name] = {}; order[#order + 1] = name end
    table.insert(phases[name], now - last)
  end
  totals[#totals + 1] = now - start
end
local parts = {}
for _, n in ipairs(order) do parts[#parts + 1] = string.format("%s %.2f", n, median(phases[n])) end
print(string.format("analysis (no ladder): median %.2f s over %d runs: %s", median(totals), opts.rep, table.concat(parts, " | ")))

-- the ladder
local ood = gc.ood(m, gc.task[task](), { seed = seed })
local source = gc.task[task]():batch{ size = 200, length = ood.length, seed = seed, stream = "resample-" .. ood.length }
local ls, parts2 = {}, {}
local last
for _ = 1, opts.rep do
  local t = gc.clock()
  last = gc.score.ladder(m, ood.set, { source = source })
  ls[#ls + 1] = gc.clock() - t
end
for k, v in pairs(last.seconds) do parts2[#parts2 + 1] = string.format("%s %.2f", k, v) end
table.sort(parts2)
print(string.format("ladder (4 metrics, 16 IG steps, 3 exact ablations): median %.2f s over %d runs; last: %s",
  median(ls), opts.rep, table.concat(parts2, " | ")))
