--- gcgap.report: tables and figures from run records (see gcgap.experiment).
--
--   report.summary(records)           per task: ρ mean ± std, range, Hero/Bloat counts
--   report.markdown(records, opts)    the report as Markdown text
--   report.svg_*(...)                 SVG figures (plain text, no dependencies)
--   report.csv(records)               one line per run
local M = {}

-- The paper's figures (docs/protocol.md), to print beside ours.
M.paper = {
  reverse = { rho_v1 = "0.726 ± 0.121, range [0.47, 0.88]", rho_v2 = "0.59", rho_v3 = "0.72", counts_v1 = "7 / 17",
              prune_heroes = "−35.0 pts (seed 2020)", prune_bloats = "−27.0 pts (seed 2020)", seed = 2020 },
  sort = { rho_v1 = "0.318 ± 0.241, range [−0.11, 0.73]", rho_v2 = "0.07 (four seeds negative, min −0.34)",
           rho_v3 = "0.27 (worst seed −0.18)",
           counts_v1 = "33 / 36", prune_heroes = "−32.0 pts (seed 456)", prune_bloats = "+3.5 pts (seed 456)", seed = 456 },
}

local NORMS = { "raw", "per_param" }
M.norm_label = { raw = "raw G (v1)", per_param = "per-param G (v2)" }

local function fmt(v, d)
  if v == nil then return "–" end
  if type(v) ~= "number" then return tostring(v) end
  return string.format("%." .. (d or 3) .. "f", v)
end

local function mean_std(xs)
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
      local m, sd = mean_std(rhos)
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

local function list_text(l, k)
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

-- ---------------------------------------------------------------- SVG

