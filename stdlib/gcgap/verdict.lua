--- gcgap.verdict: does each claim of the paper hold? One row per claim of each version
-- (v1 workshop text, v2 project page, v3 arXiv 2602.01442v3), each with our statistic, a 95%
-- interval, a test where one fits, and one word: reproduced, not reproduced or inconclusive.
--
--   verdict.rows(records [, opts])      -> list of rows {version, claim, paper, ours, interval, test, word, reason}
--   verdict.noise(records [, opts])     -> per task: the spread of mean ρ from seeds and from samples
--   verdict.markdown(records [, opts])  -> the "Verdict" section (Markdown)
--
-- Intervals count both sources of noise with a two-level bootstrap: resample the seeds of a
-- task, and within each drawn seed resample its evaluation samples (the record's per-sample
-- results) to recompute C and ρ. opts: resamples (default 1000), seed (default 1).
local gc = require "gcgap.core"
local check = require("gcgap.report.data").check -- (records are checked before they are read)
local R = require "gcgap.resampling"
local mean, sd, interval, wilson, boot_runs, sign_flip_p = R.mean, R.sd, R.interval, R.wilson, R.boot_runs, R.sign_flip_p
local function rng(seed) return R.lcg((seed or 1) * 2654435761 % 4294967296 + 1, 24) end
local V = {}

-- The paper's claims, by version (docs/protocol.md, "The paper's figures").
V.paper = require("gcgap.paper").claims

