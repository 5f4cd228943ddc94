-- gcgap.ladder: which attribution methods predict causal importance?
--
--   local ladder = require "gcgap.ladder"
--   local r = gcgap.score.ladder(m, set, {source = other_set})   -- every estimator, four metrics
--   local rho = ladder.rhos(r, {G = {raw = G}})                 -- ρ of each with exact mean-ablation C
--   print(ladder.table(rho))                                     -- one model, as Markdown
--   ladder.summary(records), ladder.markdown(records), ladder.svg(records)   -- across runs
--
-- Every ρ is Spearman's, over the 20 components, of an estimate against the exact
-- mean-ablation C under the same metric (the paper's C is the column "accuracy").

local gc = require "gcgap.core"
-- records are checked before they are read (their structure: the ladder reads r.ladder, and
-- skips runs without one)
local function check(records, who) return require("gcgap.report.data").check(records, who, {}) end

local L = {}

L.metrics = require("gcgap.core").ladder_metrics -- (GCCore's Metric.ladderDefault: one list)

--- The rows of the panel: estimators, then the other exact ablations.
L.rows = {
  { key = "G_raw", label = "G raw: ‖∂L/∂W‖ (v1, v3)", kind = "estimator", cost = "50 fwd+bwd (training batches)" },
  { key = "G_per_param", label = "G per-param: RMS ∂L/∂W (v2)", kind = "estimator", cost = "same passes as G raw" },
  { key = "taylor", label = "gradient × weight: |⟨∂L/∂W, W⟩|", kind = "estimator", cost = "same passes as G raw" },
  { key = "gate", label = "gate gradient (first order, zero ablation)", kind = "estimator", cost = "1 fwd + 1 bwd" },
  { key = "attribution", label = "attribution patching (first order, mean ablation)", kind = "estimator", cost = "1 fwd + 1 bwd" },
  { key = "integrated", label = "integrated gradients (joint path to the means)", kind = "estimator", cost = "k fwd + k bwd" },
  { key = "shapley", label = "Shapley sampling (mean ablation)", kind = "estimator", cost = "20 fwd per permutation" },
  { key = "exact_zero", label = "exact zero ablation", kind = "exact", cost = "21 fwd" },
  { key = "exact_resample", label = "exact resample ablation", kind = "exact", cost = "21 fwd" },
}

local function spearman(a, b)
  if type(a) ~= "table" or type(b) ~= "table" then return nil end
  local ok, r = pcall(gc.stats.spearman, a, b)
  return ok and r or nil
end

--- ρ of every estimator and exact variant with exact mean-ablation C, per metric, for
-- one ladder result (`gcgap.score.ladder`'s table). `r.G` ({raw=, per_param=}) and
-- `r.taylor` add the weight-gradient rows when present. Also: `metric_choice[metric]`, ρ of
-- exact mean-ablation C under `metric` with the paper's (accuracy); `completeness[metric]`,
-- IG's completeness error relative to the joint effect. KL's first derivative is zero at
-- the clean run, so its gate and attribution rows are absent (nil), not noise.
function L.rhos(r)
  local out = { metric_choice = {}, completeness = {} }
  for _, row in ipairs(L.rows) do out[row.key] = {} end
  local mean = r.exact and r.exact.mean or {}
  for _, metric in ipairs(r.metrics or L.metrics) do
    local C = mean[metric]
    if C then
      if r.G then
        out.G_raw[metric] = spearman(r.G.raw, C)
        out.G_per_param[metric] = spearman(r.G.per_param, C)
      end
      out.taylor[metric] = spearman(r.taylor, C)
      if metric ~= "kl" then
        out.gate[metric] = spearman(r.gate and r.gate[metric], C)
        out.attribution[metric] = spearman(r.attribution and r.attribution[metric], C)
      end
      out.integrated[metric] = spearman(r.integrated and r.integrated[metric], C)
      out.shapley[metric] = spearman(r.shapley and r.shapley[metric], C)
      out.exact_zero[metric] = spearman(r.exact.zero and r.exact.zero[metric], C)
      out.exact_resample[metric] = spearman(r.exact.resample and r.exact.resample[metric], C)
      out.metric_choice[metric] = spearman(C, mean.accuracy)
      local c = r.completeness and r.completeness[metric]
      if c and c.total and c.total ~= 0 then out.completeness[metric] = c.error / math.abs(c.total) end
    end
  end
  return out
end

local function fmt(v, d) return require("gcgap.report.data").fmt(v, d or 2) end   -- (two decimals unless told)

--- One model's panel as a Markdown table (rows: estimators; columns: metrics).
function L.table(rho)
  local out = { "| estimate | " .. table.concat(L.metrics, " | ") .. " |", "|---|" .. string.rep("---|", #L.metrics) }
  for _, row in ipairs(L.rows) do
    local cells = {}
    for _, metric in ipairs(L.metrics) do cells[#cells + 1] = fmt(rho[row.key] and rho[row.key][metric]) end
    out[#out + 1] = "| " .. row.label:gsub("|", "\\|") .. " | " .. table.concat(cells, " | ") .. " |"
  end
  return table.concat(out, "\n")
end

local function valid_runs(records, task)
  local out = {}
  for _, r in ipairs(records) do
    if r.valid and r.ladder and r.ladder.rho and (task == nil or r.task == task) then out[#out + 1] = r end
  end
  return out
end

-- mean with a 95% percentile bootstrap interval over runs (seeded, reproducible)
local mean_ci = require("gcgap.resampling").mean_ci

--- Across runs, per task: for each row and metric, the mean ρ with a 95% bootstrap interval
-- over runs and n; also metric_choice and IG's completeness error (median |relative|).
function L.summary(records, opts)
  check(records, "ladder.summary")
  opts = opts or {}
  if opts.resamples ~= nil then require("gcgap.resampling").check_resamples(opts.resamples, "summary", 2, "option 'resamples'") end
  local tasks, seen = {}, {}
  for _, r in ipairs(records) do
    if not seen[r.task] then seen[r.task] = true; tasks[#tasks + 1] = r.task end
  end
  local out = {}
  for _, task in ipairs(tasks) do
    local runs = valid_runs(records, task)
    if #runs > 0 then
      local s = { task = task, runs = #runs, rows = {}, metric_choice = {}, completeness = {}, seconds = {} }
      for _, row in ipairs(L.rows) do
        s.rows[row.key] = {}
        for _, metric in ipairs(L.metrics) do
          local xs = {}
          for _, r in ipairs(runs) do
            local v = r.ladder.rho[row.key] and r.ladder.rho[row.key][metric]
            if type(v) == "number" then xs[#xs + 1] = v end
          end
          s.rows[row.key][metric] = mean_ci(xs, opts.resamples)
        end
      end
      for _, metric in ipairs(L.metrics) do
        local xs, es = {}, {}
        for _, r in ipairs(runs) do
          local v = r.ladder.rho.metric_choice and r.ladder.rho.metric_choice[metric]
          if type(v) == "number" then xs[#xs + 1] = v end
          local e = r.ladder.rho.completeness and r.ladder.rho.completeness[metric]
          if type(e) == "number" then es[#es + 1] = math.abs(e) end
        end
        s.metric_choice[metric] = mean_ci(xs, opts.resamples)
        table.sort(es)
        s.completeness[metric] = #es > 0 and es[(#es + 1) // 2] or nil
      end
      local secs = {}
      for _, r in ipairs(runs) do
        local t = 0
        for k, v in pairs(r.ladder.seconds or {}) do if k ~= "shapley" then t = t + v end end
        secs[#secs + 1] = t
      end
      table.sort(secs)
      s.median_seconds = secs[(#secs + 1) // 2]
      out[#out + 1] = s
    end
  end
  return out
end

-- a label inside a Markdown table cell: its bars escaped
local function md(s) return (s:gsub("|", "\\|")) end

local function cell(x)
  if not x then return "–" end
  if not x.lo then return fmt(x.mean) .. " (n=" .. x.n .. ")" end
  return string.format("%s [%s, %s]", fmt(x.mean), fmt(x.lo), fmt(x.hi))
end

local function m(s, key, metric)
  local x = s.rows[key] and s.rows[key][metric]
  return x and x.mean
end

-- Where agreement breaks, in numbers: quantity, non-linearity, interaction, and the
-- choices of ablation and metric. Each sentence's conclusion follows from the numbers it gives.
local function findings(s)
  local f = {}
  local g, ap, gate = m(s, "G_raw", "loss"), m(s, "attribution", "loss"), m(s, "gate", "loss")
  local ig, sh = m(s, "integrated", "loss"), m(s, "shapley", "loss")
  if g and ap then
    local verdict
    if ap - g > 0.1 then
      verdict = "Much of G's gap is the quantity: ‖∂L/∂W‖ is not the derivative of the ablation's effect, and the derivative that is agrees better."
    elseif g - ap > 0.1 then
      verdict = "G agrees better than the first-order estimate of the ablation itself, so G's agreement does not come from gradients linearising ablations; G tracks C through another route (weight scale, layer position)."
    else
      verdict = "The quantity does not separate them here: the right derivative agrees no better than G."
    end
    f[#f + 1] = string.format("**Quantity.** Under the loss, ρ with exact C is %s for the weight-gradient norm G and %s for attribution patching, the derivative along the ablation itself (gate gradient, toward zero: %s). %s",
      fmt(g), fmt(ap), fmt(gate), verdict)
  end
  if ap and ig then
    local verdict
    if ig - ap > 0.1 then
      verdict = "Following the path instead of its tangent recovers agreement: the first-order estimate fails because the model is non-linear along the ablation (a confident, saturated softmax has almost no gradient, yet the ablation flips it)."
    elseif ap - ig > 0.1 then
      verdict = "The path integral agrees worse than the tangent: credit in the joint ablation differs from each component's effect alone, a sign of interaction."
    else
      verdict = "Integrating along the path changes little."
    end
    f[#f + 1] = string.format("**Non-linearity.** First order agrees with exact mean ablation to ρ = %s (loss) and %s (margin); for the KL the first derivative is zero at the clean run, so first order carries no information there. Integrated gradients along the joint path reach ρ = %s (loss) and %s (margin). %s",
      fmt(ap), fmt(m(s, "attribution", "margin")), fmt(ig), fmt(m(s, "integrated", "margin")), verdict)
  end
  if ig then
    f[#f + 1] = string.format("**Interaction.** Integrated gradients and Shapley values share out the effect of ablating every component at once (IG's completeness error is in the line above), not each component's effect alone; %s Single-ablation C misses what redundant components do together (see the joint ablations of the Bloats).",
      sh and string.format("Shapley sampling reaches ρ = %s with single-ablation C under the loss.", fmt(sh))
        or "Shapley sampling was not run (preset field ladder.shapley = permutations).")
  end
  local z, rs = m(s, "exact_zero", "accuracy"), m(s, "exact_resample", "accuracy")
  local mc = s.metric_choice.loss and s.metric_choice.loss.mean
  if z or rs then
    f[#f + 1] = string.format("**Ablation and metric.** Exact C itself moves with the choices: zero ablation ranks components with ρ = %s against mean ablation (exact match), resample ablation %s, and mean-ablation C under the loss %s against the paper's exact-match C. No estimator can be judged more finely than C's own variants agree with each other.",
      fmt(z), fmt(rs), fmt(mc))
  end
  return f
end

--- The report section: per task, the panel across runs, and where agreement breaks.
function L.markdown(records, opts)
  check(records, "ladder.markdown")
  local summary = L.summary(records, opts)
  local out = {}
  local function w(x) out[#out + 1] = x or "" end
  w("## The estimator ladder: which cheap estimate predicts causal importance?")
  w()
  if #summary == 0 then
    w("No run has an estimator ladder (preset field `ladder`).")
    w()
    return table.concat(out, "\n")
  end
  w("Each cell: Spearman ρ over the 20 components between the row's estimate and **exact mean-ablation C under the column's metric** (the paper's C is the column `accuracy`), the mean over runs with a 95% bootstrap interval over runs. Gradient estimators of exact match differentiate the loss. Estimates are oriented as damage (larger = more important).")
  w()
  for _, s in ipairs(summary) do
    w(string.format("### %s (%d run%s; ladder %.1f s per model, median)", s.task, s.runs, s.runs == 1 and "" or "s", s.median_seconds or 0 / 0))
    w()
    w("| estimate | cost | " .. table.concat(L.metrics, " | ") .. " |")
    w("|---|---|" .. string.rep("---|", #L.metrics))
    for _, row in ipairs(L.rows) do
      local any = false
      for _, metric in ipairs(L.metrics) do if s.rows[row.key][metric] then any = true end end
      if any then
        local cells = {}
        for _, metric in ipairs(L.metrics) do
          cells[#cells + 1] = (row.key == "gate" or row.key == "attribution") and metric == "kl" and "0 by construction"
            or cell(s.rows[row.key][metric])
        end
        w("| " .. md(row.label) .. " | " .. row.cost .. " | " .. table.concat(cells, " | ") .. " |")
      end
    end
    local mc = {}
    for _, metric in ipairs(L.metrics) do mc[#mc + 1] = cell(s.metric_choice[metric]) end
    w("| exact mean ablation under this metric, against the paper's (exact match) | 21 fwd | " .. table.concat(mc, " | ") .. " |")
    w()
    local ce = {}
    for _, metric in ipairs(L.metrics) do
      if s.completeness[metric] and metric ~= "accuracy" then ce[#ce + 1] = metric .. " " .. string.format("%.2g", s.completeness[metric]) end
    end
    if #ce > 0 then
      w("Integrated gradients' completeness error (|Σ IG − joint effect| / |joint effect|, median over runs): " .. table.concat(ce, ", ") .. ".")
      w()
    end
    for _, x in ipairs(findings(s)) do w("- " .. x) end
    w()
  end
  return table.concat(out, "\n")
end

-- the report's RdBu colours for ρ in [-1, 1]
local colour = require("gcgap.svg").diverging

local function esc(s) return (tostring(s):gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;")) end

--- The panel as an SVG figure: per task a grid (rows: estimates; columns: metrics), each
-- cell coloured by mean ρ with exact mean-ablation C, its value and interval written in.
function L.svg(records, title)
  check(records, "ladder.svg")
  local summary = L.summary(records)
  local rows = {}
  for _, row in ipairs(L.rows) do
    for _, s in ipairs(summary) do
      local any = false
      for _, metric in ipairs(L.metrics) do if s.rows[row.key][metric] then any = true end end
      if any then rows[#rows + 1] = row break end
    end
  end
  rows[#rows + 1] = { key = "metric_choice", label = "exact mean ablation vs exact match C" }
  local labelW, cw, ch, gap = 330, 92, 34, 40
  local W = labelW + #summary * (#L.metrics * cw + gap) + 20
  local H = 90 + #rows * ch + 60
  local b = {}
  local function add(f, ...) b[#b + 1] = string.format(f, ...) end
  add('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif">', W, H, W, H)
  add('<rect width="100%%" height="100%%" fill="white"/>')
  add('<text x="%d" y="24" font-size="16" font-weight="bold">%s</text>', 12,
    esc(title or "Which estimate predicts causal importance? ρ with exact mean-ablation C, per metric"))
  add('<text x="%d" y="44" font-size="12" fill="#444">%s</text>', 12,
    esc("mean Spearman ρ over runs [95% bootstrap interval over runs]; blue < 0 < red; KL's first-order estimates are 0 by construction"))
  for k, s in ipairs(summary) do
    local x0 = labelW + (k - 1) * (#L.metrics * cw + gap)
    add('<text x="%d" y="70" font-size="13" font-weight="bold" text-anchor="middle">%s (%d run%s)</text>',
      x0 + #L.metrics * cw // 2, esc(s.task), s.runs, s.runs == 1 and "" or "s")
    for j, metric in ipairs(L.metrics) do
      add('<text x="%d" y="86" font-size="11" text-anchor="middle">%s</text>', x0 + (j - 1) * cw + cw // 2, esc(metric))
    end
    for i, row in ipairs(rows) do
      local y = 92 + (i - 1) * ch
      if k == 1 then
        add('<text x="%d" y="%d" font-size="11" text-anchor="end">%s</text>', labelW - 8, y + ch // 2 + 4, esc(row.label))
      end
      for j, metric in ipairs(L.metrics) do
        local x = x0 + (j - 1) * cw
        local v = row.key == "metric_choice" and s.metric_choice[metric] or (s.rows[row.key] and s.rows[row.key][metric])
        local fill, txt, sub = "#eeeeee", "–", ""
        if (row.key == "gate" or row.key == "attribution") and metric == "kl" then
          txt = "0"
          sub = "flat"
        elseif v then
          fill, txt = colour(v.mean), fmt(v.mean)
          sub = v.lo and string.format("[%s, %s]", fmt(v.lo), fmt(v.hi)) or ("n=" .. v.n)
        end
        add('<rect x="%d" y="%d" width="%d" height="%d" fill="%s" stroke="white"><title>%s</title></rect>', x, y, cw, ch, fill,
          esc(string.format("%s, %s, %s: %s %s", s.task, row.label, metric, txt, sub)))
        add('<text x="%d" y="%d" font-size="12" text-anchor="middle">%s</text>', x + cw // 2, y + 15, esc(txt))
        add('<text x="%d" y="%d" font-size="9" text-anchor="middle" fill="#333">%s</text>', x + cw // 2, y + 28, esc(sub))
      end
    end
  end
  add('</svg>')
  return table.concat(b, "\n")
end

return L
