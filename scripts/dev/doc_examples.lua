-- Runs every example of stdlib/gcgap/docs.lua (what help() and docs/API.md show), each in a
-- fresh environment over one prelude that makes the names the examples take as given: `m` (the
-- protocol's model, briefly trained on reversal; each example gets its own copy), `task`, `b`,
-- `ood`, `set`, `G`, `Gp`, `C`, `mu`, `clean`, `corrupted`, `r` (a ladder result), `records`
-- (results/default's runs), `group` (a results/beyond group with its circuit), the stdlib
-- modules as `E`, `report`, `ladder`, `json`, `plot`, and a TransformerLens state dict in
-- hooked.safetensors.
--
--   cd SCRATCH && gcgap REPO/scripts/dev/doc_examples.lua REPO
--
-- Run it from a scratch folder: the examples write files (report/..., out/..., gc.svg) where
-- they stand; REPO/results is linked in read only use. Prints one line per failing example
-- and a summary; exits 1 when an example fails. The skip list names the examples that run the
-- whole protocol or need another process, each with the test that covers it.
local repo = assert(arg[1], "usage: gcgap scripts/dev/doc_examples.lua REPO")
local docs = require "gcgap.docs"

local SKIP = {
  ["experiment.train"] = "trains the protocol's model to 0.90 (ExperimentTests)",
  ["experiment.analyse"] = "the whole protocol on a trained model (ExperimentTests)",
  ["experiment.run"] = "train and analyse (ExperimentTests)",
  ["beyond.run_cell"] = "trains a cell of ten seeds through a `gcgap` on PATH (BeyondTests)",
  ["beyond.write_report"] = "rewrites results/beyond's committed report (BeyondTests)",
  ["sandbox"] = "starts a `gcgap` process from PATH (SandboxTests)",
}

local function read_records(dir)
  local out, names = {}, gcgap.dir(dir)
  table.sort(names)
  for _, name in ipairs(names) do
    if name:match("%-default%.json$") and not name:match("%-pc%-") then
      out[#out + 1] = require("gcgap.json").decode(gcgap.read_file(dir .. "/" .. name))
    end
  end
  return out
end

local function prelude()
  local P = setmetatable({}, { __index = _G })
  P.task = gcgap.task.reverse()
  P.M = gcgap.model{ seed = 1 }
  P.M:train(P.task, { steps = 300, quiet = true, target = false, lengths = { 3, 7 } })
  P.b = P.task:batch{ size = 8, length = 4, seed = 1 }
  P.ood = gcgap.ood(P.M, P.task, { lengths = { 8 }, range = { 0, 1 }, seed = 1 })   -- 200 samples, as by default
  P.set = P.ood.set
  P.G, P.Gp = gcgap.score.gradient(P.M, P.task, { length = P.ood.length, batches = 2, batch = 16, seed = 1 })
  P.C = gcgap.score.causal(P.M, P.set)
  P.mu = gcgap.means(P.M, P.set)
  P.clean = P.task:batch{ size = 16, length = 8, seed = 1 }
  P.corrupted = P.task:batch{ size = 16, length = 8, seed = 2 }
  P.r = gcgap.score.ladder(P.M, P.set, { steps = 2, ablations = { "mean" } })
  P.records = read_records(repo .. "/results/default/runs")
  P.E, P.report, P.ladder = require "gcgap.experiment", require "gcgap.report", require "gcgap.ladder"
  P.json, P.plot = require "gcgap.json", require "gcgap.plot"
  for _, g in ipairs(require("gcgap.beyond").groups(repo .. "/results/beyond")) do
    if g.task == "induction" then P.group = g end
  end
  gcgap.mkdir("report"); gcgap.mkdir("report/runs"); gcgap.mkdir("report/cache")
  gcgap.write_file("report/summary.json", gcgap.read_file(repo .. "/results/default/summary.json"))
  -- a TransformerLens state dict (no gcgap metadata) for gcgap.load's example
  local tl, state = gcgap.model{ seed = 2, act = "relu", positions = "learned" }, {}
  for _, name in ipairs(tl:params()) do state[name] = tl:param(name) end
  gcgap.save_tensors("hooked.safetensors", state)
  return P
end

local function run(P, e)
  local env = setmetatable({ m = P.M:copy() }, { __index = P })
  local f, err = load(e.example, "=" .. e.name, "t", env)
  if not f then return false, err end
  return pcall(f)
end

local P = prelude()
local ran, skipped, failed = 0, 0, {}
for _, e in ipairs(docs.entries) do
  if e.example and SKIP[e.name] then
    skipped = skipped + 1
  elseif e.example then
    local t0 = os.clock()
    local ok, msg = run(P, e)
    ran = ran + 1
    if not ok then failed[#failed + 1] = e.name; io.stderr:write("FAIL " .. e.name .. ": " .. tostring(msg) .. "\n") end
    if os.clock() - t0 > 5 then io.stderr:write(string.format("slow %s: %.1f s\n", e.name, os.clock() - t0)) end
  end
end
for name in pairs(SKIP) do
  local known = false
  for _, e in ipairs(docs.entries) do known = known or (e.name == name and e.example ~= nil) end
  if not known then failed[#failed + 1] = "skip list: " .. name; io.stderr:write("FAIL skip list names " .. name .. ", which has no example\n") end
end
print(string.format("doc examples: %d ran, %d skipped, %d failed", ran, skipped, #failed))
os.exit(#failed == 0 and 0 or 1)
