--- gcgap.report.data: what the report computes from run records: groups by task, the
-- summary, Hero/Bloat frequencies, the CSV, valid runs, ranks and the class threshold.
local M = {}

--- An interval {lo, hi} as "[lo, hi]" with `d` decimals (2 by default), "–" for none.
function M.fmt_interval(iv, d)
  if not iv or iv[1] == nil then return "–" end
  return "[" .. M.fmt(iv[1], d or 2) .. ", " .. M.fmt(iv[2], d or 2) .. "]"
end

local NORMS = { "raw", "per_param" }
M.norms = NORMS
M.norm_label = { raw = "raw G (v1)", per_param = "per-param G (v2)" }

--- A value as the reports print it: a number with `d` decimals (3 by default), "–" for none
-- or NaN, anything else as tostring does.
function M.fmt(v, d)
  if v == nil or v ~= v then return "–" end
  if type(v) ~= "number" then return tostring(v) end
  return string.format("%." .. (d or 3) .. "f", v)
end

function M.mean_std(xs)
  if #xs == 0 then return nil, nil end
  local s = 0
  for _, x in ipairs(xs) do s = s + x end
  local m = s / #xs
  if #xs < 2 then return m, nil end
  local v = 0
  for _, x in ipairs(xs) do v = v + (x - m) ^ 2 end
  return m, math.sqrt(v / (#xs - 1))
end

--- Records grouped by task, in the order tasks first appear.
function M.by_task(records)
  local order, groups = {}, {}
  for _, r in ipairs(records) do
    if not groups[r.task] then groups[r.task] = {}; order[#order + 1] = r.task end
    table.insert(groups[r.task], r)
  end
  return order, groups
end

--- Per task and normalisation: ρ statistics and class counts over the valid runs.
function M.summary(records)
  local order, groups = M.by_task(records)
  local out = {}
  for _, task in ipairs(order) do
    local s = { task = task, runs = #groups[task], valid = 0, invalid_seeds = {} }
    for _, norm in ipairs(NORMS) do
      local rhos, heroes, bloats, negative = {}, 0, 0, 0
      for _, r in ipairs(groups[task]) do
        if r.valid and r.rho[norm] then
          rhos[#rhos + 1] = r.rho[norm]
          heroes = heroes + #r.classes[norm].heroes
          bloats = bloats + #r.classes[norm].bloats
          if r.rho[norm] < 0 then negative = negative + 1 end
        end
      end
      local m, sd = M.mean_std(rhos)
      local lo, hi
      for _, x in ipairs(rhos) do lo = math.min(lo or x, x); hi = math.max(hi or x, x) end
      s[norm] = { mean = m, std = sd, min = lo, max = hi, n = #rhos, heroes = heroes, bloats = bloats, negative = negative }
    end
    for _, r in ipairs(groups[task]) do
      if r.valid then s.valid = s.valid + 1 else s.invalid_seeds[#s.invalid_seeds + 1] = r.seed end
    end
    out[#out + 1] = s
  end
  return out
end

--- How often each component is a Hero / Bloat across runs.
function M.frequencies(records, task, norm)
  local h, b = {}, {}
  for _, r in ipairs(records) do
    if r.task == task and r.valid and r.classes[norm] then
      for _, c in ipairs(r.classes[norm].heroes) do h[c] = (h[c] or 0) + 1 end
      for _, c in ipairs(r.classes[norm].bloats) do b[c] = (b[c] or 0) + 1 end
    end
  end
  local function sorted(t)
    local l = {}
    for c, n in pairs(t) do l[#l + 1] = { c, n } end
    table.sort(l, function(x, y) return x[2] > y[2] or (x[2] == y[2] and x[1] < y[1]) end)
    return l
  end
  return sorted(h), sorted(b)
end

function M.list_text(l, k)
  local parts = {}
  for i = 1, math.min(k or 5, #l) do parts[#parts + 1] = l[i][1] .. " (" .. l[i][2] .. ")" end
  return #parts > 0 and table.concat(parts, ", ") or "none"
end

--- One CSV line per run.
function M.csv(records)
  local lines = { "task,seed,preset,valid,train_steps,ood_length,base_accuracy,rho_raw,rho_per_param,heroes_raw,bloats_raw,heroes_per_param,bloats_per_param,rho_raw_lo,rho_raw_hi,rho_per_param_lo,rho_per_param_hi,bloat_joint_ratio_raw" }
  for _, r in ipairs(records) do
    local function cls(norm, k) return r.classes and r.classes[norm] and table.concat(r.classes[norm][k], " ") or "" end
    local function iv(norm, i) local b = r.bootstrap and r.bootstrap.rho_interval[norm]; return b and b[i] or "" end
    lines[#lines + 1] = table.concat({ r.task, r.seed, r.preset, tostring(r.valid), r.train and r.train.steps or "",
      r.ood.length or "", r.base_accuracy or "", r.rho and r.rho.raw or "", r.rho and r.rho.per_param or "",
      cls("raw", "heroes"), cls("raw", "bloats"), cls("per_param", "heroes"), cls("per_param", "bloats"),
      iv("raw", 1), iv("raw", 2), iv("per_param", 1), iv("per_param", 2),
      r.joint and r.joint.raw and r.joint.raw.bloats and r.joint.raw.bloats.ratio or "" }, ",")
  end
  return table.concat(lines, "\n") .. "\n"
end

-- The valid runs of a task, by seed.
function M.valid_runs(records, task)
  local l = {}
  for _, r in ipairs(records) do if r.task == task and r.valid then l[#l + 1] = r end end
  table.sort(l, function(a, b)
    local x, y = tonumber(a.seed), tonumber(b.seed)
    if x and y then return x < y end
    return tostring(a.seed) < tostring(b.seed)
  end)
  return l
end

-- Average ranks, ascending (1 = smallest), ties sharing the mean of their places.
function M.avg_ranks(keys, vals)
  local idx = {}
  for i, k in ipairs(keys) do idx[i] = k end
  table.sort(idx, function(x, y) return vals[x] < vals[y] end)
  local rank, i = {}, 1
  while i <= #idx do
    local j = i
    while j < #idx and vals[idx[j + 1]] == vals[idx[i]] do j = j + 1 end
    for t = i, j do rank[idx[t]] = (i + j) / 2 end
    i = j + 1
  end
  return rank
end

-- The class threshold of these runs: the one their records were made with (`settings`; for
-- records older than that, their preset's in gcgap.protocol), when their classes agree with it.
function M.class_threshold(runs, norm)
  local name = runs[1] and runs[1].preset
  local p = runs[1] and runs[1].settings or (name and require("gcgap.protocol").presets[name])
  if not p or type(p.threshold) ~= "number" then return nil end
  local t, strict = p.threshold, p.strict
  for _, r in ipairs(runs) do
    if r.preset ~= name then return nil end
    local cl, d = r.classes and r.classes[norm], r.delta and r.delta[norm]
    if not (cl and d) then return nil end
    local classified = {}
    for _, k in ipairs{ "heroes", "bloats" } do for _, c in ipairs(cl[k] or {}) do classified[c] = true end end
    for c, v in pairs(d) do
      local inside = strict and math.abs(v) > t or (not strict and math.abs(v) >= t)
      if inside ~= (classified[c] or false) then return nil end
    end
  end
  return t, strict
end

-- ---------------------------------------------------------------- checking records

-- What a field of a record must be: a checker returns nil when the value is fine, else what
-- was expected.
local function number(v) return type(v) ~= "number" and "a number" or nil end
local function str(v) return type(v) ~= "string" and "a string" or nil end
local function names(v)
  if type(v) ~= "table" then return "a list of component names" end
  for _, x in ipairs(v) do if type(x) ~= "string" then return "a list of component names" end end
end
local function scores(v)
  if type(v) ~= "table" then return "a table of scores by component" end
  for k, x in pairs(v) do if type(k) ~= "string" or type(x) ~= "number" then return "a table of scores by component" end end
end
local function optional(check) return function(v) if v ~= nil then return check(v) end end end

-- The fields a valid record's writers read, by path, with their checkers (true: the field
-- and its parents may be missing).
local VALID_FIELDS = {
  { "rho.raw", optional(number) }, { "rho.per_param", optional(number) },
  { "G.raw", scores }, { "G.per_param", scores }, { "C", scores },
  { "classes.raw.heroes", names }, { "classes.raw.bloats", names },
  { "classes.per_param.heroes", names }, { "classes.per_param.bloats", names },
  { "pruning.baseline.ood", optional(number), true }, { "pruning.baseline.id", optional(number), true },
  { "ood.length", optional(number), true }, { "base_accuracy", optional(number), true },
}

-- The value at a dotted path, or nil and the part of the path that is not a table.
local function get(r, path)
  local v, walked = r, nil
  for key in path:gmatch("[^.]+") do
    if type(v) ~= "table" then return v, walked end
    walked = walked and (walked .. "." .. key) or key
    v = v[key]
  end
  return v
end

--- Checks records before a writer reads them: a list of tables, each with its task (and a seed
-- that is a number or a string, when it has one),
-- and a valid one with the fields the writers read, of their types. The error names the
-- writer, the record and the field: `report.csv: record 3: field 'rho.raw' is a string (a number expected)`.
-- `fields`: the valid record's fields to check (default: those the report's writers read).
function M.check(records, who, fields)
  fields = fields or VALID_FIELDS
  if type(records) ~= "table" then error(who .. ": records expected (a list of run records), got " .. type(records), 3) end
  for i, r in ipairs(records) do
    local function bad(path, v, want)
      error(string.format("%s: record %d: field '%s' is %s (%s expected)", who, i, path, v == nil and "missing" or "a " .. type(v), want), 4)
    end
    if type(r) ~= "table" then error(string.format("%s: record %d is a %s (a table expected)", who, i, type(r)), 3) end
    if type(r.task) ~= "string" then bad("task", r.task, "a string") end
    if r.seed ~= nil and type(r.seed) ~= "number" and type(r.seed) ~= "string" then bad("seed", r.seed, "a number or a string") end
    if r.valid ~= nil and type(r.valid) ~= "boolean" then bad("valid", r.valid, "a boolean") end
    if r.valid then
      for _, f in ipairs(fields) do
        local v, broken = get(r, f[1])
        -- (an optional field may be missing with its parents; a parent that is there is a table)
        if broken and not (f[3] and v == nil) then bad(broken, v, "a table") end
        local want = not broken and f[2](v)
        if want then bad(f[1], v, want) end
      end
    end
  end
  return records
end

--- Checks a layer count from a caller: a whole number of at most 64 layers.
function M.check_layers(n, who)
  if n ~= nil and (math.type(n) ~= "integer" or n < 1 or n > 64) then
    error(string.format("%s: n_layers must be a whole number in 1..64, got %s", who, tostring(n)), 3)
  end
  return n
end

return M
