--- gcgap.sweep: a sweep (tasks × seeds) split into shards, for several processes or a Slurm
-- job array, and merged back. A shard is run k (in task-then-seed order) for every k with
-- (k - 1) % n + 1 == i: a deterministic share, the same on every machine.
--
--   local S = require "gcgap.sweep"
--   local shard = S.shard("2/8") or S.shard_from_env(os.getenv)   -- {index = 2, count = 8}
--   for k, run in ipairs(S.runs(tasks, seeds)) do if S.mine(k, shard) then ... end end
local S = {}

--- "i/n" -> {index = i, count = n}, or nil and a message.
function S.shard(text)
  local i, n = tostring(text):match("^(%d+)/(%d+)$")
  i, n = math.tointeger(tonumber(i)), math.tointeger(tonumber(n))
  if not (i and n) or n < 1 or i < 1 or i > n or n > 100000 then
    return nil, "a shard is i/n with 1 <= i <= n <= 100000, got '" .. tostring(text) .. "'"
  end
  return { index = i, count = n }
end

--- The shard of a Slurm array task: SLURM_ARRAY_TASK_ID counted from SLURM_ARRAY_TASK_MIN,
-- out of SLURM_ARRAY_TASK_COUNT (or MAX - MIN + 1); nil outside a job array.
function S.shard_from_env(getenv)
  local id = math.tointeger(tonumber(getenv("SLURM_ARRAY_TASK_ID") or ""))
  if not id then return nil end
  local min = math.tointeger(tonumber(getenv("SLURM_ARRAY_TASK_MIN") or "")) or 1
  local count = math.tointeger(tonumber(getenv("SLURM_ARRAY_TASK_COUNT") or ""))
  local max = math.tointeger(tonumber(getenv("SLURM_ARRAY_TASK_MAX") or ""))
  count = count or (max and max - min + 1)
  if not count then return nil, "SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT nor _MAX is" end
  return S.shard((id - min + 1) .. "/" .. count)
end

--- The runs of a sweep, in order: {task =, seed =}.
function S.runs(tasks, seeds)
  local out = {}
  for _, task in ipairs(tasks) do
    for _, seed in ipairs(seeds) do out[#out + 1] = { task = task, seed = seed } end
  end
  return out
end

--- Whether run k (1-based) belongs to `shard` (every run when shard is nil).
function S.mine(k, shard)
  return shard == nil or (k - 1) % shard.count + 1 == shard.index
end

--- The file of a run's record in `dir` (E.run's naming): TASK-SEED-PRESET.json.
function S.record_file(dir, task, seed, preset_name)
  return string.format("%s/%s-%d-%s.json", dir, task, seed, preset_name)
end

--- The file of a decomposition variant's record: TASK-SEED-VARIANT-on-PRESET.json.
function S.variant_file(dir, task, seed, variant, preset_name)
  return string.format("%s/%s-%d-%s-on-%s.json", dir, task, seed, variant, preset_name)
end

--- A shell word.
function S.quote(x)
  return "'" .. tostring(x):gsub("'", "'\\''") .. "'"
end

--- The Slurm batch script from the template `text`: {{NAME}} fields replaced from `fields`
-- (every field must be given, and every given field used).
function S.fill(text, fields)
  local used = {}
  local out = text:gsub("{{(%u+)}}", function(k)
    if fields[k] == nil then error("template field {{" .. k .. "}} has no value", 2) end
    used[k] = true
    return tostring(fields[k])
  end)
  for k in pairs(fields) do if not used[k] then error("template has no field {{" .. k .. "}}", 2) end end
  return out
end

return S
