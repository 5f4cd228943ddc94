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
-- results) to recompute C and ρ. opts: resamples (default: the protocol's verdict_resamples,
-- 10,000), seed (default 1). The resampling is native (gcgap.stats.mean_rho, permutation_test,
-- sign_flip); a p-value no resample reached prints as "p < 1/(B + 1)", its resolution.
local gc = require "gcgap.core"
local check = require("gcgap.report.data").check -- (records are checked before they are read)
local R = require "gcgap.resampling"
local mean, sd, interval, wilson, boot_runs = R.mean, R.sd, R.interval, R.wilson, R.boot_runs
local function rng(seed) return R.lcg((seed or 1) * 2654435761 % 4294967296 + 1, 24) end
local P = require "gcgap.protocol"
-- opts.resamples (the protocol's verdict_resamples by default), checked for `fname`'s options.
local function resamples_of(opts, fname)
  local B = opts.resamples or P.presets.default.verdict_resamples
  R.check_resamples(B, fname, 2, "option 'resamples'")
  return B
end
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

--- The bootstrap of a task's mean ρ (native): `seeds` and/or `samples` resampled. Returns
-- the list of resampled means. `k` names the stream (each call its own).
local function boot_mean_rho(runs, norm, B, seed, seeds, samples)
  return gc.stats.mean_rho(runs, { norm = norm, resamples = B, seed = seed, seeds = seeds, samples = samples })
end

--- The spread of each task's mean ρ from each source of noise.
function V.noise(records, opts)
  check(records, "verdict.noise")
  opts = opts or {}
  local B, seed = resamples_of(opts, "noise"), (opts.seed or 1) * 100
  local out = {}
  for _, task in ipairs { "reverse", "sort" } do
    local runs = valid_runs(records, task)
    if #runs >= 2 then
      out[task] = {}
      for _, norm in ipairs { "raw", "per_param" } do
        seed = seed + 3
        local both = boot_mean_rho(runs, norm, B, seed, true, true)
        local seeds = boot_mean_rho(runs, norm, B, seed + 1, true, false)
        local samples = boot_mean_rho(runs, norm, B, seed + 2, false, true)
        out[task][norm] = { n = #runs, mean = mean((function() local t = {} for i, r in ipairs(runs) do t[i] = r.rho[norm] end return t end)()),
                            interval = interval(both), sd_both = sd(both), sd_seeds = sd(seeds), sd_samples = sd(samples),
                            draws = both }
      end
    end
  end
  return out
end

local D = require "gcgap.report.data"
local function fmt(x, d) return D.fmt(x, d or 2) end   -- (two decimals unless told)
local ci = D.fmt_interval

local hero_row
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
      local a, b = {}, {}
      for _, r in ipairs(runs.reverse) do a[#a + 1] = r.rho[norm] end
      for _, r in ipairs(runs.sort) do b[#b + 1] = r.rho[norm] end
      local obs = nr.mean - ns.mean
      local p, hits = gc.stats.permutation_test(a, b, { resamples = B, seed = c.stream() })
      local word = (iv[1] > 0 and p < 0.05) and "reproduced" or (iv[2] < 0 and "not reproduced" or "inconclusive")
      row { version = v, claim = "ρ is higher on reversal than on sorting (" .. norm:gsub("_", "-") .. " G)",
            paper = fmt(V.paper[v].rho.reverse) .. " vs " .. fmt(V.paper[v].rho.sort),
            ours = fmt(nr.mean) .. " vs " .. fmt(ns.mean) .. " (diff " .. fmt(obs) .. ")", interval = ci(iv),
            test = "permutation " .. R.format_p(p, hits, B), word = word,
            definition = "the difference of the two tasks' mean ρ over their valid runs; interval: the two-level bootstrap of each mean; p: one-sided permutation test of the task labels",
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
              definition = "the mean of the valid runs' ρ; interval: two-level bootstrap (runs, and evaluation samples within each run)",
              reason = inside and "the paper's value lies in our interval"
                or ("ours is " .. (nz.mean > want and "higher" or "lower") .. "; the paper's value is outside our interval") }
      end
    end
  end
end

--- negative sort seeds, each seed judged by its own interval (its evaluation samples
-- resampled), against the paper's minimum
claims[3] = function(c, row)
  local B, runs = c.B, c.runs
  local specs = { { "v1", "raw", "sorting has seeds with ρ < 0", nil, "range [−0.11, 0.73]", -0.11 },
                  { "v2", "per_param", "four of ten sort seeds have ρ < 0", 0.4, "4 of 10, min −0.34", -0.34 },
                  { "v3", "raw", "the worst sort seed has ρ < 0", nil, "worst −0.18", -0.18 } }
  for _, sp in ipairs(specs) do
    local v, norm, text, share, paper_text, paper_min = sp[1], sp[2], sp[3], sp[4], sp[5], sp[6]
    local k, sure, n, worst = 0, 0, #runs.sort, nil
    for _, r in ipairs(runs.sort) do
      local iv = interval(gc.stats.mean_rho({ r }, { norm = norm, resamples = B, seed = c.stream(), seeds = false }))
      if r.rho[norm] < 0 then k = k + 1 end
      if iv[2] and iv[2] < 0 then sure = sure + 1 end
      if not worst or r.rho[norm] < worst.rho then worst = { rho = r.rho[norm], iv = iv, seed = r.seed } end
    end
    if n > 0 then
      local word, reason
      local reaches = worst.iv[1] and worst.iv[1] <= paper_min
      if share then
        local hi = wilson(k, n)[2]          -- the share of point-negative seeds: an upper bound
        local lo = wilson(sure, n)[1]       -- seeds negative beyond their own noise: a lower bound
        word = (lo <= share and share <= wilson(sure, n)[2]) and sure > 0 and "reproduced"
          or (hi < share and "not reproduced" or "inconclusive")
        reason = string.format("%d of %d seeds negative beyond their own interval; 40%% %s", sure, n,
          hi < share and "is above even the share of point-negative seeds" or "is not excluded")
      else
        word = sure > 0 and "reproduced" or ((worst.iv[1] and worst.iv[1] > 0) and "not reproduced" or "inconclusive")
        reason = sure > 0 and "a seed is negative beyond its own interval"
          or ((word == "not reproduced") and "every seed's interval lies above 0"
            or "no seed is negative beyond its own interval, yet the worst seed's interval reaches below 0")
      end
      reason = reason .. string.format("; the paper's minimum %s is %s the worst seed's interval", fmt(paper_min),
        reaches and "within or above the bottom of" or "below")
      row { version = v, claim = text .. " (" .. norm:gsub("_", "-") .. " G)", paper = paper_text,
            ours = string.format("%d of %d negative (%d beyond their own interval); worst seed %d: %s %s", k, n, sure, worst.seed,
              fmt(worst.rho, 3), ci(worst.iv)),
            interval = share and (ci(wilson(sure, n)) .. " to " .. ci(wilson(k, n)) .. " (share)") or ci(worst.iv) .. " (worst seed)",
            test = "per-seed bootstrap over samples" .. (share and "; Wilson intervals" or ""), word = word, reason = reason,
            definition = "a seed is negative beyond its own noise when the 95% interval of its ρ, from resampling its evaluation samples, lies below 0" ..
              (share and "; the share's lower bound counts those seeds, its upper bound every seed with ρ < 0" or "") }
    end
  end
end

--- where Heroes and Bloats sit: Heroes in later layers than Bloats (v1 on sorting; v3)
claims[4] = function(c, row)
  local B, rand, noise, runs = c.B, c.rand, c.noise, c.runs
  for _, spec in ipairs { { "v1", "sort", "raw" }, { "v3", "reverse", "raw" }, { "v3", "sort", "raw" } } do
    local v, task, norm = spec[1], spec[2], spec[3]
    -- per run, the sums and counts of its Heroes' and Bloats' layers (read once, not per resample)
    local sums = {}
    for i, r in ipairs(runs[task]) do
      local x = { hs = 0, hn = 0, bs = 0, bn = 0 }
      for _, c in ipairs(r.classes[norm].heroes) do x.hs = x.hs + layer_of(c); x.hn = x.hn + 1 end
      for _, c in ipairs(r.classes[norm].bloats) do x.bs = x.bs + layer_of(c); x.bn = x.bn + 1 end
      sums[i] = x
    end
    local function stat(list)
      local hs, hn, bs, bn = 0, 0, 0, 0
      for _, x in ipairs(list) do hs, hn, bs, bn = hs + x.hs, hn + x.hn, bs + x.bs, bn + x.bn end
      local a, b = hn > 0 and hs / hn or nil, bn > 0 and bs / bn or nil
      return a and b and a - b, a, b
    end
    local d, hm, bm = stat(sums)
    if d then
      local iv = boot_runs(sums, stat, B, rand)
      local word = iv[1] > 0 and "reproduced" or (iv[2] < 0 and "not reproduced" or "inconclusive")
      row { version = v, claim = "Heroes sit in later layers than Bloats (" .. task .. ")", paper = "Heroes late, Bloats L0–L1",
            ours = string.format("mean layer %s vs %s (diff %s)", fmt(hm, 1), fmt(bm, 1), fmt(d)), interval = ci(iv),
            test = "bootstrap over runs", word = word,
            definition = "the mean layer of every Hero minus that of every Bloat, pooled over the task's valid runs (classes under Δ's threshold)",
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
            definition = "Hero counts over all valid runs of both tasks (per-param G); the share is L0/L1 MLP Heroes among all Heroes",
            reason = word == "reproduced" and "they are the two most frequent" or "they are not the two most frequent" }
    end
  end
end

-- An alternative reading of a claim's figure: its name, values over runs, the statistic
-- (mean by default) and how to print it; returns {name, value, interval, inside}.
local function alternative(c, name, list, target, stat, scale, unit)
  stat, scale = stat or mean, scale or 1
  if #list < 2 then return { name = name, text = "– (fewer than 2 runs)" } end
  local v, iv = stat(list), boot_runs(list, stat, c.B, c.rand)
  local inside = iv[1] and target >= iv[1] and target <= iv[2]
  return { name = name, inside = inside, text = string.format("%s%s %s (n = %d)%s", fmt(scale * v, 1), unit or "",
    ci({ scale * iv[1], scale * iv[2] }, 1), #list, inside and ": the paper's figure lies in the interval" or ": outside the interval") }
end

--- v3's "Hero ablation −36.4% ± 22.8%": judged as the relative OOD drop of the two Heroes of
-- most negative Δ; the other readings beside it
hero_row = function(c, row, rel)
  local runs = c.runs
  local pts, all_pts, all_rel = {}, {}, {}
  for _, task in ipairs { "reverse", "sort" } do
    for _, r in ipairs(runs[task]) do
      local pr, base = r.pruning and r.pruning.raw, r.pruning and r.pruning.baseline.ood
      if pr and #pr.heroes.components > 0 then pts[#pts + 1] = 100 * (base - pr.heroes.ood) end
      local j = r.joint and r.joint.raw and r.joint.raw.heroes
      if j then
        all_pts[#all_pts + 1] = 100 * j.joint
        if (r.base_accuracy or 0) > 0 then all_rel[#all_rel + 1] = j.joint / r.base_accuracy end
      end
    end
  end
  local judged = alternative(c, "the two Heroes of most negative Δ, relative drop (judged)", rel, 0.364, nil, 100, "%")
  row { version = "v3", claim = "Hero ablation costs 36.4% ± 22.8% of OOD accuracy", paper = "−36.4% ± 22.8%",
        ours = string.format("−%s%% ± %s%% (n = %d)", fmt(100 * mean(rel), 1), fmt(100 * (sd(rel) or 0), 1), #rel),
        interval = judged.text:match("%b[]"), test = "bootstrap over runs",
        word = judged.inside and "reproduced" or "not reproduced",
        reason = judged.inside and "36.4% lies in the interval of our mean" or "36.4% is outside the interval of our mean",
        definition = "per run, (base − after)/base of OOD accuracy when its two Heroes of most negative Δ (raw G) are mean-ablated together; the paper does not say which Heroes nor whether the drop is relative",
        alternatives = { judged,
          alternative(c, "the two Heroes of most negative Δ, in points", pts, 36.4, nil, 1, " pts"),
          alternative(c, "all of a run's Heroes together, in points", all_pts, 36.4, nil, 1, " pts"),
          alternative(c, "all of a run's Heroes together, relative drop", all_rel, 0.364, nil, 100, "%") } }
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
        local p, hits = gc.stats.sign_flip(d, { resamples = B, seed = c.stream() })
        local iv = boot_runs(paired, function(l) local s = 0 for _, x in ipairs(l) do s = s + x.h - x.b end return s / #l end, B, rand)
        local word = (iv[1] > 0 and p < 0.05) and "reproduced" or (iv[2] < 0 and "not reproduced" or "inconclusive")
        local paper = ({ v1 = "Heroes −32 pts, Bloats +3.5 pts (sort 456)", v2 = "Heroes −64%, Bloats −9.5% to −27%",
                         v3 = "Heroes −36.4% ± 22.8%" })[v]
        row { version = v, claim = "pruning two Heroes hurts " .. where:upper() .. " accuracy more than pruning two Bloats",
              paper = where == "ood" and paper or "–",
              ours = string.format("drop %s pts (n = %d) vs %s pts (n = %d)", fmt(mean(hd), 1), #hd, fmt(mean(bd), 1), #bd),
              interval = ci(iv, 1) .. " (paired diff, pts)", test = string.format("sign-flip %s (n = %d pairs)", R.format_p(p, hits, B), #d),
              definition = "per run, the OOD (or ID) accuracy drop, in points, from ablating together its two Heroes of most negative Δ, minus that from its two Bloats of largest Δ (mean ablation)",
              word = word, reason = word == "reproduced" and "the paired difference is above 0" or "the paired difference's interval includes or is below 0" }
        if v == "v3" and where == "ood" and #rel >= 2 then hero_row(c, row, rel) end
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
            definition = "per run, the ID accuracy drop from ablating its two Bloats of largest Δ (raw G), in points; bimodal when at least 20% of runs drop < 5 points and at least 20% drop > 20",
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
        if j then pairs_[#pairs_ + 1] = { joint = j.joint, sum = j.sum, n = r.samples and #r.samples.base } end
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
      local per_run, med = {}, function(l)
        local t = {}
        for _, x in ipairs(l) do if x.sum > 0 then t[#t + 1] = x.joint / x.sum end end
        table.sort(t)
        return R.percentile(t, 0.5)
      end
      local most
      for _, x in ipairs(pairs_) do
        if x.sum > 0 then
          per_run[#per_run + 1] = x
          if not most or x.joint / x.sum > most.joint / most.sum then most = x end
        end
      end
      local mean_ratio = function(l) local t = {} for _, x in ipairs(l) do if x.sum > 0 then t[#t + 1] = x.joint / x.sum end end return mean(t) end
      row { version = "v3", claim = "ablating the Bloats together does ~14× the damage of the sum of their single ablations",
            paper = "≈14×", ours = string.format("pooled ratio %s (n = %d runs with ≥ 2 Bloats)", fmt(ratio), #pairs_),
            interval = ci(iv), test = "bootstrap over runs", word = word,
            definition = "pooled over runs with at least two Bloats (raw G): Σ joint damage / Σ (sum of single damages), damage = OOD accuracy lost; the paper does not say how runs are combined",
            alternatives = {
              { name = "pooled Σ joint / Σ sum (judged)", text = fmt(ratio) .. " " .. ci(iv) },
              alternative(c, "median of per-run ratios", per_run, 14, med),
              alternative(c, "mean of per-run ratios", per_run, 14, mean_ratio),
              { name = "largest per-run ratio", text = most and string.format("%s (joint %s, sum of singles %s: %d of %d samples)",
                fmt(most.joint / most.sum, 1), fmt(most.joint, 3), fmt(most.sum, 3), math.floor(most.sum * (most.n or 200) + 0.5), most.n or 200) or "–" } },
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
  local next_seed = (opts.seed or 1) * 1000
  local c = { records = records, opts = opts, B = resamples_of(opts, "rows"), rand = rng(opts.seed),
              stream = function() next_seed = next_seed + 1; return next_seed end }
  c.noise = V.noise(records, opts)
  c.runs = { reverse = valid_runs(records, "reverse"), sort = valid_runs(records, "sort") }
  local rows = {}
  local function row(t) rows[#rows + 1] = t end
  for _, claim in ipairs(claims) do claim(c, row) end
  return rows, c.noise
end

--- "What each row measures": every row's definition and, where the paper's wording allows
-- other readings, each alternative computed beside the judged one. Appends to `out`.
local function definitions(rows, out)
  out[#out + 1] = "### What each row measures"
  out[#out + 1] = ""
  local seen = {}
  for _, r in ipairs(rows) do
    local key = r.claim:gsub(" %b()$", "")
    if r.definition and not seen[key .. r.definition] then
      seen[key .. r.definition] = true
      out[#out + 1] = string.format("- **%s**: %s.", key, r.definition)
      for _, a in ipairs(r.alternatives or {}) do out[#out + 1] = string.format("  - %s: %s", a.name, a.text) end
    end
  end
end

--- The Verdict section: the rows for all runs and, when there are more than the paper's ten
-- seeds, for the paper's ten alone (how the conclusions change with more seeds).
function V.markdown(records, opts)
  check(records, "verdict.markdown")
  opts = opts or {}
  local rows, noise = V.rows(records, opts)
  local out = { "## Verdict", "",
    "One row per claim of each version of the paper (v1 workshop text, v2 project page, v3 arXiv 2602.01442v3). " ..
    string.format("Intervals are 95%%, from %d resamples: for ρ a two-level bootstrap (seeds, and the evaluation samples within each seed), for the rest a bootstrap over runs; ", resamples_of(opts, "markdown")) ..
    string.format("a p-value from B resamples is (k + 1)/(B + 1), so none is below 1/(B + 1) = %.5f, and a p no resample reached prints as “p < 1/(B + 1)”; ", 1 / (resamples_of(opts, "markdown") + 1)) ..
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
  definitions(rows, out)
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
      if w and w ~= r.word then changed[#changed + 1] = string.format("%s “%s” (%s with the paper's ten seeds, %s with every seed)",
        r.version, r.claim, w, r.word) end
    end
    out[#out + 1] = ""
    out[#out + 1] = #changed == 0 and "Every verdict is the same with the paper's ten seeds alone."
      or ("With more seeds these verdicts change: " .. table.concat(changed, "; ") .. ".")
  end
  return table.concat(out, "\n") .. "\n"
end

return V
