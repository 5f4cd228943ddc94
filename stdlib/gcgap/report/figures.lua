--- gcgap.report.figures: the report's figures of scores: ρ per run (4), G against C (1), classes per layer (2), drawn with gcgap.svg from run
-- records; each returns the SVG text.
local D = require "gcgap.report.data"
local S = require "gcgap.svg"
local PAPER = require "gcgap.paper"
local M = {}
local NORMS = D.norms
local esc, num, signed, svg, add, text, vtext, mark, nice_ticks, linear, yaxis, xaxis, legend_rows, legend, empty_note, spread, diverging, C_RAW, C_PP, C_HERO, C_BLOAT, SEED_COLORS, TASK_STYLE, NORM_SHORT =
  S.esc, S.num, S.signed, S.svg, S.add, S.text, S.vtext, S.mark, S.nice_ticks, S.linear, S.yaxis, S.xaxis, S.legend_rows, S.legend, S.empty_note, S.spread, S.diverging, S.C_RAW, S.C_PP, S.C_HERO, S.C_BLOAT, S.SEED_COLORS, S.TASK_STYLE, S.NORM_SHORT

-- Figure 4's columns: per task and normalisation, each valid run's ρ with its interval, and
-- the paper's means; the lowest value drawn; the count of runs per task.
local function rho_columns(records)
  local order = D.by_task(records)
  local cols, lo, all = {}, 0, {}
  for _, r in ipairs(records) do all[r.task] = (all[r.task] or 0) + 1 end
  for _, task in ipairs(order) do
    local runs = D.valid_runs(records, task)
    for _, norm in ipairs(NORMS) do
      local col = { task = task, norm = norm, pts = {}, runs = #runs, paper = PAPER.rho[task] and PAPER.rho[task][norm] or {} }
      for k, r in ipairs(runs) do
        local v = r.rho and r.rho[norm]
        if type(v) == "number" then
          local iv = r.bootstrap and r.bootstrap.rho_interval and r.bootstrap.rho_interval[norm]
          local p = { k = k, seed = r.seed, v = v }
          if iv and type(iv[1]) == "number" and type(iv[2]) == "number" then p.lo, p.hi = iv[1], iv[2] end
          col.pts[#col.pts + 1] = p
          lo = math.min(lo, v, p.lo or v)
        end
      end
      for _, pv in ipairs(col.paper) do lo = math.min(lo, pv[2]) end
      cols[#cols + 1] = col
    end
  end
  return cols, lo, all
end

-- One column of Figure 4: the runs' strip, our mean, the paper's marks, the labels below.
local function rho_column(body, P, sy, cw, i, col, all)
  local cx = P.x0 + (i - 0.5) * cw
  local pc, pw = cx - 0.14 * cw, 0.42 * cw -- the runs' strip
  if i % 2 == 1 and i > 1 then
    add(body, '<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#bbb" stroke-dasharray="4 3"/>', cx - cw / 2, cx - cw / 2, P.y0, P.y1 + 80)
  end
  local color, shape = col.norm == "raw" and C_RAW or C_PP, col.norm == "raw" and "circle" or "square"
  local vals = {}
  for _, p in ipairs(col.pts) do
    local x = pc + spread(p.k, col.runs, pw)
    vals[#vals + 1] = p.v
    local t = string.format("%s seed %s, %s: ρ = %.3f", col.task, tostring(p.seed), NORM_SHORT[col.norm], p.v)
    if p.lo then
      t = t .. string.format(", 95%% bootstrap interval [%.3f, %.3f]", p.lo, p.hi)
      add(body, '<path d="M%.1f %.1fV%.1fM%.1f %.1fH%.1fM%.1f %.1fH%.1f" stroke="%s" stroke-opacity="0.7" fill="none"/>',
        x, sy(p.lo), sy(p.hi), x - 2.5, sy(p.lo), x + 2.5, x - 2.5, sy(p.hi), x + 2.5, color)
    end
    body[#body + 1] = mark(shape, x, sy(p.v), 3.6, color, "white", t, 'fill-opacity="0.9"')
  end
  local m = D.mean_std(vals)
  if m then
    add(body, '<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="black" stroke-width="2.5"><title>%s</title></line>',
      pc - pw / 2 - 6, pc + pw / 2 + 6, sy(m), sy(m), esc(string.format("our mean ρ %.3f over %d runs", m, #vals)))
  else
    text(body, cx, (P.y0 + P.y1) / 2, "no valid runs", 'text-anchor="middle" fill="#a00"')
  end
  local paper_text = {}
  for j, pv in ipairs(col.paper) do
    local x = cx + (0.16 + 0.17 * (j - 1)) * cw
    local c = PAPER.colors[pv[1]]
    add(body, '<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s" stroke-width="3.5"><title>paper %s: mean ρ %s</title></line>',
      x - 10, x + 10, sy(pv[2]), sy(pv[2]), c, pv[1], pv[2])
    text(body, x, sy(pv[2]) - 6, pv[1], string.format('text-anchor="middle" font-size="11" fill="%s" font-weight="bold"', c))
    paper_text[#paper_text + 1] = pv[1] .. " " .. tostring(pv[2])
  end
  local y = P.y1 + 18
  text(body, cx, y, col.task, 'text-anchor="middle" font-weight="bold"')
  text(body, cx, y + 15, NORM_SHORT[col.norm], string.format('text-anchor="middle" fill="%s"', color))
  text(body, cx, y + 31, m and string.format("ours %s, n = %d", num(m, 3), #vals) or "ours: n = 0", 'text-anchor="middle" font-size="11"')
  if (all[col.task] or 0) > #vals then
    text(body, cx, y + 45, string.format("(%d of %d runs valid)", #vals, all[col.task]), 'text-anchor="middle" font-size="11" fill="#666"')
  end
  for j, s in ipairs(paper_text) do
    text(body, cx, y + 45 + 14 * j, "paper " .. s, 'text-anchor="middle" font-size="11" fill="#444"')
  end
end

--- Figure 4: ρ per seed with its bootstrap interval, per task and normalisation, our mean
-- and the paper's mean per version beside it.
function M.svg_rho(records, title)
  local W, H = 720, 540
  local P = { x0 = 70, x1 = W - 16, y0 = 62, y1 = H - 162 }
  local body = {}
  local cols, lo, all = rho_columns(records)
  local ticks, a, b, dec = nice_ticks(math.max(-1, lo - 0.05), 1, 6)
  local sy = linear(a, b, P.y1, P.y0)
  yaxis(body, P, ticks, dec, sy, "Spearman ρ(G, C) of one run")
  add(body, '<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#333"/>', P.x0, P.x1, P.y1, P.y1)
  if #cols == 0 then empty_note(body, P, "no runs") end
  local cw = (P.x1 - P.x0) / math.max(#cols, 1)
  for i, col in ipairs(cols) do rho_column(body, P, sy, cw, i, col, all) end
  local items = {
    { label = "ρ per run, raw G", color = C_RAW, shape = "circle" },
    { label = "ρ per run, per-param G", color = C_PP, shape = "square" },
    { label = "95% bootstrap interval", color = "#555", shape = "errorbar" },
    { label = "our mean", color = "black", shape = "bar" },
    { label = "paper v1 (raw G)", color = PAPER.colors.v1, shape = "bar" },
    { label = "paper v2 (per-param G)", color = PAPER.colors.v2, shape = "bar" },
    { label = "paper v3 (raw G)", color = PAPER.colors.v3, shape = "bar" },
  }
  legend(body, P.x0 - 40, H - 12 - 18 * (legend_rows(items, W - P.x0 + 20) - 1), W - P.x0 + 20, items)
  return svg(W, H, body, title or "ρ(G, C) per run, beside the paper's means",
    "one mark per trained model, seeds in increasing order left to right; interval: OOD set resampled")
end



-- Figure 1's data: the valid runs with G and C, and per run its components, their ranks and
-- classes; K, the most components a run has.
local function scatter_data(records, task, norm)
  local runs = {}
  for _, r in ipairs(D.valid_runs(records, task)) do
    if r.G and r.G[norm] and r.C and r.rho and type(r.rho[norm]) == "number" then runs[#runs + 1] = r end
  end
  local W, H = 720, 590
  local P = { x0 = 70, x1 = 510, y0 = 70, y1 = 510 }
  local body = {}
  -- components: the record's order, else the names with both G and C
  local K = 0
  local data = {}
  for j, r in ipairs(runs) do
    local keys = {}
    if r.components then
      for _, c in ipairs(r.components) do if r.G[norm][c] and r.C[c] then keys[#keys + 1] = c end end
    else
      for c in pairs(r.G[norm]) do if r.C[c] then keys[#keys + 1] = c end end
      table.sort(keys)
    end
    K = math.max(K, #keys)
    local hero, bloat = {}, {}
    local cl = r.classes and r.classes[norm] or {}
    for _, c in ipairs(cl.heroes or {}) do hero[c] = true end
    for _, c in ipairs(cl.bloats or {}) do bloat[c] = true end
    data[j] = { r = r, keys = keys, rg = D.avg_ranks(keys, r.G[norm]), rc = D.avg_ranks(keys, r.C), hero = hero, bloat = bloat }
  end
  return runs, data, K
end

-- Figure 1's frame: the Hero and Bloat zones at the class threshold, the axes, the diagonal.
local function scatter_frame(body, P, K, sx, sy, runs, norm)
  local t, strict = D.class_threshold(runs, norm)
  if t and t < K then
    add(body, '<polygon points="%.1f,%.1f %.1f,%.1f %.1f,%.1f" fill="%s" fill-opacity="0.07"/>', sx(0.5), sy(0.5 + t), sx(K + 0.5 - t), sy(K + 0.5), sx(0.5), sy(K + 0.5), C_HERO)
    add(body, '<polygon points="%.1f,%.1f %.1f,%.1f %.1f,%.1f" fill="%s" fill-opacity="0.07"/>', sx(0.5 + t), sy(0.5), sx(K + 0.5), sy(0.5), sx(K + 0.5), sy(K + 0.5 - t), C_BLOAT)
  end
  local tk = { 1 }
  for v = 5, K, 5 do tk[#tk + 1] = v end
  if tk[#tk] ~= K then tk[#tk + 1] = K end
  xaxis(body, P, tk, 0, sx, "rank of G (" .. NORM_SHORT[norm] .. "), 1 = smallest")
  yaxis(body, P, tk, 0, sy, "rank of C (accuracy drop when mean-ablated), 1 = smallest")
  add(body, '<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#333"/>', P.x0, P.x1, P.y0, P.y0)
  add(body, '<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#333"/>', P.x1, P.x1, P.y0, P.y1)
  add(body, '<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#999" stroke-dasharray="5 4"/>', sx(0.5), sx(K + 0.5), sy(0.5), sy(K + 0.5))
  if t and t < K then
    for _, s in ipairs{ 1, -1 } do
      local x1, y1, x2, y2
      if s == 1 then x1, y1, x2, y2 = 0.5, 0.5 + t, K + 0.5 - t, K + 0.5 else x1, y1, x2, y2 = 0.5 + t, 0.5, K + 0.5, K + 0.5 - t end
      add(body, '<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s" stroke-dasharray="2 3"/>', sx(x1), sx(x2), sy(y1), sy(y2), s == 1 and C_HERO or C_BLOAT)
    end
  end
  return t, strict
end

-- Figure 1's legend, on the right: the marks, the zones, a colour per run with its ρ.
local function scatter_legend(body, P, data, nh, nb, t, strict, K, norm)
  local m = #data
  local lx, ly = P.x1 + 22, P.y0 + 8
  text(body, lx, ly, "marks", 'font-weight="bold"')
  local items = {
    { label = string.format("Hidden Hero (%d)", nh), color = "#999", shape = "triangle", stroke = "black" },
    { label = string.format("Gradient Bloat (%d)", nb), color = "#999", shape = "square", stroke = "black" },
    { label = "aligned", color = "#999", shape = "circle" },
    { label = "equal ranks", color = "#999", shape = "line", dash = "5 4" },
  }
  if t and t < K then
    local op = strict and ">" or "≥"
    items[#items + 1] = { label = string.format("Hero zone: Δ %s −%d", strict and "<" or "≤", t), color = C_HERO, shape = "rect", opacity = "0.15" }
    items[#items + 1] = { label = string.format("Bloat zone: Δ %s %d", op, t), color = C_BLOAT, shape = "rect", opacity = "0.15" }
  end
  for i, it in ipairs(items) do legend(body, lx, ly + 18 * i, 200, { it }) end
  ly = ly + 18 * (#items + 1) + 10
  text(body, lx, ly, "colour: run (ρ)", 'font-weight="bold"')
  local shown = math.min(m, 14)
  for j = 1, shown do
    local d = data[j]
    legend(body, lx, ly + 17 * j, 200, { { label = string.format("seed %s (%s)", tostring(d.r.seed), num(d.r.rho[norm], 2)),
      color = SEED_COLORS[(j - 1) % #SEED_COLORS + 1], shape = "circle" } })
  end
  local ny = ly + 17 * (shown + 1)
  if m > shown then text(body, lx, ny, string.format("… and %d more", m - shown), 'fill="#666"'); ny = ny + 17 end
  if m > #SEED_COLORS then text(body, lx, ny, string.format("(colours repeat after %d)", #SEED_COLORS), 'font-size="11" fill="#666"') end
  local notes = { "Δ = rank of G − rank of C" }
  if m > 1 then notes[#notes + 1] = "each run nudged by 0.2 rank" end
  for i, s in ipairs(notes) do text(body, lx, P.y1 + 2 + 14 * (i - #notes), s, 'font-size="11" fill="#666"') end
end

--- Figure 1: rank of G against rank of C, every component of every valid run of one task.
function M.svg_scatter(records, task, norm, title)
  local W, H = 720, 590
  local P = { x0 = 70, x1 = 510, y0 = 70, y1 = 510 }
  local body = {}
  local runs, data, K = scatter_data(records, task, norm)
  if K == 0 then K = 20 end
  local sx, sy = linear(0.5, K + 0.5, P.x0, P.x1), linear(0.5, K + 0.5, P.y1, P.y0)
  local t, strict = scatter_frame(body, P, K, sx, sy, runs, norm)
  local rhos, nh, nb = {}, 0, 0
  local m = #data
  for j, d in ipairs(data) do
    local color = SEED_COLORS[(j - 1) % #SEED_COLORS + 1]
    local ang = 2 * math.pi * (j - 1) / math.max(m, 1)
    local ox, oy = m > 1 and 0.22 * math.cos(ang) or 0, m > 1 and 0.22 * math.sin(ang) or 0
    rhos[#rhos + 1] = d.r.rho[norm]
    for _, c in ipairs(d.keys) do
      local shape = d.hero[c] and "triangle" or d.bloat[c] and "square" or "circle"
      if d.hero[c] then nh = nh + 1 elseif d.bloat[c] then nb = nb + 1 end
      body[#body + 1] = mark(shape, sx(d.rg[c] + ox), sy(d.rc[c] + oy), shape == "circle" and 3.2 or 4.2, color,
        shape == "circle" and "white" or "black",
        string.format("seed %s %s: rank G %g, rank C %g (G %.4g, C %.3f)%s", tostring(d.r.seed), c, d.rg[c], d.rc[c], d.r.G[norm][c], d.r.C[c],
          d.hero[c] and ", Hidden Hero" or d.bloat[c] and ", Gradient Bloat" or ""), 'fill-opacity="0.85"')
    end
  end
  if m == 0 then empty_note(body, P, "no valid runs for " .. tostring(task)) end
  scatter_legend(body, P, data, nh, nb, t, strict, K, norm)
  local mr = D.mean_std(rhos)
  local lo, hi
  for _, v in ipairs(rhos) do lo = math.min(lo or v, v); hi = math.max(hi or v, v) end
  local sub = mr and string.format("mean Spearman ρ = %s over n = %d valid run%s%s", num(mr, 3), m, m == 1 and "" or "s",
    m > 1 and string.format(" (from %s to %s)", num(lo, 2), num(hi, 2)) or "") or "n = 0 valid runs"
  return svg(W, H, body, title or (tostring(task) .. ": G against C"), sub)
end

--- Figure 2: Hero and Bloat occurrences per layer, per task, over the valid runs.
function M.svg_layers(records, norm, n_layers, title)
  local order = D.by_task(records)
  local layers = n_layers or 0
  local counts, nvalid, maxc = {}, {}, 0
  for _, task in ipairs(order) do
    counts[task], nvalid[task] = {}, 0
    for _, r in ipairs(records) do
      if r.task == task and r.valid and r.classes and r.classes[norm] then
        nvalid[task] = nvalid[task] + 1
        for _, kind in ipairs{ "heroes", "bloats" } do
          for _, c in ipairs(r.classes[norm][kind] or {}) do
            local l = tonumber(tostring(c):match("^L(%d+)"))
            if l then
              counts[task][l] = counts[task][l] or { heroes = 0, bloats = 0 }
              counts[task][l][kind] = counts[task][l][kind] + 1
              maxc = math.max(maxc, counts[task][l][kind])
              layers = math.max(layers, l + 1)
            end
          end
        end
      end
    end
  end
  layers = math.max(layers, 1)
  local W, H = 720, 440
  local P = { x0 = 70, x1 = W - 16, y0 = 56, y1 = H - 112 }
  local body = {}
  local ticks, a, b = nice_ticks(0, math.max(maxc, 1), 5, true)
  local sy = linear(0, b, P.y1, P.y0)
  yaxis(body, P, ticks, 0, sy, "occurrences (summed over valid runs)")
  add(body, '<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#333"/>', P.x0, P.x1, P.y1, P.y1)
  if #order == 0 then empty_note(body, P, "no runs") end
  local tw = (P.x1 - P.x0) / math.max(#order, 1)
  local gw = tw / (layers + 0.6)
  for ti, task in ipairs(order) do
    local tx0 = P.x0 + (ti - 1) * tw + 0.3 * gw
    if ti > 1 then add(body, '<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#bbb" stroke-dasharray="4 3"/>', tx0 - 0.3 * gw, tx0 - 0.3 * gw, P.y0, P.y1 + 42) end
    for l = 0, layers - 1 do
      local x0 = tx0 + l * gw
      local c = counts[task][l] or { heroes = 0, bloats = 0 }
      for k, kind in ipairs{ "heroes", "bloats" } do
        local v = c[kind]
        local bx = x0 + gw * (k == 1 and 0.12 or 0.5)
        local color = kind == "heroes" and C_HERO or C_BLOAT
        add(body, '<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s L%d: %d %s</title></rect>', bx, sy(v), gw * 0.38,
          P.y1 - sy(v), color, esc(task), l, v, kind == "heroes" and "Hidden Heroes" or "Gradient Bloats")
        text(body, bx + gw * 0.19, sy(v) - 4, tostring(v), 'text-anchor="middle" font-size="10" fill="#333"')
      end
      text(body, x0 + gw / 2, P.y1 + 16, "L" .. l, 'text-anchor="middle"')
    end
    text(body, tx0 + layers * gw / 2, P.y1 + 36, string.format("%s (n = %d valid runs)", task, nvalid[task]), 'text-anchor="middle" font-weight="bold"')
    if nvalid[task] == 0 then text(body, tx0 + layers * gw / 2, (P.y0 + P.y1) / 2, "no valid runs", 'text-anchor="middle" fill="#a00"') end
  end
  text(body, (P.x0 + P.x1) / 2, P.y1 + 60, "layer, per task", 'text-anchor="middle"')
  local items = {
    { label = "Hidden Heroes (large causal effect, small gradient)", color = C_HERO, shape = "rect" },
    { label = "Gradient Bloats (large gradient, small causal effect)", color = C_BLOAT, shape = "rect" },
  }
  legend(body, P.x0 - 40, H - 12 - 18 * (legend_rows(items, W - P.x0 + 20) - 1), W - P.x0 + 20, items)
  return svg(W, H, body, title or ("Heroes and Bloats per layer (" .. D.norm_label[norm] .. ")"),
    "each component classified once per run; layer 0 is nearest the input")
end

return M
