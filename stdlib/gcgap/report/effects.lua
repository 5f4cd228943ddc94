--- gcgap.report.effects: the report's figures of ablation effects: pruning (3), joint Bloat ablations (5), pairwise interactions (6), drawn with gcgap.svg from run
-- records; each returns the SVG text.
local D = require "gcgap.report.data"
local S = require "gcgap.svg"
local PAPER = require "gcgap.paper"
local M = {}
local NORMS = D.norms
local esc, num, signed, svg, add, text, vtext, mark, nice_ticks, linear, yaxis, xaxis, legend_rows, legend, empty_note, spread, diverging, C_RAW, C_PP, C_HERO, C_BLOAT, SEED_COLORS, TASK_STYLE, NORM_SHORT =
  S.esc, S.num, S.signed, S.svg, S.add, S.text, S.vtext, S.mark, S.nice_ticks, S.linear, S.yaxis, S.xaxis, S.legend_rows, S.legend, S.empty_note, S.spread, S.diverging, S.C_RAW, S.C_PP, S.C_HERO, S.C_BLOAT, S.SEED_COLORS, S.TASK_STYLE, S.NORM_SHORT

-- Figure 3's categories: per task, the Heroes' and the Bloats' pruning effect of each valid run
-- (points), the paper's figure for its one seed; the range drawn.
local function pruning_categories(records, norm)
  local order = D.by_task(records)
  local cats, lo, hi = {}, 0, 0
  for _, task in ipairs(order) do
    for _, kind in ipairs{ "heroes", "bloats" } do
      local cat = { task = task, kind = kind, pts = {}, without = 0, nruns = 0 }
      local runs = D.valid_runs(records, task)
      cat.nruns = #runs
      for k, r in ipairs(runs) do
        local pr = r.pruning and r.pruning[norm] and r.pruning[norm][kind]
        local base = r.pruning and r.pruning.baseline and r.pruning.baseline.ood
        if pr and type(pr.ood) == "number" and type(base) == "number" then
          if pr.components and #pr.components > 0 then
            local v = 100 * (pr.ood - base)
            cat.pts[#cat.pts + 1] = { k = k, seed = r.seed, v = v, comps = pr.components }
            lo, hi = math.min(lo, v), math.max(hi, v)
          else cat.without = cat.without + 1 end
        end
      end
      cat.paper = norm == "raw" and PAPER.prune[task] and { v = PAPER.prune[task][kind], seed = PAPER.prune[task].seed } or nil
      if cat.paper then lo, hi = math.min(lo, cat.paper.v), math.max(hi, cat.paper.v) end
      cats[#cats + 1] = cat
    end
  end
  return cats, lo, hi
end

-- One category of Figure 3: its runs, our mean, the paper's mark, the labels below.
local function pruning_category(body, P, sy, cw, i, cat)
  local cx = P.x0 + (i - 0.5) * cw
  local pc, pw = cx - 0.08 * cw, 0.5 * cw
  local color = cat.kind == "heroes" and C_HERO or C_BLOAT
  if i % 2 == 1 and i > 1 then
    add(body, '<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#bbb" stroke-dasharray="4 3"/>', cx - cw / 2, cx - cw / 2, P.y0, P.y1 + 84)
  end
  local vals = {}
  for _, p in ipairs(cat.pts) do
    vals[#vals + 1] = p.v
    local x = pc + spread(p.k, cat.nruns, pw)
    body[#body + 1] = mark(cat.kind == "heroes" and "triangle" or "square", x, sy(p.v), 4, color, "white",
      string.format("%s seed %s: %s %s pts OOD (%s)", cat.task, tostring(p.seed), cat.kind == "heroes" and "Heroes" or "Bloats",
        signed(p.v, 1), table.concat(p.comps, " + ")), 'fill-opacity="0.85"')
    if cat.paper and tostring(p.seed) == tostring(cat.paper.seed) then
      body[#body + 1] = mark("circle", x, sy(p.v), 8, "none", "black")
    end
  end
  local m = D.mean_std(vals)
  if m then
    add(body, '<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="black" stroke-width="2.5"><title>mean %s pts over %d runs</title></line>',
      pc - pw / 2 - 6, pc + pw / 2 + 6, sy(m), sy(m), signed(m, 1), #vals)
  else
    text(body, cx, (P.y0 + P.y1) / 2, "no runs", 'text-anchor="middle" fill="#a00"')
  end
  if cat.paper then
    local x = cx + 0.33 * cw
    body[#body + 1] = mark("diamond", x, sy(cat.paper.v), 5.5, "none", "black",
      string.format("paper v1, %s seed %s: %s pts", cat.task, cat.paper.seed, signed(cat.paper.v, 1)), 'stroke-width="1.6"')
    text(body, x, sy(cat.paper.v) - 10, "paper", 'text-anchor="middle" font-size="10"')
  end
  local y = P.y1 + 18
  text(body, cx, y, cat.kind == "heroes" and "two Heroes" or "two Bloats", string.format('text-anchor="middle" fill="%s" font-weight="bold"', color))
  text(body, cx, y + 15, m and string.format("mean %s, n = %d", signed(m, 1), #vals) or "n = 0", 'text-anchor="middle" font-size="11"')
  if cat.without > 0 then
    text(body, cx, y + 29, string.format("%d run%s without: left out", cat.without, cat.without == 1 and "" or "s"), 'text-anchor="middle" font-size="11" fill="#666"')
  end
  if i % 2 == 1 then
    text(body, cx + cw / 2, y + 50, string.format("%s (%d valid runs)", cat.task, cat.nruns), 'text-anchor="middle" font-weight="bold"')
  end
end

--- Figure 3: pruning, per run: the OOD accuracy change (points) when the two Heroes are
-- ablated together, and when the two Bloats are; the mean per group and n.
function M.svg_pruning(records, norm, title)
  local cats, lo, hi = pruning_categories(records, norm)
  local W, H = 720, 500
  local P = { x0 = 70, x1 = W - 16, y0 = 62, y1 = H - 146 }
  local body = {}
  local ticks, a, b, dec = nice_ticks(lo - 3, hi + 3, 6)
  local sy = linear(a, b, P.y1, P.y0)
  yaxis(body, P, ticks, dec, sy, "OOD accuracy change (points)", function(v) return signed(v, dec) end)
  add(body, '<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#333"/>', P.x0, P.x1, P.y1, P.y1)
  if #cats == 0 then empty_note(body, P, "no runs") end
  local cw = (P.x1 - P.x0) / math.max(#cats, 1)
  for i, cat in ipairs(cats) do pruning_category(body, P, sy, cw, i, cat) end
  local items = {
    { label = "one run: the two Heroes ablated together", color = C_HERO, shape = "triangle" },
    { label = "one run: the two Bloats ablated together", color = C_BLOAT, shape = "square" },
    { label = "mean over runs", color = "black", shape = "bar" },
  }
  if norm == "raw" then
    items[#items + 1] = { label = "paper v1 (one seed: reverse 2020, sort 456)", color = "black", shape = "diamond", hollow = true }
    items[#items + 1] = { label = "our run with that seed", color = "black", shape = "circle", hollow = true }
  end
  legend(body, P.x0 - 40, H - 12 - 18 * (legend_rows(items, W - P.x0 + 20) - 1), W - P.x0 + 20, items)
  return svg(W, H, body, title or ("Pruning (" .. D.norm_label[norm] .. "): OOD accuracy change per run"),
    "up to two Heroes (Bloats) per run, as its preset picks them, mean-ablated together")
end

--- v3's super-additivity: per run, the effect of ablating all its (raw-G) Bloats together
-- against the sum of their single ablation effects, with y = x and y = 14x.
-- Figure 5's points: per run with a joint Bloat ablation, the sum of singles (x) and the joint
-- effect (y) in points; the extents (from 0 and 1), the pooled sums, and the runs with sum ≤ 0.
local function joint_points(records)
  local pts, ext = {}, { xlo = 0, xhi = 1, ylo = 0, yhi = 1 }
  local sj, ss, nonpos = 0, 0, 0
  for _, r in ipairs(records) do
    local j = r.joint and r.joint.raw and r.joint.raw.bloats
    if j and type(j.joint) == "number" and type(j.sum) == "number" then
      local p = { r = r, x = 100 * j.sum, y = 100 * j.joint, n = j.components and #j.components or 0, ratio = j.ratio }
      pts[#pts + 1] = p
      ext.xlo, ext.xhi, ext.ylo, ext.yhi = math.min(ext.xlo, p.x), math.max(ext.xhi, p.x), math.min(ext.ylo, p.y), math.max(ext.yhi, p.y)
      sj, ss = sj + j.joint, ss + j.sum
      if j.sum <= 0 then nonpos = nonpos + 1 end
    end
  end
  if #pts == 0 then ext.xhi, ext.yhi = 10, 10 end
  return pts, ext, sj, ss, nonpos
end

-- y = x and y = 14x, clipped to the plot, each labelled where it leaves it.
local function joint_reference_lines(body, P, sx, sy, xa, xb, ya, yb)
  add(body, '<clipPath id="joint-plot"><rect x="%.1f" y="%.1f" width="%.1f" height="%.1f"/></clipPath>', P.x0, P.y0, P.x1 - P.x0, P.y1 - P.y0)
  for _, k in ipairs{ 1, 14 } do
    add(body, '<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s" stroke-width="1.6"%s clip-path="url(#joint-plot)"/>',
      sx(xa), sx(xb), sy(k * xa), sy(k * xb), k == 1 and "#555" or "#b00", k == 14 and ' stroke-dasharray="7 4"' or "")
    -- its label where it leaves the plot at the top (or the right)
    local lx, ly = yb / k, yb
    if lx > xb then lx, ly = xb, k * xb end
    if lx >= xa and ly >= ya then
      text(body, sx(lx) - 6, sy(ly) + 14, k == 1 and "y = x (additive)" or "y = 14x (v3)",
        string.format('text-anchor="end" font-size="11" fill="%s"', k == 1 and "#555" or "#b00"))
    end
  end
end

-- The legend on the right: tasks with their counts, the two lines, and a note.
local function joint_legend(body, P, order, pts, style, nonpos)
  local lx, ly = P.x1 + 20, P.y0 + 8
  local items = {}
  for _, task in ipairs(order) do
    local n = 0
    for _, p in ipairs(pts) do if p.r.task == task then n = n + 1 end end
    items[#items + 1] = { label = string.format("%s (n = %d)", task, n), color = style[task][1], shape = style[task][2] }
  end
  items[#items + 1] = { label = "y = x: additive", color = "#555", shape = "line" }
  items[#items + 1] = { label = "y = 14x: v3's claim", color = "#b00", shape = "line", dash = "7 4" }
  text(body, lx, ly, "one mark per run", 'font-weight="bold"')
  for i, it in ipairs(items) do legend(body, lx, ly + 18 * i, 170, { it }) end
  local note = { "labels: seeds", "above y = x: together they do", "more than their singles", "summed (super-additive)" }
  if nonpos > 0 then
    note[#note + 1] = ""
    note[#note + 1] = string.format("%d run%s with sum ≤ 0:", nonpos, nonpos == 1 and "" or "s")
    note[#note + 1] = "ratio undefined there"
  end
  for i, s in ipairs(note) do text(body, lx, ly + 18 * (#items + 1) + 14 * i, s, 'font-size="11" fill="#555"') end
end

function M.svg_joint(records, title)
  local order = D.by_task(records)
  local pts, ext, sj, ss, nonpos = joint_points(records)
  local W, H = 720, 560
  local P = { x0 = 76, x1 = 520, y0 = 62, y1 = H - 76 }
  local body = {}
  local function pad(lo, hi) local d = 0.03 * (hi - lo); return lo < 0 and lo - d or lo, hi + d end
  local x0, x1 = pad(ext.xlo, ext.xhi)
  local y0, y1 = pad(ext.ylo, ext.yhi)
  local xt, xa, xb, xd = nice_ticks(x0, x1, 6)
  local yt, ya, yb, yd = nice_ticks(y0, y1, 6)
  local sx, sy = linear(xa, xb, P.x0, P.x1), linear(ya, yb, P.y1, P.y0)
  xaxis(body, P, xt, xd, sx, "sum of the Bloats' single ablation effects (OOD accuracy drop, points)")
  yaxis(body, P, yt, yd, sy, "effect of ablating them together (points)")
  add(body, '<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#333"/>', P.x0, P.x1, P.y0, P.y0)
  add(body, '<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#333"/>', P.x1, P.x1, P.y0, P.y1)
  joint_reference_lines(body, P, sx, sy, xa, xb, ya, yb)
  local style = {}
  for i, task in ipairs(order) do style[task] = TASK_STYLE[(i - 1) % #TASK_STYLE + 1] end
  for _, p in ipairs(pts) do
    local st = style[p.r.task]
    body[#body + 1] = mark(st[2], sx(p.x), sy(p.y), 4.5, st[1], "white",
      string.format("%s seed %s: %d Bloats, together %s pts, sum of singles %s pts, ratio %s", p.r.task, tostring(p.r.seed), p.n,
        num(p.y, 1), num(p.x, 1), p.ratio and num(p.ratio, 2) or "–"))
    if #pts <= 40 then text(body, sx(p.x) + 7, sy(p.y) - 5, tostring(p.r.seed), string.format('font-size="10" fill="%s"', st[1])) end
  end
  if #pts == 0 then empty_note(body, P, "no run with ≥ 2 raw-G Bloats and a joint ablation") end
  joint_legend(body, P, order, pts, style, nonpos)
  local sub = #pts > 0 and string.format("all raw-G Bloats of each run (runs with ≥ 2); pooled ratio Σ together / Σ sum = %s over n = %d runs",
    ss ~= 0 and num(sj / ss, 2) or "–", #pts) or "no run has a joint Bloat ablation (≥ 2 raw-G Bloats)"
  return svg(W, H, body, title or "Ablating the Bloats together against the sum of their single effects", sub)
end


-- Figure 6's data: the valid runs with a matrix, its components, the mean interaction of
-- each pair in points (sum and count), and the largest |mean| off the diagonal.
local function interaction_means(records, task)
  local runs, comps = {}, nil
  for _, r in ipairs(D.valid_runs(records, task)) do
    local I = r.interactions
    if I and type(I.matrix) == "table" and type(I.components) == "table" and #I.components > 0 then
      runs[#runs + 1] = r
      comps = comps or I.components
    end
  end
  comps = comps or {}
  local n = #comps
  local sum, cnt, vmax = {}, {}, 0
  for _, a in ipairs(comps) do
    sum[a], cnt[a] = {}, {}
    for _, b in ipairs(comps) do
      sum[a][b], cnt[a][b] = 0, 0
      for _, r in ipairs(runs) do
        local v = r.interactions.matrix[a] and r.interactions.matrix[a][b]
        if type(v) == "number" then sum[a][b], cnt[a][b] = sum[a][b] + 100 * v, cnt[a][b] + 1 end
      end
      if a ~= b and cnt[a][b] > 0 then vmax = math.max(vmax, math.abs(sum[a][b] / cnt[a][b])) end
    end
  end
  return runs, comps, sum, cnt, vmax
end

-- Figure 6's colour bar, symmetric around 0 up to `top`, with its ticks and words.
local function interaction_colour_bar(body, G0x, G0y, size, top, ticks, dec)
  local bx, bw = G0x + size + 40, 18
  local steps = 60
  for k = 0, steps - 1 do
    local v = top * (1 - 2 * (k + 0.5) / steps)
    add(body, '<rect x="%d" y="%.2f" width="%d" height="%.2f" fill="%s"/>', bx, G0y + k * size / steps, bw, size / steps + 0.3, diverging(v / top))
  end
  add(body, '<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#333"/>', bx, G0y, bw, size)
  local sb = linear(-top, top, G0y + size, G0y)
  local bt = {}
  for i = #ticks, 2, -1 do bt[#bt + 1] = -ticks[i] end
  for _, v in ipairs(ticks) do bt[#bt + 1] = v end
  for _, v in ipairs(bt) do
    add(body, '<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#333"/>', bx + bw, bx + bw + 5, sb(v), sb(v))
    text(body, bx + bw + 8, sb(v) + 4, signed(v, dec), 'font-size="11"')
  end
  vtext(body, bx + bw + 62, G0y + size / 2, "interaction (OOD accuracy points)")
  text(body, bx + bw / 2, G0y - 26, "synergy", 'text-anchor="middle" font-size="11" fill="#b2182b"')
  text(body, bx + bw / 2, G0y - 12, "(> 0)", 'text-anchor="middle" font-size="11" fill="#b2182b"')
  text(body, bx + bw / 2, G0y + size + 16, "redundancy", 'text-anchor="middle" font-size="11" fill="#2166ac"')
  text(body, bx + bw / 2, G0y + size + 30, "(< 0)", 'text-anchor="middle" font-size="11" fill="#2166ac"')
end

--- The pairwise interaction matrix of one task, mean over its valid runs (points):
-- effect(a and b ablated together) − effect(a) − effect(b).
function M.svg_interactions(records, task, title)
  local runs, comps, sum, cnt, vmax = interaction_means(records, task)
  local n = #comps
  local W, H = 720, 660
  local G0x, G0y, size = 96, 118, 440
  local cell = size / math.max(n, 1)
  local body = {}
  local ticks, _, top, dec = nice_ticks(0, vmax > 0 and vmax or 10, 4)
  if n == 0 then
    add(body, '<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#333"/>', G0x, G0y, size, size)
    empty_note(body, { x0 = G0x, x1 = G0x + size, y0 = G0y, y1 = G0y + size }, "no valid runs of " .. tostring(task) .. " with an interaction matrix")
  end
  for i, a in ipairs(comps) do
    for j, b in ipairs(comps) do
      local x, y = G0x + (j - 1) * cell, G0y + (i - 1) * cell
      if a == b then
        add(body, '<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#d9d9d9"><title>%s: diagonal (0 by definition)</title></rect>', x, y, cell, cell, esc(a))
      elseif cnt[a][b] > 0 then
        local v = sum[a][b] / cnt[a][b]
        add(body, '<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s × %s: %s pts (mean of %d runs)</title></rect>',
          x, y, cell, cell, diverging(v / top), esc(a), esc(b), signed(v, 1), cnt[a][b])
      else
        add(body, '<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="white" stroke="#ccc"><title>%s × %s: no value</title></rect>', x, y, cell, cell, esc(a), esc(b))
      end
    end
    text(body, G0x - 6, G0y + (i - 0.5) * cell + 4, a, 'text-anchor="end" font-size="11"')
    add(body, '<text transform="translate(%.1f,%.1f) rotate(-90)" font-size="11">%s</text>', G0x + (i - 0.5) * cell + 4, G0y - 6, esc(a))
  end
  -- layer boundaries
  for i = 2, n do
    if tostring(comps[i]):match("^(L%d+)") ~= tostring(comps[i - 1]):match("^(L%d+)") then
      local p = (i - 1) * cell
      add(body, '<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#333" stroke-width="1.2"/>', G0x + p, G0x + p, G0y, G0y + size)
      add(body, '<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#333" stroke-width="1.2"/>', G0x, G0x + size, G0y + p, G0y + p)
    end
  end
  if n > 0 then add(body, '<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#333"/>', G0x, G0y, size, size) end
  vtext(body, 24, G0y + size / 2, "component a")
  text(body, G0x + size / 2, G0y + size + 22, "component b", 'text-anchor="middle"')
  interaction_colour_bar(body, G0x, G0y, size, top, ticks, dec)
  local y = G0y + size + 48
  text(body, 20, y, "interaction(a, b) = effect of ablating a and b together − effect(a) − effect(b) (OOD accuracy drop, mean ablation);", 'font-size="11" fill="#444"')
  text(body, 20, y + 15, "grey diagonal: 0 by definition; lines: layer boundaries. An effect cannot exceed the base accuracy, so when", 'font-size="11" fill="#444"')
  text(body, 20, y + 30, "effect(a) + effect(b) exceeds it the interaction is negative whatever the circuit does.", 'font-size="11" fill="#444"')
  local sub = #runs > 0 and string.format("mean over n = %d valid run%s; largest |mean| off the diagonal %s points", #runs, #runs == 1 and "" or "s", num(vmax, 1))
    or "n = 0 runs with an interaction matrix"
  return svg(W, H, body, title or (tostring(task) .. ": pairwise interactions of the components"), sub)
end

-- ---------------------------------------------------------------- Markdown

return M