local function valid_runs(records, task)
  local out = {}
  for _, r in ipairs(records) do
    if r.task == task and r.valid and r.rho then out[#out + 1] = r end
  end
  return out
end

-- per-sample bits of a run, decoded once: {base = {0/1...}, [component] = {...}}
local decoded = setmetatable({}, { __mode = "k" })
local function bits(r)
  if not r.samples then return nil end
  if decoded[r] then return decoded[r] end
  local out = {}
  for k, s in pairs(r.samples) do
    local t = {}
    for i = 1, #s do t[i] = s:byte(i) == 49 and 1 or 0 end
    out[k] = t
  end
  decoded[r] = out
  return out
end

-- ρ of one run with its evaluation samples resampled (nil when undefined)
local function resampled_rho(r, norm, rand)
  local b = bits(r)
  if not b then return r.rho[norm] end
  local n = #b.base
  local idx = {}
  for i = 1, n do idx[i] = rand(n) end
  local function acc(list)
    local s = 0
    for _, i in ipairs(idx) do s = s + list[i] end
    return s / n
  end
  local base = acc(b.base)
  local C = {}
  for _, c in ipairs(r.components) do C[c] = base - acc(b[c]) end
  return gc.stats.spearman(r.G[norm], C)
end

--- Bootstrap of a task's mean ρ: `seeds` and/or `samples` resampled. Returns the list of
-- resampled means.
local function boot_mean_rho(runs, norm, B, rand, seeds, samples)
  local out = {}
  for _ = 1, B do
    local vals = {}
    for j = 1, #runs do
      local r = seeds and runs[rand(#runs)] or runs[j]
      local rho = samples and resampled_rho(r, norm, rand) or r.rho[norm]
      if rho then vals[#vals + 1] = rho end
    end
    out[#out + 1] = mean(vals)
  end
  return out
end

--- The spread of each task's mean ρ from each source of noise.
function V.noise(records, opts)
  check(records, "verdict.noise")
  opts = opts or {}
  local B, rand = opts.resamples or 1000, rng(opts.seed)
  local out = {}
  for _, task in ipairs { "reverse", "sort" } do
    local runs = valid_runs(records, task)
    if #runs >= 2 then
      out[task] = {}
      for _, norm in ipairs { "raw", "per_param" } do
        local both = boot_mean_rho(runs, norm, B, rand, true, true)
        local seeds = boot_mean_rho(runs, norm, B, rand, true, false)
        local samples = boot_mean_rho(runs, norm, B, rand, false, true)
        out[task][norm] = { n = #runs, mean = mean((function() local t = {} for i, r in ipairs(runs) do t[i] = r.rho[norm] end return t end)()),
                            interval = interval(both), sd_both = sd(both), sd_seeds = sd(seeds), sd_samples = sd(samples),
                            draws = both }
      end
    end
  end
  return out
end

local function fmt(x, d)
  if x == nil then return "–" end
  return string.format("%." .. (d or 2) .. "f", x)
end

local function ci(iv, d)
  if not iv or iv[1] == nil then return "–" end
  return "[" .. fmt(iv[1], d) .. ", " .. fmt(iv[2], d) .. "]"
end

local function layer_of(c) return tonumber(c:match("^L(%d+)")) end

-- The claims the verdict judges, in order: each a function of the context c (records,
-- opts, B resamples, rand, noise, runs by task) that adds its rows with row{...}. They draw
-- from one random stream in this order, so the order is part of the result.
local claims = {}

--- the gap between tasks: ρ(reverse) > ρ(sort), every version
claims[1] = function(c, row)
  local B, rand, noise, runs = c.B, c.rand, c.noise, c.runs
  for _, v in ipairs { "v1", "v2", "v3" } do
    local norm = V.paper[v].norm
    local nr, ns = noise.reverse and noise.reverse[norm], noise.sort and noise.sort[norm]
    if nr and ns then
      local diffs = {}
      for i = 1, math.min(#nr.draws, #ns.draws) do diffs[i] = nr.draws[i] - ns.draws[i] end
      local iv = interval(diffs)
      -- permutation test over runs: shuffle the task labels
      local all, rho = {}, {}
      for _, r in ipairs(runs.reverse) do all[#all + 1] = r.rho[norm] end
      local nrv = #all
      for _, r in ipairs(runs.sort) do all[#all + 1] = r.rho[norm] end
      local obs = nr.mean - ns.mean
      local hits = 0
      for _ = 1, B do
        for i = 1, #all do rho[i] = all[i] end
        for i = #rho, 2, -1 do local j = rand(i); rho[i], rho[j] = rho[j], rho[i] end
        local a, b = 0, 0
        for i = 1, #rho do if i <= nrv then a = a + rho[i] else b = b + rho[i] end end
        if a / nrv - b / (#rho - nrv) >= obs - 1e-12 then hits = hits + 1 end
      end
      local p = (hits + 1) / (B + 1)
      local word = (iv[1] > 0 and p < 0.05) and "reproduced" or (iv[2] < 0 and "not reproduced" or "inconclusive")
      row { version = v, claim = "ρ is higher on reversal than on sorting (" .. norm:gsub("_", "-") .. " G)",
            paper = fmt(V.paper[v].rho.reverse) .. " vs " .. fmt(V.paper[v].rho.sort),
            ours = fmt(nr.mean) .. " vs " .. fmt(ns.mean) .. " (diff " .. fmt(obs) .. ")", interval = ci(iv),
            test = string.format("permutation p = %.4f", p), word = word,
            reason = word == "reproduced" and "the difference's interval excludes 0" or "the difference's interval includes 0" }
    end
  end
end

--- each task's mean ρ against each version's figure
claims[2] = function(c, row)
  local B, rand, noise, runs = c.B, c.rand, c.noise, c.runs
  for _, v in ipairs { "v1", "v2", "v3" } do
    local norm = V.paper[v].norm
    for _, task in ipairs { "reverse", "sort" } do
      local nz = noise[task] and noise[task][norm]
      if nz then
        local want = V.paper[v].rho[task]
        local inside = want >= nz.interval[1] and want <= nz.interval[2]
        row { version = v, claim = "mean ρ on " .. task .. " (" .. norm:gsub("_", "-") .. " G)", paper = fmt(want),
              ours = fmt(nz.mean) .. " (n = " .. nz.n .. ")", interval = ci(nz.interval), test = "–",
              word = inside and "reproduced" or "not reproduced",
              reason = inside and "the paper's value lies in our interval"
                or ("ours is " .. (nz.mean > want and "higher" or "lower") .. "; the paper's value is outside our interval") }
      end
    end
  end
end

--- negative sort seeds
claims[3] = function(c, row)
  local B, rand, noise, runs = c.B, c.rand, c.noise, c.runs
  do
    local specs = { { "v1", "raw", "sorting has seeds with ρ < 0", nil, "range [−0.11, 0.73]" },
                    { "v2", "per_param", "four of ten sort seeds have ρ < 0", 0.4, "4 of 10, min −0.34" },
                    { "v3", "raw", "the worst sort seed has ρ < 0", nil, "worst −0.18" } }
    for _, sp in ipairs(specs) do
      local v, norm, text, share, paper_text = sp[1], sp[2], sp[3], sp[4], sp[5]
      local k, n, lo = 0, #runs.sort, nil
      for _, r in ipairs(runs.sort) do
        if r.rho[norm] < 0 then k = k + 1 end
        lo = math.min(lo or r.rho[norm], r.rho[norm])
      end
      if n > 0 then
        local iv = wilson(k, n)
        local word, reason
        if share then
          local inside = share >= iv[1] and share <= iv[2]
          word = inside and "reproduced" or "not reproduced"
          reason = inside and "40% lies in the interval of our share" or "40% is outside the interval of our share"
        else
          word = k > 0 and "reproduced" or (iv[2] < 0.3 and "not reproduced" or "inconclusive")
          reason = k > 0 and "we also see negative seeds" or "no negative seed among ours"
        end
        row { version = v, claim = text .. " (" .. norm:gsub("_", "-") .. " G)", paper = paper_text,
              ours = string.format("%d of %d negative, min %s", k, n, fmt(lo, 3)), interval = ci(iv) .. " (share)",
              test = "Wilson interval", word = word, reason = reason }
      end
    end
  end
end

--- where Heroes and Bloats sit: Heroes in later layers than Bloats (v1 on sorting; v3)
claims[4] = function(c, row)
  local B, rand, noise, runs = c.B, c.rand, c.noise, c.runs
  for _, spec in ipairs { { "v1", "sort", "raw" }, { "v3", "reverse", "raw" }, { "v3", "sort", "raw" } } do
    local v, task, norm = spec[1], spec[2], spec[3]
    local function stat(list)
      local hl, bl = {}, {}
      for _, r in ipairs(list) do
        for _, c in ipairs(r.classes[norm].heroes) do hl[#hl + 1] = layer_of(c) end
        for _, c in ipairs(r.classes[norm].bloats) do bl[#bl + 1] = layer_of(c) end
      end
      local a, b = mean(hl), mean(bl)
      return a and b and a - b, a, b
    end
    local d, hm, bm = stat(runs[task])
    if d then
      local iv = boot_runs(runs[task], stat, B, rand)
      local word = iv[1] > 0 and "reproduced" or (iv[2] < 0 and "not reproduced" or "inconclusive")
      row { version = v, claim = "Heroes sit in later layers than Bloats (" .. task .. ")", paper = "Heroes late, Bloats L0–L1",
            ours = string.format("mean layer %s vs %s (diff %s)", fmt(hm, 1), fmt(bm, 1), fmt(d)), interval = ci(iv),
            test = "bootstrap over runs", word = word,
            reason = word == "reproduced" and "the difference's interval is above 0" or "the difference's interval includes or is below 0" }
    end
  end
end

--- v2: the MLPs of L0 and L1 are the most frequent Heroes (per-param G)
claims[5] = function(c, row)
  local B, rand, noise, runs = c.B, c.rand, c.noise, c.runs
  do
    local count, total = {}, 0
    local all = {}
    for _, task in ipairs { "reverse", "sort" } do for _, r in ipairs(runs[task]) do all[#all + 1] = r end end
    local function share(list)
      local k, n = 0, 0
      for _, r in ipairs(list) do
        for _, c in ipairs(r.classes.per_param.heroes) do
          n = n + 1
          if c == "L0.MLP" or c == "L1.MLP" then k = k + 1 end
        end
      end
      return n > 0 and k / n or nil
    end
    for _, r in ipairs(all) do
      for _, c in ipairs(r.classes.per_param.heroes) do count[c] = (count[c] or 0) + 1; total = total + 1 end
    end
    local order = {}
    for c, k in pairs(count) do order[#order + 1] = { c, k } end
    table.sort(order, function(a, b) return a[2] > b[2] or (a[2] == b[2] and a[1] < b[1]) end)
    if #order > 0 then
      local top = {}
      for i = 1, math.min(3, #order) do top[i] = order[i][1] .. " (" .. order[i][2] .. ")" end
      local two = { [order[1][1]] = true, [order[2] and order[2][1] or ""] = true }
      local word = (two["L0.MLP"] and two["L1.MLP"]) and "reproduced" or "not reproduced"
      row { version = "v2", claim = "the MLPs of L0 and L1 are the most frequent Heroes (per-param G)", paper = "L0.MLP, L1.MLP",
            ours = "most frequent: " .. table.concat(top, ", ") .. string.format("; L0/L1 MLP share %s", fmt(share(all))),
            interval = ci(boot_runs(all, share, B, rand)) .. " (share)", test = "bootstrap over runs", word = word,
            reason = word == "reproduced" and "they are the two most frequent" or "they are not the two most frequent" }
    end
  end
end

--- pruning: Heroes hurt more than Bloats, OOD and ID; magnitudes per version
claims[6] = function(c, row)
  local B, rand, noise, runs = c.B, c.rand, c.noise, c.runs
  for _, spec in ipairs { { "v1", "raw" }, { "v2", "per_param" }, { "v3", "raw" } } do
    local v, norm = spec[1], spec[2]
    for _, where in ipairs { "ood", "id" } do
      local d, hd, bd, rel, paired = {}, {}, {}, {}, {}
      for _, task in ipairs { "reverse", "sort" } do
        for _, r in ipairs(runs[task]) do
          local pr = r.pruning and r.pruning[norm]
          local base = r.pruning and r.pruning.baseline[where]
          if pr and base then
            local h = #pr.heroes.components > 0 and 100 * (base - pr.heroes[where]) or nil
            local b = #pr.bloats.components > 0 and 100 * (base - pr.bloats[where]) or nil
            if h then hd[#hd + 1] = h; if base > 0 then rel[#rel + 1] = h / (100 * base) end end
            if b then bd[#bd + 1] = b end
            if h and b then d[#d + 1] = h - b; paired[#paired + 1] = { h = h, b = b } end
          end
        end
      end
      if #d >= 2 then
        local p = sign_flip_p(d, B, rand)
        local iv = boot_runs(paired, function(l) local s = 0 for _, x in ipairs(l) do s = s + x.h - x.b end return s / #l end, B, rand)
        local word = (iv[1] > 0 and p < 0.05) and "reproduced" or (iv[2] < 0 and "not reproduced" or "inconclusive")
        local paper = ({ v1 = "Heroes −32 pts, Bloats +3.5 pts (sort 456)", v2 = "Heroes −64%, Bloats −9.5% to −27%",
                         v3 = "Heroes −36.4% ± 22.8%" })[v]
        row { version = v, claim = "pruning two Heroes hurts " .. where:upper() .. " accuracy more than pruning two Bloats",
              paper = where == "ood" and paper or "–",
              ours = string.format("drop %s pts (n = %d) vs %s pts (n = %d)", fmt(mean(hd), 1), #hd, fmt(mean(bd), 1), #bd),
              interval = ci(iv, 1) .. " (paired diff, pts)", test = string.format("sign-flip p = %.4f (n = %d pairs)", p, #d),
              word = word, reason = word == "reproduced" and "the paired difference is above 0" or "the paired difference's interval includes or is below 0" }
        if v == "v3" and where == "ood" and #rel >= 2 then
          local riv = boot_runs(rel, function(l) return mean(l) end, B, rand)
          local inside = -0.364 >= -riv[2] and -0.364 <= -riv[1]
          row { version = "v3", claim = "Hero ablation costs 36.4% ± 22.8% of OOD accuracy", paper = "−36.4% ± 22.8%",
                ours = string.format("−%s%% ± %s%% (n = %d)", fmt(100 * mean(rel), 1), fmt(100 * (sd(rel) or 0), 1), #rel),
                interval = "[−" .. fmt(100 * riv[2], 1) .. "%, −" .. fmt(100 * riv[1], 1) .. "%]", test = "bootstrap over runs",
                word = inside and "reproduced" or "not reproduced",
                reason = inside and "36.4% lies in the interval of our mean" or "36.4% is outside the interval of our mean" }
        end
      end
    end
  end
end

--- v1: the Bloat ID effect is bimodal (near zero in some runs, large in others)
claims[7] = function(c, row)
  local B, rand, noise, runs = c.B, c.rand, c.noise, c.runs
  do
    local drops = {}
    for _, task in ipairs { "reverse", "sort" } do
      for _, r in ipairs(runs[task]) do
        local pr = r.pruning and r.pruning.raw
        if pr and #pr.bloats.components > 0 then drops[#drops + 1] = 100 * (r.pruning.baseline.id - pr.bloats.id) end
      end
    end
    if #drops > 0 then
      local small, large = 0, 0
      for _, x in ipairs(drops) do
        if x < 5 then small = small + 1 elseif x > 20 then large = large + 1 end
      end
      local n = #drops
      local word = (small >= 0.2 * n and large >= 0.2 * n) and "reproduced"
        or ((n >= 10 and (small < 0.1 * n or large < 0.1 * n)) and "not reproduced" or "inconclusive")
      row { version = "v1", claim = "the ID effect of pruning Bloats is bimodal", paper = "bimodal",
            ours = string.format("%d of %d runs drop < 5 pts, %d drop > 20 pts", small, n, large),
            interval = ci(wilson(small, n)) .. " / " .. ci(wilson(large, n)) .. " (shares)", test = "–", word = word,
            reason = word == "reproduced" and "both modes hold at least 20% of runs" or "one mode is (nearly) empty" }
    end
  end
end

--- v3: ablating the Bloats together does ~14× the damage of their single ablations
claims[8] = function(c, row)
  local B, rand, noise, runs = c.B, c.rand, c.noise, c.runs
  for _, norm in ipairs { "raw" } do
    local pairs_ = {}
    for _, task in ipairs { "reverse", "sort" } do
      for _, r in ipairs(runs[task]) do
        local j = r.joint and r.joint[norm] and r.joint[norm].bloats
        if j then pairs_[#pairs_ + 1] = { joint = j.joint, sum = j.sum } end
      end
    end
    if #pairs_ >= 2 then
      local function pooled(l)
        local a, b = 0, 0
        for _, x in ipairs(l) do a = a + x.joint; b = b + x.sum end
        return b ~= 0 and a / b or nil
      end
      local ratio = pooled(pairs_)
      local iv = boot_runs(pairs_, pooled, B, rand)
      local word
      if iv[1] and iv[1] <= 14 and iv[2] >= 14 then word = "reproduced"
      elseif iv[1] then word = "not reproduced" else word = "inconclusive" end
      row { version = "v3", claim = "ablating the Bloats together does ~14× the damage of the sum of their single ablations",
            paper = "≈14×", ours = string.format("pooled ratio %s (n = %d runs with ≥ 2 Bloats)", fmt(ratio), #pairs_),
            interval = ci(iv), test = "bootstrap over runs", word = word,
            reason = (iv[1] and iv[1] > 1) and ("super-additive (interval above 1)" .. (word == "reproduced" and ", and 14 lies in it" or ", but 14 lies outside it"))
              or "not clearly super-additive (the interval reaches 1)" }
    end
  end
end

V.claims = claims

--- The verdict rows for `records` (all runs of a report).
function V.rows(records, opts)
  check(records, "verdict.rows")
  opts = opts or {}
  local c = { records = records, opts = opts, B = opts.resamples or 1000, rand = rng(opts.seed) }
  c.noise = V.noise(records, opts)
  c.runs = { reverse = valid_runs(records, "reverse"), sort = valid_runs(records, "sort") }
  local rows = {}
  local function row(t) rows[#rows + 1] = t end
  for _, claim in ipairs(claims) do claim(c, row) end
  return rows, c.noise
end

--- The Verdict section: the rows for all runs and, when there are more than the paper's ten
-- seeds, for the paper's ten alone (how the conclusions change with more seeds).
function V.markdown(records, opts)
  check(records, "verdict.markdown")
  opts = opts or {}
  local rows, noise = V.rows(records, opts)
  local out = { "## Verdict", "",
    "One row per claim of each version of the paper (v1 workshop text, v2 project page, v3 arXiv 2602.01442v3). " ..
    string.format("Intervals are 95%%, from %d resamples: for ρ a two-level bootstrap (seeds, and the evaluation samples within each seed), for the rest a bootstrap over runs; ", opts.resamples or 1000) ..
    "“reproduced” means our interval agrees with the claim, “not reproduced” that it excludes it, “inconclusive” neither.", "" }
  local ten = {}
  local paper_seeds = { [42] = true, [123] = true, [456] = true, [789] = true, [1010] = true, [2020] = true,
                        [3030] = true, [4040] = true, [5050] = true, [6060] = true }
  local others = 0
  for _, r in ipairs(records) do
    if paper_seeds[r.seed] then ten[#ten + 1] = r else others = others + 1 end
  end
  local ten_words
  if others > 0 and #ten > 0 then
    ten_words = {}
    for i, r in ipairs(V.rows(ten, opts)) do ten_words[r.version .. r.claim] = r.word end
  end
  out[#out + 1] = "| version | claim | paper | ours | 95% interval | test | verdict | why |" .. (ten_words and " paper's 10 seeds only |" or "")
  out[#out + 1] = "|---|---|---|---|---|---|---|---|" .. (ten_words and "---|" or "")
  for _, r in ipairs(rows) do
    out[#out + 1] = string.format("| %s | %s | %s | %s | %s | %s | **%s** | %s |%s", r.version, r.claim, r.paper, r.ours,
      r.interval, r.test, r.word, r.reason, ten_words and (" " .. (ten_words[r.version .. r.claim] or "–") .. " |") or "")
  end
  out[#out + 1] = ""
  out[#out + 1] = "Where the noise in mean ρ comes from (standard deviation of the bootstrap mean):"
  out[#out + 1] = ""
  out[#out + 1] = "| task | G | n | mean ρ | both levels | seeds only | samples only | dominant |"
  out[#out + 1] = "|---|---|---|---|---|---|---|---|"
  for _, task in ipairs { "reverse", "sort" } do
    for _, norm in ipairs { "raw", "per_param" } do
      local z = noise[task] and noise[task][norm]
      if z then
        out[#out + 1] = string.format("| %s | %s | %d | %s | %s | %s | %s | %s |", task, (norm:gsub("_", "-")), z.n, fmt(z.mean, 3),
          fmt(z.sd_both, 3), fmt(z.sd_seeds, 3), fmt(z.sd_samples, 3),
          (z.sd_seeds or 0) >= (z.sd_samples or 0) and "seeds" or "samples")
      end
    end
  end
  if ten_words then
    local changed = {}
    for _, r in ipairs(rows) do
      local w = ten_words[r.version .. r.claim]
      if w and w ~= r.word then changed[#changed + 1] = string.format("%s “%s” (%s with the paper's ten seeds, %s with all %d runs)",
        r.version, r.claim, w, r.word, #records) end
    end
    out[#out + 1] = ""
    out[#out + 1] = #changed == 0 and "Every verdict is the same with the paper's ten seeds alone."
      or ("With more seeds these verdicts change: " .. table.concat(changed, "; ") .. ".")
  end
  return table.concat(out, "\n") .. "\n"
end

return V
