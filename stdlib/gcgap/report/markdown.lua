--- gcgap.report.markdown: the report's Markdown, from run records.
local gc = require "gcgap.core"
local D = require "gcgap.report.data"
local PAPER = require "gcgap.paper"
local M = {}
local NORMS = D.norms
local S = require "gcgap.svg"
local esc = S.esc

--- Which gcgap made the records: "Records made by gcgap V (commit C), KERNEL." (or each build's
-- count), and which gcgap wrote the report (this process's build).
function M.provenance(records)
  local builds, order = {}, {}
  for _, r in ipairs(records) do
    local b = r.build
    local key = b and string.format("gcgap %s%s, %s", b.version or "?", b.commit and (" (commit " .. b.commit .. ")") or "",
      b.kernel or "?") or "an older gcgap that did not record its build"
    if not builds[key] then builds[key] = 0; order[#order + 1] = key end
    builds[key] = builds[key] + 1
  end
  local b = gc.build()
  local writer = string.format(" This report was written by gcgap %s (commit %s), %s.", b.version or "?", b.commit or "?", b.kernel or "?")
  if #order == 1 then return "Records made by " .. order[1] .. "." .. writer end
  local parts = {}
  for _, k in ipairs(order) do parts[#parts + 1] = string.format("%d by %s", builds[k], k) end
  return "Records made by " .. #order .. " builds: " .. table.concat(parts, "; ") .. "." .. writer
end

-- The report's sections, in order: each a function of (w, c) that writes its lines with
-- w(line) from the context c (records, opts, summary, p, preliminary, seeds_per_task, order,
-- groups). A new section is a function here and a name in M.order.
local S = {}
M.sections = S
M.order = { "header", "preliminary", "verdict", "table1", "invalid", "table3", "pruning", "seeds", "ladder",
            "decomposition", "figures", "standing" }

--- The title, what a run is (with the records' settings), which build made them, the time taken.
function S.header(w, c)
  local records, opts, summary, p = c.records, c.opts, c.summary, c.p
  local preliminary, seeds_per_task, order, groups = c.preliminary, c.seeds_per_task, c.order, c.groups
  w("# " .. (opts.title or "The Gradient-Causal Gap, reproduced by gcgap"))
  w()
  w(string.format("Preset `%s`; %d runs. Each run: a model trained as docs/protocol.md says, its OOD length, G over %s batches of %s, C by mean ablation on the OOD evaluation set, ρ, Δ = Rank(G) − Rank(C) with %s ranks, classes at |Δ| %s %s, and pruning.",
    opts.preset or "?", #records, tostring(p.grad and p.grad.batches or "?"), tostring(p.grad and p.grad.batch or "?"),
    p.ranks or "?", p.strict and ">" or "≥", tostring(p.threshold or "?")))
  w(M.provenance(records))
  if opts.seconds then w(string.format("This report took %.0f s to produce (cached models and runs are reused).", opts.seconds)) end
  w()
end

--- A warning when there are fewer than ten seeds per task.
function S.preliminary(w, c)
  local records, opts, summary, p = c.records, c.opts, c.summary, c.p
  local preliminary, seeds_per_task, order, groups = c.preliminary, c.seeds_per_task, c.order, c.groups
  if preliminary then
    w(string.format("**Preliminary: %d seed(s) per task.** The paper's figures come from 10 seeds per task; totals over fewer seeds are not comparable with them and are not set beside them here.", seeds_per_task))
    w()
  end
end

--- The Verdict on every claim of the paper's three versions (gcgap.verdict).
function S.verdict(w, c)
  local records, opts, summary, p = c.records, c.opts, c.summary, c.p
  local preliminary, seeds_per_task, order, groups = c.preliminary, c.seeds_per_task, c.order, c.groups
  if opts.verdict ~= false and not preliminary then
    local V = require "gcgap.verdict"
    w(V.markdown(records, { resamples = opts.resamples }))
  end
end

--- Table 1: ρ per task and normalisation beside the paper's.
function S.table1(w, c)
  local records, opts, summary, p = c.records, c.opts, c.summary, c.p
  local preliminary, seeds_per_task, order, groups = c.preliminary, c.seeds_per_task, c.order, c.groups
  w("## Table 1: the gap, per task")
  w()
  w("| task | G | valid runs | mean ρ ± std | range | runs with ρ < 0 | Heroes / Bloats | the paper |")
  w("|---|---|---|---|---|---|---|---|")
  for _, s in ipairs(summary) do
    for _, norm in ipairs(NORMS) do
      local x = s[norm]
      local paper = PAPER.text[s.task]
      local ref = paper and (norm == "raw" and ("v1: " .. paper.rho_v1 .. (preliminary and "" or ("; H/B " .. paper.counts_v1)) .. "; v3: " .. paper.rho_v3)
                             or ("v2: " .. paper.rho_v2)) or "–"
      w(string.format("| %s | %s | %d of %d | %s ± %s | [%s, %s] | %d | %d / %d | %s |", s.task, D.norm_label[norm], x.n, s.runs,
        D.fmt(x.mean), D.fmt(x.std), D.fmt(x.min, 2), D.fmt(x.max, 2), x.negative, x.heroes, x.bloats, ref))
    end
  end
  w()
end

--- The runs left out (no valid OOD length, or a constant G or C).
function S.invalid(w, c)
  local records, opts, summary, p = c.records, c.opts, c.summary, c.p
  local preliminary, seeds_per_task, order, groups = c.preliminary, c.seeds_per_task, c.order, c.groups
  for _, s in ipairs(summary) do
    if #s.invalid_seeds > 0 then
      w(string.format("%s: no valid OOD length (or a constant G or C) for seed(s) %s; those runs are left out of the table above.",
        s.task, table.concat(s.invalid_seeds, ", ")))
      w()
    end
  end
end

--- Table 3: the most frequent Heroes and Bloats.
function S.table3(w, c)
  local records, opts, summary, p = c.records, c.opts, c.summary, c.p
  local preliminary, seeds_per_task, order, groups = c.preliminary, c.seeds_per_task, c.order, c.groups
  w("## Table 3: the most frequent Heroes and Bloats")
  w()
  w("| task | G | Hidden Heroes (runs) | Gradient Bloats (runs) |")
  w("|---|---|---|---|")
  for _, s in ipairs(summary) do
    for _, norm in ipairs(NORMS) do
      local h, b = D.frequencies(records, s.task, norm)
      w(string.format("| %s | %s | %s | %s |", s.task, D.norm_label[norm], D.list_text(h), D.list_text(b)))
    end
  end
  w()
end

--- Tables 2 and 6: pruning the Heroes, then the Bloats, OOD and ID.
function S.pruning(w, c)
  local records, opts, summary, p = c.records, c.opts, c.summary, c.p
  local preliminary, seeds_per_task, order, groups = c.preliminary, c.seeds_per_task, c.order, c.groups
  w("## Tables 2 and 6: pruning (the two Heroes, then the two Bloats, ablated together)")
  w()
  w(string.format("Accuracy change in points against the unablated model, OOD and ID (ID: %s samples of the training lengths with the OOD set's means). Mean over the valid runs that have Heroes (Bloats), with their number n: a run without any is left out, not counted as 0. The paper's figures (v1) are for one seed.",
    tostring(p.id_size or 200)))
  w()
  w("The public code prunes in the seed with the most Heroes + Bloats (its model retrained: with a fixed seed, the same model here); that seed is given too.")
  w()
  w("| task | G | Heroes OOD | Heroes ID | Bloats OOD | Bloats ID | paper's seed: Heroes OOD / Bloats OOD | seed with most H+B: Heroes OOD / Bloats OOD | the paper |")
  w("|---|---|---|---|---|---|---|---|---|")
  local order, groups = D.by_task(records)
  for _, task in ipairs(order) do
    for _, norm in ipairs(NORMS) do
      local acc = { heroes = { ood = {}, id = {} }, bloats = { ood = {}, id = {} } }
      local seedline, most, mostCount = "–", nil, -1
      for _, r in ipairs(groups[task]) do
        if r.valid and r.classes[norm] then
          local n = #r.classes[norm].heroes + #r.classes[norm].bloats
          if n > mostCount then most, mostCount = r, n end
        end
      end
      local mostline = most and most.pruning and most.pruning[norm] and string.format("seed %s (%d): %+.1f / %+.1f", most.seed, mostCount,
        100 * (most.pruning[norm].heroes.ood - most.pruning.baseline.ood), 100 * (most.pruning[norm].bloats.ood - most.pruning.baseline.ood)) or "–"
      for _, r in ipairs(groups[task]) do
        if r.valid and r.pruning and r.pruning[norm] then
          for _, kind in ipairs{ "heroes", "bloats" } do
            if #r.pruning[norm][kind].components > 0 then
              for _, set in ipairs{ "ood", "id" } do
                table.insert(acc[kind][set], 100 * (r.pruning[norm][kind][set] - r.pruning.baseline[set]))
              end
            end
          end
          if PAPER.text[task] and r.seed == PAPER.text[task].seed then
            seedline = string.format("%+.1f / %+.1f", 100 * (r.pruning[norm].heroes.ood - r.pruning.baseline.ood),
              100 * (r.pruning[norm].bloats.ood - r.pruning.baseline.ood))
          end
        end
      end
      local function m(l) local v = D.mean_std(l); return v and string.format("%+.1f (n=%d)", v, #l) or "– (n=0)" end
      local paper = PAPER.text[task]
      w(string.format("| %s | %s | %s | %s | %s | %s | %s | %s | %s |", task, D.norm_label[norm], m(acc.heroes.ood), m(acc.heroes.id),
        m(acc.bloats.ood), m(acc.bloats.id), seedline, mostline, paper and (paper.prune_heroes .. " / " .. paper.prune_bloats) or "–"))
    end
  end
  w()
end

--- Tables 4 and 5: seed by seed (runs.csv past 40 runs).
function S.seeds(w, c)
  local records, opts, summary, p = c.records, c.opts, c.summary, c.p
  local preliminary, seeds_per_task, order, groups = c.preliminary, c.seeds_per_task, c.order, c.groups
  w("## Tables 4 and 5: seed by seed")
  w()
  if #records > 40 then
    w(string.format("%d runs: the seed-by-seed table is `runs.csv` (one line per run, with the bootstrap intervals and classes).", #records))
    w()
  end
  if #records <= 40 then
  w("| task | seed | train steps | OOD N | base acc | ρ raw [95% bootstrap] | ρ per-param [95%] | Heroes (raw) | Bloats (raw) | Heroes (per-param) | Bloats (per-param) |")
  w("|---|---|---|---|---|---|---|---|---|---|---|")
  for _, r in ipairs(records) do
    local function ci(norm)
      local i = r.bootstrap and r.bootstrap.rho_interval[norm]
      return i and string.format(" [%.2f, %.2f]", i[1], i[2]) or ""
    end
    local function cl(norm, k)
      if not (r.classes and r.classes[norm]) then return "–" end
      local l = r.classes[norm][k]
      if #l == 0 then return "none" end
      local stab = r.bootstrap and r.bootstrap[k == "heroes" and "hero_stability" or "bloat_stability"][norm] or {}
      local parts = {}
      for _, c in ipairs(l) do parts[#parts + 1] = stab[c] and string.format("%s (%.0f%%)", c, 100 * stab[c]) or c end
      return table.concat(parts, ", ")
    end
    if r.valid then
      w(string.format("| %s | %s | %s | %s | %s | %s%s | %s%s | %s | %s | %s | %s |", r.task, r.seed, r.train and r.train.steps or "?",
        r.ood.length, D.fmt(r.base_accuracy), D.fmt(r.rho.raw), ci("raw"), D.fmt(r.rho.per_param), ci("per_param"),
        cl("raw", "heroes"), cl("raw", "bloats"), cl("per_param", "heroes"), cl("per_param", "bloats")))
    else
      local accs = {}
      for _, a in ipairs(r.ood.accuracies or {}) do accs[#accs + 1] = string.format("N=%d: %.2f", a.length, a.accuracy) end
      w(string.format("| %s | %s | %s | none | – | %s | | | | | |", r.task, r.seed, r.train and r.train.steps or "?",
        esc(r.note or "invalid") .. (#accs > 0 and " (" .. table.concat(accs, ", ") .. ")" or "")))
    end
  end
  w()
  w("Percentages after a class member: how often it stays in its class when the OOD evaluation set is resampled (bootstrap over samples); the interval after ρ comes from the same resamples.")
  w()
  end
end

--- The estimator ladder (gcgap.ladder), when the records have it.
function S.ladder(w, c)
  local records, opts, summary, p = c.records, c.opts, c.summary, c.p
  local preliminary, seeds_per_task, order, groups = c.preliminary, c.seeds_per_task, c.order, c.groups
  local LD = require "gcgap.ladder"
  if #LD.summary(records, { resamples = 200 }) > 0 then w(LD.markdown(records)) end
end

--- What each measurement choice does to ρ, on the same models.
function S.decomposition(w, c)
  local records, opts, summary, p = c.records, c.opts, c.summary, c.p
  local preliminary, seeds_per_task, order, groups = c.preliminary, c.seeds_per_task, c.order, c.groups
  if opts.decomposition then
    w("## What each measurement choice does to ρ (same trained models)")
    w()
    w("| analysis | " .. table.concat((function() local t = {} for _, task in ipairs(order) do t[#t + 1] = task .. " ρ raw | " .. task .. " ρ per-param" end return t end)(), " | ") .. " |")
    w("|---|" .. string.rep("---|", 2 * #order))
    for _, row in ipairs(opts.decomposition) do
      local cells = {}
      for _, task in ipairs(order) do
        local x = row.summary[task]
        cells[#cells + 1] = x and (D.fmt(x.raw.mean) .. " (n=" .. x.raw.n .. ")") or "–"
        cells[#cells + 1] = x and (D.fmt(x.per_param.mean) .. " (n=" .. x.per_param.n .. ")") or "–"
      end
      w("| " .. row.label .. " | " .. table.concat(cells, " | ") .. " |")
    end
    w()
  end
end

--- The figures, with their captions.
function S.figures(w, c)
  local records, opts, summary, p = c.records, c.opts, c.summary, c.p
  local preliminary, seeds_per_task, order, groups = c.preliminary, c.seeds_per_task, c.order, c.groups
  if opts.figures then
    w("## Figures")
    w()
    for _, f in ipairs(opts.figures) do w(string.format("![%s](%s)", f.caption, f.file)); w() end
  end
end

--- Where this reproduction stands against the paper.
function S.standing(w, c)
  local records, opts, summary, p = c.records, c.opts, c.summary, c.p
  local preliminary, seeds_per_task, order, groups = c.preliminary, c.seeds_per_task, c.order, c.groups
  w("## Where this reproduction stands")
  w()
  for _, s in ipairs(summary) do
    local p = PAPER.text[s.task]
    if p and s.raw.mean then
      if preliminary then
        w(string.format("- %s: mean ρ %.2f with raw G and %.2f with per-param G over %d valid run(s) (preliminary: too few seeds to compare with the paper's 10-seed figures).",
          s.task, s.raw.mean, s.per_param.mean or 0 / 0, s.raw.n))
      else
        w(string.format("- %s: mean ρ %.2f with raw G (paper v1: %s; v3: %s) and %.2f with per-param G (paper v2: %s); %d Heroes and %d Bloats with raw G over %d valid runs (paper v1: %s over 10 seeds).",
          s.task, s.raw.mean, p.rho_v1, p.rho_v3, s.per_param.mean or 0 / 0, p.rho_v2, s.raw.heroes, s.raw.bloats, s.raw.n, p.counts_v1))
      end
    end
  end
  w()
end

--- What every section reads: the records, the options, the summary, the settings the records
-- were made with (a report never re-derives them) and how many seeds each task has.
function M.context(records, opts)
  opts = opts or {}
  local c = { records = records, opts = opts, summary = D.summary(records),
              p = opts.p or (records[1] and records[1].settings) or {} }
  c.seeds_per_task = 0
  for _, x in ipairs(c.summary) do c.seeds_per_task = math.max(c.seeds_per_task, x.runs) end
  c.preliminary = c.seeds_per_task < 10
  c.order, c.groups = D.by_task(records)
  return c
end

--- One section's Markdown (for a report of your own, or a test).
function M.section(name, records, opts)
  local out = {}
  assert(S[name], "no report section '" .. tostring(name) .. "'")(function(x) out[#out + 1] = x or "" end, M.context(records, opts))
  return table.concat(out, "\n")
end

--- The report. opts: title, decomposition (rows), preset, p (settings), seconds, figures
-- (names), verdict (false: none), resamples.
function M.markdown(records, opts)
  local c, out = M.context(records, opts), {}
  local function w(x) out[#out + 1] = x or "" end
  for _, name in ipairs(M.order) do S[name](w, c) end
  return table.concat(out, "\n")
end

return M