local function esc(s) return (tostring(s):gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;")) end

local function svg(w, h, body, title)
  return string.format('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif" font-size="12">\n<rect width="100%%" height="100%%" fill="white"/>\n<text x="%d" y="20" text-anchor="middle" font-size="14" font-weight="bold">%s</text>\n%s\n</svg>\n',
    w, h, w, h, w / 2, esc(title), table.concat(body, "\n"))
end

local COLORS = { "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b" }

--- Figure 4: ρ per seed, one column of points per task and normalisation.
function M.svg_rho(records, title)
  local order, groups = M.by_task(records)
  local W, H, L, R, T, B = 640, 360, 60, 20, 40, 60
  local body = {}
  local function y(v) return T + (1 - (v + 1) / 2) * (H - T - B) end
  for _, v in ipairs{ -1, -0.5, 0, 0.5, 1 } do
    body[#body + 1] = string.format('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="%s"/>', L, W - R, y(v), y(v), v == 0 and "#888" or "#eee")
    body[#body + 1] = string.format('<text x="%d" y="%.1f" text-anchor="end" dy="4">%.1f</text>', L - 6, y(v), v)
  end
  body[#body + 1] = string.format('<text transform="translate(16,%d) rotate(-90)" text-anchor="middle">Spearman ρ(G, C)</text>', (H - B + T) / 2)
  local cols = #order * 2
  for ti, task in ipairs(order) do
    for ni, norm in ipairs(NORMS) do
      local k = (ti - 1) * 2 + ni
      local x = L + (k - 0.5) * (W - L - R) / cols
      body[#body + 1] = string.format('<text x="%.1f" y="%d" text-anchor="middle">%s</text>', x, H - B + 18, esc(task))
      body[#body + 1] = string.format('<text x="%.1f" y="%d" text-anchor="middle" fill="#555">%s</text>', x, H - B + 34, esc(M.norm_label[norm]))
      local vals = {}
      for j, r in ipairs(groups[task]) do
        if r.valid and r.rho[norm] then
          vals[#vals + 1] = r.rho[norm]
          body[#body + 1] = string.format('<circle cx="%.1f" cy="%.1f" r="4" fill="%s" fill-opacity="0.7"><title>seed %s: %.3f</title></circle>',
            x + (j - (#groups[task] + 1) / 2) * 4, y(r.rho[norm]), COLORS[ni], r.seed, r.rho[norm])
        end
      end
      local m = mean_std(vals)
      if m then
        body[#body + 1] = string.format('<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="black" stroke-width="2"/>', x - 30, x + 30, y(m), y(m))
      end
    end
  end
  return svg(W, H, body, title or "ρ per seed (bar: mean)")
end

--- Figure 1: normalised G against C (each run's G and C scaled to [0, 1]), per task.
function M.svg_scatter(records, task, norm, title)
  local W, H, L, R, T, B = 420, 400, 60, 20, 40, 50
  local body = {}
  local function px(v) return L + v * (W - L - R) end
  local function py(v) return H - B - v * (H - T - B) end
  for _, v in ipairs{ 0, 0.5, 1 } do
    body[#body + 1] = string.format('<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#eee"/>', px(v), px(v), T, H - B)
    body[#body + 1] = string.format('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#eee"/>', L, W - R, py(v), py(v))
    body[#body + 1] = string.format('<text x="%.1f" y="%d" text-anchor="middle">%.1f</text>', px(v), H - B + 16, v)
    body[#body + 1] = string.format('<text x="%d" y="%.1f" text-anchor="end" dy="4">%.1f</text>', L - 6, py(v), v)
  end
  body[#body + 1] = string.format('<text x="%d" y="%d" text-anchor="middle">G (%s), scaled per run</text>', (L + W - R) / 2, H - 12, esc(M.norm_label[norm]))
  body[#body + 1] = string.format('<text transform="translate(16,%d) rotate(-90)" text-anchor="middle">C (accuracy drop), scaled per run</text>', (H - B + T) / 2)
  for _, r in ipairs(records) do
    if r.task == task and r.valid then
      local G, C = r.G[norm], r.C
      local gmin, gmax, cmin, cmax
      for c, g in pairs(G) do
        gmin = math.min(gmin or g, g); gmax = math.max(gmax or g, g)
        cmin = math.min(cmin or C[c], C[c]); cmax = math.max(cmax or C[c], C[c])
      end
      local heroes, bloats = {}, {}
      for _, c in ipairs(r.classes[norm].heroes) do heroes[c] = true end
      for _, c in ipairs(r.classes[norm].bloats) do bloats[c] = true end
      for c, g in pairs(G) do
        local gx = gmax > gmin and (g - gmin) / (gmax - gmin) or 0.5
        local cy = cmax > cmin and (C[c] - cmin) / (cmax - cmin) or 0.5
        local color = heroes[c] and COLORS[2] or bloats[c] and COLORS[5] or COLORS[1]
        body[#body + 1] = string.format('<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s" fill-opacity="0.6"><title>seed %s %s</title></circle>', px(gx), py(cy), color, r.seed, c)
      end
    end
  end
  body[#body + 1] = string.format('<text x="%d" y="%d" fill="%s">● Hidden Hero</text><text x="%d" y="%d" fill="%s">● Gradient Bloat</text><text x="%d" y="%d" fill="%s">● aligned</text>',
    L + 6, T + 14, COLORS[2], L + 6, T + 28, COLORS[5], L + 6, T + 42, COLORS[1])
  return svg(W, H, body, title or (task .. ": G against C"))
end

--- Figure 2: Hero and Bloat counts per layer.
function M.svg_layers(records, norm, n_layers, title)
  local order = M.by_task(records)
  local W, H, L, R, T, B = 560, 350, 50, 20, 40, 70
  local body, counts, maxc = {}, {}, 1
  for _, task in ipairs(order) do
    counts[task] = {}
    for l = 0, n_layers - 1 do counts[task][l] = { h = 0, b = 0 } end
    for _, r in ipairs(records) do
      if r.task == task and r.valid and r.classes[norm] then
        for _, c in ipairs(r.classes[norm].heroes) do local l = tonumber(c:match("^L(%d+)")); counts[task][l].h = counts[task][l].h + 1 end
        for _, c in ipairs(r.classes[norm].bloats) do local l = tonumber(c:match("^L(%d+)")); counts[task][l].b = counts[task][l].b + 1 end
      end
    end
    for l = 0, n_layers - 1 do maxc = math.max(maxc, counts[task][l].h, counts[task][l].b) end
  end
  local groups = #order * n_layers
  local gw = (W - L - R) / groups
  local function py(v) return H - B - v / maxc * (H - T - B) end
  body[#body + 1] = string.format('<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#888"/>', L, W - R, H - B, H - B)
  body[#body + 1] = string.format('<text x="%d" y="%.1f" text-anchor="end" dy="4">%d</text>', L - 6, py(maxc), maxc)
  for ti, task in ipairs(order) do
    for l = 0, n_layers - 1 do
      local x0 = L + ((ti - 1) * n_layers + l) * gw
      local c = counts[task][l]
      body[#body + 1] = string.format('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s L%d heroes %d</title></rect>', x0 + gw * 0.15, py(c.h), gw * 0.33, H - B - py(c.h), COLORS[2], task, l, c.h)
      body[#body + 1] = string.format('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s L%d bloats %d</title></rect>', x0 + gw * 0.52, py(c.b), gw * 0.33, H - B - py(c.b), COLORS[5], task, l, c.b)
      body[#body + 1] = string.format('<text x="%.1f" y="%d" text-anchor="middle">L%d</text>', x0 + gw / 2, H - B + 16, l)
    end
    body[#body + 1] = string.format('<text x="%.1f" y="%d" text-anchor="middle" font-weight="bold">%s</text>', L + ((ti - 1) * n_layers + n_layers / 2) * gw, H - B + 36, esc(task))
  end
  body[#body + 1] = string.format('<text x="%d" y="%d" fill="%s">■ Hidden Heroes</text><text x="%d" y="%d" fill="%s">■ Gradient Bloats</text>', L + 6, H - 8, COLORS[2], L + 130, H - 8, COLORS[5])
  return svg(W, H, body, title or ("Heroes and Bloats per layer (" .. M.norm_label[norm] .. ")"))
end

--- Figure 3: pruning, mean accuracy change (points) on OOD and ID, per task.
function M.svg_pruning(records, norm, title)
  local order = M.by_task(records)
  local W, H, L, R, T, B = 560, 340, 60, 20, 40, 60
  local body, bars, lo, hi = {}, {}, -1, 0.2
  for _, task in ipairs(order) do
    for _, kind in ipairs{ "heroes", "bloats" } do
      for _, set in ipairs{ "ood", "id" } do
        local d, n = 0, 0
        for _, r in ipairs(records) do
          if r.task == task and r.valid and r.pruning and r.pruning[norm] then
            d = d + (r.pruning[norm][kind][set] - r.pruning.baseline[set]); n = n + 1
          end
        end
        bars[#bars + 1] = { task = task, kind = kind, set = set, v = n > 0 and d / n or 0 }
      end
    end
  end
  local function py(v) return T + (hi - v) / (hi - lo) * (H - T - B) end
  for _, v in ipairs{ -1, -0.5, 0 } do
    body[#body + 1] = string.format('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="%s"/>', L, W - R, py(v), py(v), v == 0 and "#888" or "#eee")
    body[#body + 1] = string.format('<text x="%d" y="%.1f" text-anchor="end" dy="4">%+d</text>', L - 6, py(v), math.floor(v * 100))
  end
  body[#body + 1] = string.format('<text transform="translate(16,%d) rotate(-90)" text-anchor="middle">accuracy change (points), mean over runs</text>', (H - B + T) / 2)
  local bw = (W - L - R) / #bars
  for i, b in ipairs(bars) do
    local x = L + (i - 1) * bw
    local y0, y1 = py(0), py(b.v)
    local color = b.kind == "heroes" and COLORS[2] or COLORS[5]
    body[#body + 1] = string.format('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" fill-opacity="%s"><title>%s %s %s %.3f</title></rect>',
      x + bw * 0.15, math.min(y0, y1), bw * 0.7, math.abs(y1 - y0), color, b.set == "ood" and "1" or "0.45", b.task, b.kind, b.set, b.v)
    body[#body + 1] = string.format('<text x="%.1f" y="%d" text-anchor="middle" font-size="10">%s</text>', x + bw / 2, H - B + 14, b.set:upper())
    if i % 4 == 1 then
      body[#body + 1] = string.format('<text x="%.1f" y="%d" text-anchor="middle" font-weight="bold">%s</text>', x + 2 * bw, H - B + 32, esc(b.task))
    end
  end
  body[#body + 1] = string.format('<text x="%d" y="%d" fill="%s">■ ablating the top-2 Heroes</text><text x="%d" y="%d" fill="%s">■ the top-2 Bloats (light: ID)</text>', L + 6, H - 12, COLORS[2], L + 200, H - 12, COLORS[5])
  return svg(W, H, body, title or ("Pruning (" .. M.norm_label[norm] .. ")"))
end

-- ---------------------------------------------------------------- Markdown

--- The report. opts: title, decomposition (rows), preset, seconds, figures (names).
function M.markdown(records, opts)
  opts = opts or {}
  local out = {}
  local function w(s) out[#out + 1] = s or "" end
  local summary = M.summary(records)
  local p = opts.p or {}
  local seeds_per_task = 0
  for _, x in ipairs(summary) do seeds_per_task = math.max(seeds_per_task, x.runs) end
  local preliminary = seeds_per_task < 10
  w("# " .. (opts.title or "The Gradient-Causal Gap, reproduced by gcgap"))
  w()
  w(string.format("Preset `%s`; %d runs. Each run: a model trained as docs/protocol.md says, its OOD length, G over %s batches of %s, C by mean ablation on the OOD evaluation set, ρ, Δ = Rank(G) − Rank(C) with %s ranks, classes at |Δ| %s %s, and pruning.",
    opts.preset or "?", #records, tostring(p.grad and p.grad.batches or 50), tostring(p.grad and p.grad.batch or 64),
    p.ranks or "average", p.strict and ">" or "≥", tostring(p.threshold or 6)))
  if opts.seconds then w(string.format("This report took %.0f s to produce (cached models and runs are reused).", opts.seconds)) end
  w()
  if preliminary then
    w(string.format("**Preliminary: %d seed(s) per task.** The paper's figures come from 10 seeds per task; totals over fewer seeds are not comparable with them and are not set beside them here.", seeds_per_task))
    w()
  end
  if opts.verdict ~= false and not preliminary then
    local V = require "gcgap.verdict"
    w(V.markdown(records, { resamples = opts.resamples or 1000 }))
  end
  w("## Table 1: the gap, per task")
  w()
  w("| task | G | valid runs | mean ρ ± std | range | runs with ρ < 0 | Heroes / Bloats | the paper |")
  w("|---|---|---|---|---|---|---|---|")
  for _, s in ipairs(summary) do
    for _, norm in ipairs(NORMS) do
      local x = s[norm]
      local paper = M.paper[s.task]
      local ref = paper and (norm == "raw" and ("v1: " .. paper.rho_v1 .. (preliminary and "" or ("; H/B " .. paper.counts_v1)) .. "; v3: " .. paper.rho_v3)
                             or ("v2: " .. paper.rho_v2)) or "–"
      w(string.format("| %s | %s | %d of %d | %s ± %s | [%s, %s] | %d | %d / %d | %s |", s.task, M.norm_label[norm], x.n, s.runs,
        fmt(x.mean), fmt(x.std), fmt(x.min, 2), fmt(x.max, 2), x.negative, x.heroes, x.bloats, ref))
    end
  end
  w()
  for _, s in ipairs(summary) do
    if #s.invalid_seeds > 0 then
      w(string.format("%s: no valid OOD length (or a constant G or C) for seed(s) %s; those runs are left out of the table above.",
        s.task, table.concat(s.invalid_seeds, ", ")))
      w()
    end
  end
  w("## Table 3: the most frequent Heroes and Bloats")
  w()
  w("| task | G | Hidden Heroes (runs) | Gradient Bloats (runs) |")
  w("|---|---|---|---|")
  for _, s in ipairs(summary) do
    for _, norm in ipairs(NORMS) do
      local h, b = M.frequencies(records, s.task, norm)
      w(string.format("| %s | %s | %s | %s |", s.task, M.norm_label[norm], list_text(h), list_text(b)))
    end
  end
  w()
  w("## Tables 2 and 6: pruning (the two Heroes, then the two Bloats, ablated together)")
  w()
  w(string.format("Accuracy change in points against the unablated model, OOD and ID (ID: %s samples of the training lengths with the OOD set's means). Mean over the valid runs that have Heroes (Bloats), with their number n: a run without any is left out, not counted as 0. The paper's figures (v1) are for one seed.",
    tostring(p.id_size or 200)))
  w()
  w("The public code prunes in the seed with the most Heroes + Bloats (its model retrained: with a fixed seed, the same model here); that seed is given too.")
  w()
  w("| task | G | Heroes OOD | Heroes ID | Bloats OOD | Bloats ID | paper's seed: Heroes OOD / Bloats OOD | seed with most H+B: Heroes OOD / Bloats OOD | the paper |")
  w("|---|---|---|---|---|---|---|---|---|")
  local order, groups = M.by_task(records)
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
          if M.paper[task] and r.seed == M.paper[task].seed then
            seedline = string.format("%+.1f / %+.1f", 100 * (r.pruning[norm].heroes.ood - r.pruning.baseline.ood),
              100 * (r.pruning[norm].bloats.ood - r.pruning.baseline.ood))
          end
        end
      end
      local function m(l) local v = mean_std(l); return v and string.format("%+.1f (n=%d)", v, #l) or "– (n=0)" end
      local paper = M.paper[task]
      w(string.format("| %s | %s | %s | %s | %s | %s | %s | %s | %s |", task, M.norm_label[norm], m(acc.heroes.ood), m(acc.heroes.id),
        m(acc.bloats.ood), m(acc.bloats.id), seedline, mostline, paper and (paper.prune_heroes .. " / " .. paper.prune_bloats) or "–"))
    end
  end
  w()
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
        r.ood.length, fmt(r.base_accuracy), fmt(r.rho.raw), ci("raw"), fmt(r.rho.per_param), ci("per_param"),
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
  if opts.decomposition then
    w("## What each measurement choice does to ρ (same trained models)")
    w()
    w("| analysis | " .. table.concat((function() local t = {} for _, task in ipairs(order) do t[#t + 1] = task .. " ρ raw | " .. task .. " ρ per-param" end return t end)(), " | ") .. " |")
    w("|---|" .. string.rep("---|", 2 * #order))
    for _, row in ipairs(opts.decomposition) do
      local cells = {}
      for _, task in ipairs(order) do
        local x = row.summary[task]
        cells[#cells + 1] = x and (fmt(x.raw.mean) .. " (n=" .. x.raw.n .. ")") or "–"
        cells[#cells + 1] = x and (fmt(x.per_param.mean) .. " (n=" .. x.per_param.n .. ")") or "–"
      end
      w("| " .. row.label .. " | " .. table.concat(cells, " | ") .. " |")
    end
    w()
  end
  if opts.figures then
    w("## Figures")
    w()
    for _, f in ipairs(opts.figures) do w(string.format("![%s](%s)", f.caption, f.file)); w() end
  end
  w("## Where this reproduction stands")
  w()
  for _, s in ipairs(summary) do
    local p = M.paper[s.task]
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
  return table.concat(out, "\n")
end

return M
