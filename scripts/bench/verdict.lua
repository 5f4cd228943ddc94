-- scripts/bench/verdict.lua: how long the Verdict's statistics take.
--
--   gcgap scripts/bench/verdict.lua DIR [resamples]
--
-- Reads the records of a paper.lua report (DIR/runs/*.json, the default preset's) and times
-- verdict.rows (every claim, its intervals and tests) with 10,000 resamples (or the number
-- given), then the native two-level bootstrap of one mean ρ alone.
local gc = require "gcgap"
local V = require "gcgap.verdict"
local B = require "gcgap.beyond"

local dir, resamples = arg[1], math.tointeger(tonumber(arg[2] or "10000"))
if not dir or not resamples then io.stderr:write("usage: gcgap scripts/bench/verdict.lua DIR [resamples]\n"); os.exit(2) end
local records = {}
for _, r in ipairs(B.read_runs(dir .. "/runs")) do if r.preset == "default" then records[#records + 1] = r end end
local t0 = gc.clock()
local rows = V.rows(records, { resamples = resamples })
local t1 = gc.clock()
local sort = {}
for _, r in ipairs(records) do if r.task == "sort" and r.valid then sort[#sort + 1] = r end end
local draws = gc.stats.mean_rho(sort, { resamples = resamples, seed = 1 })
local t2 = gc.clock()
print(string.format("%d runs, %d resamples: verdict.rows %.2f s (%d rows); mean_rho of %d sort runs %.3f s (%d draws)",
  #records, resamples, t1 - t0, #rows, #sort, t2 - t1, #draws))
