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
--
-- Every figure has a title, axes with ticks, tick labels and titles, and a legend where
-- colours or marks carry meaning; each mark has a <title> tooltip with its numbers.
-- Accuracy effects are drawn in points (100 × the accuracy change).

local function esc(s) return (tostring(s):gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;")) end

-- A number for a figure, with a real minus sign and no "−0.0".
local function num(v, d)
  local s = string.format("%." .. (d or 2) .. "f", v)
  if tonumber(s) == 0 then s = s:gsub("^%-", "") end
  return (s:gsub("^%-", "−"))
end
local function signed(v, d)
  local s = num(v, d)
  return (s:match("^−") or tonumber(string.format("%." .. (d or 1) .. "f", v)) == 0) and s or "+" .. s
end

-- title: a string; subtitle: nil, a string or a list of lines (under the title)
local function svg(w, h, body, title, subtitle)
  local head = { string.format('<text x="%.1f" y="22" text-anchor="middle" font-size="15" font-weight="bold">%s</text>', w / 2, esc(title)) }
  if type(subtitle) == "string" then subtitle = { subtitle } end
  for i, s in ipairs(subtitle or {}) do
    head[#head + 1] = string.format('<text x="%.1f" y="%d" text-anchor="middle" fill="#444">%s</text>', w / 2, 24 + 16 * i, esc(s))
  end
  return string.format('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif" font-size="12">\n<rect width="100%%" height="100%%" fill="white"/>\n%s\n%s\n</svg>\n',
    w, h, w, h, table.concat(head, "\n"), table.concat(body, "\n"))
end

local function add(body, f, ...) body[#body + 1] = string.format(f, ...) end
local function text(body, x, y, s, attrs)
  add(body, '<text x="%.1f" y="%.1f"%s>%s</text>', x, y, attrs and (" " .. attrs) or "", esc(s))
end
local function vtext(body, x, y, s, attrs) -- rotated 90° anticlockwise, centred on (x, y)
  add(body, '<text transform="translate(%.1f,%.1f) rotate(-90)" text-anchor="middle"%s>%s</text>', x, y, attrs and (" " .. attrs) or "", esc(s))
end
local function tip(s) return s and ("<title>" .. esc(s) .. "</title>") or "" end

-- A mark: circle, square, diamond, triangle; fill "none" for a hollow one.
local function mark(shape, x, y, s, fill, stroke, tooltip, extra)
  local sw = (extra and extra:find("stroke%-width")) and "" or string.format(' stroke-width="%s"', stroke and "1.2" or "0")
  local st = string.format(' fill="%s" stroke="%s"%s%s', fill, stroke or "none", sw, extra and (" " .. extra) or "")
  if shape == "square" then
    return string.format('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f"%s>%s</rect>', x - 0.9 * s, y - 0.9 * s, 1.8 * s, 1.8 * s, st, tip(tooltip))
  elseif shape == "diamond" then
    return string.format('<polygon points="%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f"%s>%s</polygon>', x, y - 1.3 * s, x + 1.3 * s, y, x, y + 1.3 * s, x - 1.3 * s, y, st, tip(tooltip))
  elseif shape == "triangle" then
    return string.format('<polygon points="%.1f,%.1f %.1f,%.1f %.1f,%.1f"%s>%s</polygon>', x, y - 1.35 * s, x + 1.25 * s, y + 0.85 * s, x - 1.25 * s, y + 0.85 * s, st, tip(tooltip))
  end
  return string.format('<circle cx="%.1f" cy="%.1f" r="%.1f"%s>%s</circle>', x, y, s, st, tip(tooltip))
end

-- Round ticks covering [lo, hi]: ticks, first, last, decimals. integer: steps of at least 1.
local function nice_ticks(lo, hi, n, integer)
  if hi - lo < 1e-9 then
    local d = math.abs(lo) > 0 and math.abs(lo) * 0.1 or 1
    lo, hi = lo - d, hi + d
  end
  local raw = (hi - lo) / (n or 5)
  local mag = 10 ^ math.floor(math.log(raw, 10))
  local f = raw / mag
  local step = (f <= 1 and 1 or f <= 2 and 2 or f <= 2.5 and 2.5 or f <= 5 and 5 or 10) * mag
  if integer then step = math.max(1, math.floor(step + 0.5)) end
  local a, b = math.floor(lo / step + 1e-9) * step, math.ceil(hi / step - 1e-9) * step
  local t = {}
  for i = 0, math.floor((b - a) / step + 0.5) do t[#t + 1] = a + i * step end
  local e = math.floor(math.log(step, 10) + 1e-9)
  local dec = math.max(0, -e)
  if math.abs(step / 10 ^ e - 2.5) < 1e-9 then dec = dec + 1 end
  return t, a, b, dec
end

local function linear(d0, d1, p0, p1)
  return function(v) return p0 + (v - d0) / (d1 - d0) * (p1 - p0) end
end

-- Axes on the plot area P = {x0, x1, y0, y1} (pixels, y0 at the top). Grid lines, ticks, labels.
local function yaxis(body, P, ticks, dec, sy, title, fmtf)
  for _, v in ipairs(ticks) do
    local y = sy(v)
    add(body, '<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s"/>', P.x0, P.x1, y, y, math.abs(v) < 1e-12 and "#888" or "#e6e6e6")
    add(body, '<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#333"/>', P.x0 - 5, P.x0, y, y)
    text(body, P.x0 - 8, y + 4, fmtf and fmtf(v) or num(v, dec), 'text-anchor="end"')
  end
  add(body, '<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#333"/>', P.x0, P.x0, P.y0, P.y1)
  if title then vtext(body, P.x0 - 50, (P.y0 + P.y1) / 2, title) end
end
local function xaxis(body, P, ticks, dec, sx, title, fmtf)
  for _, v in ipairs(ticks) do
    local x = sx(v)
    add(body, '<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s"/>', x, x, P.y0, P.y1, math.abs(v) < 1e-12 and "#888" or "#e6e6e6")
    add(body, '<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#333"/>', x, x, P.y1, P.y1 + 5)
    text(body, x, P.y1 + 18, fmtf and fmtf(v) or num(v, dec), 'text-anchor="middle"')
  end
  add(body, '<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#333"/>', P.x0, P.x1, P.y1, P.y1)
  if title then text(body, (P.x0 + P.x1) / 2, P.y1 + 38, title, 'text-anchor="middle"') end
end

-- A legend in rows from (x0, y0), wrapping at width maxw. Each item: {label, color, shape
-- (a mark's shape, "line", "bar", "rect" or "errorbar"), dash, hollow}. Returns the last row's y.
local function item_width(it) return 26 + (utf8.len(it.label) or #it.label) * 6.4 + 16 end
local function legend_rows(items, maxw)
  local x, rows = 0, 1
  for _, it in ipairs(items) do
    local w = item_width(it)
    if x > 0 and x + w > maxw then x, rows = 0, rows + 1 end
    x = x + w
  end
  return rows
end
local function legend(body, x0, y0, maxw, items)
  local x, y = x0, y0
  for _, it in ipairs(items) do
    local w = item_width(it)
    if x > x0 and x + w > x0 + maxw then x, y = x0, y + 18 end
    local cx, cy = x + 10, y - 4
    if it.shape == "line" or it.shape == "bar" then
      add(body, '<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s" stroke-width="%s"%s/>', cx - 10, cx + 10, cy, cy, it.color,
        it.shape == "bar" and "3" or "1.6", it.dash and (' stroke-dasharray="' .. it.dash .. '"') or "")
    elseif it.shape == "rect" then
      add(body, '<rect x="%.1f" y="%.1f" width="14" height="11" fill="%s"%s/>', cx - 7, cy - 5.5, it.color,
        it.opacity and string.format(' fill-opacity="%s" stroke="%s" stroke-opacity="0.5"', it.opacity, it.color) or "")
    elseif it.shape == "errorbar" then
      add(body, '<path d="M%.1f %.1fV%.1fM%.1f %.1fH%.1fM%.1f %.1fH%.1f" stroke="%s" fill="none"/>', cx, cy - 7, cy + 7, cx - 3, cy - 7, cx + 3, cx - 3, cy + 7, cx + 3, it.color)
      body[#body + 1] = mark("circle", cx, cy, 3, it.color)
    else
      body[#body + 1] = mark(it.shape or "circle", cx, cy, 4.5, it.hollow and "none" or it.color, it.stroke or (it.hollow and it.color) or nil)
    end
    text(body, x + 24, y, it.label)
    x = x + w
  end
  return y
end

local function empty_note(body, P, s)
  local w = (utf8.len(s) or #s) * 7.6 + 16
  add(body, '<rect x="%.1f" y="%.1f" width="%.1f" height="24" fill="white" stroke="#a00"/>', (P.x0 + P.x1 - w) / 2, (P.y0 + P.y1) / 2 - 17, w)
  text(body, (P.x0 + P.x1) / 2, (P.y0 + P.y1) / 2, s, 'text-anchor="middle" fill="#a00" font-size="14"')
end

-- The valid runs of a task, by seed.
local function valid_runs(records, task)
  local l = {}
  for _, r in ipairs(records) do if r.task == task and r.valid then l[#l + 1] = r end end
  table.sort(l, function(a, b)
    local x, y = tonumber(a.seed), tonumber(b.seed)
    if x and y then return x < y end
    return tostring(a.seed) < tostring(b.seed)
  end)
  return l
end

-- Offset of the k-th of n marks spread over width w, centred on 0.
local function spread(k, n, w) return n > 1 and ((k - 1) / (n - 1) - 0.5) * w or 0 end

local C_RAW, C_PP = "#0072B2", "#D55E00"
local C_HERO, C_BLOAT = "#D55E00", "#0072B2"
local SEED_COLORS = { "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf" }
local TASK_STYLE = { { "#0072B2", "circle" }, { "#D55E00", "square" }, { "#009E73", "triangle" }, { "#CC79A7", "diamond" } }
local NORM_SHORT = { raw = "raw G", per_param = "per-param G" }

-- The paper's mean ρ per version (docs/protocol.md): v1 and v3 raw G, v2 per-param G.
local PAPER_RHO = {
  reverse = { raw = { { "v1", 0.726 }, { "v3", 0.72 } }, per_param = { { "v2", 0.59 } } },
  sort = { raw = { { "v1", 0.318 }, { "v3", 0.27 } }, per_param = { { "v2", 0.07 } } },
}
local PAPER_COLOR = { v1 = "#009E73", v2 = "#CC79A7", v3 = "#6b4226" }
-- The paper's pruning figures (v1, raw G, one seed per task), OOD points.
local PAPER_PRUNE = { reverse = { seed = 2020, heroes = -35.0, bloats = -27.0 }, sort = { seed = 456, heroes = -32.0, bloats = 3.5 } }

--- Figure 4: ρ per seed with its bootstrap interval, per task and normalisation, our mean
-- and the paper's mean per version beside it.
function M.svg_rho(records, title)
  local order = M.by_task(records)
  local W, H = 720, 540
  local P = { x0 = 70, x1 = W - 16, y0 = 62, y1 = H - 162 }
  local body, cols, lo, all = {}, {}, 0, {}
  for _, r in ipairs(records) do all[r.task] = (all[r.task] or 0) + 1 end
  for _, task in ipairs(order) do
    local runs = valid_runs(records, task)
    for _, norm in ipairs(NORMS) do
      local col = { task = task, norm = norm, pts = {}, runs = #runs, paper = PAPER_RHO[task] and PAPER_RHO[task][norm] or {} }
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
  local ticks, a, b, dec = nice_ticks(math.max(-1, lo - 0.05), 1, 6)
  local sy = linear(a, b, P.y1, P.y0)
  yaxis(body, P, ticks, dec, sy, "Spearman ρ(G, C) of one run")
  add(body, '<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#333"/>', P.x0, P.x1, P.y1, P.y1)
  if #cols == 0 then empty_note(body, P, "no runs") end
  local cw = (P.x1 - P.x0) / math.max(#cols, 1)
  for i, col in ipairs(cols) do
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
    local m = mean_std(vals)
    if m then
      add(body, '<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="black" stroke-width="2.5"><title>%s</title></line>',
        pc - pw / 2 - 6, pc + pw / 2 + 6, sy(m), sy(m), esc(string.format("our mean ρ %.3f over %d runs", m, #vals)))
    else
      text(body, cx, (P.y0 + P.y1) / 2, "no valid runs", 'text-anchor="middle" fill="#a00"')
    end
    local paper_text = {}
    for j, pv in ipairs(col.paper) do
      local x = cx + (0.16 + 0.17 * (j - 1)) * cw
      local c = PAPER_COLOR[pv[1]]
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
  local items = {
    { label = "ρ per run, raw G", color = C_RAW, shape = "circle" },
    { label = "ρ per run, per-param G", color = C_PP, shape = "square" },
    { label = "95% bootstrap interval", color = "#555", shape = "errorbar" },
    { label = "our mean", color = "black", shape = "bar" },
    { label = "paper v1 (raw G)", color = PAPER_COLOR.v1, shape = "bar" },
    { label = "paper v2 (per-param G)", color = PAPER_COLOR.v2, shape = "bar" },
    { label = "paper v3 (raw G)", color = PAPER_COLOR.v3, shape = "bar" },
  }
  legend(body, P.x0 - 40, H - 12 - 18 * (legend_rows(items, W - P.x0 + 20) - 1), W - P.x0 + 20, items)
  return svg(W, H, body, title or "ρ(G, C) per run, beside the paper's means",
    "one mark per trained model, seeds in increasing order left to right; interval: OOD set resampled")
end

-- Average ranks, ascending (1 = smallest), ties sharing the mean of their places.
local function avg_ranks(keys, vals)
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

-- The class threshold of these runs: the preset's, when the runs' classes agree with it.
local function class_threshold(runs, norm)
  local name = runs[1] and runs[1].preset
  local ok, E = pcall(require, "gcgap.experiment")
  local p = ok and type(E) == "table" and E.presets and name and E.presets[name]
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

--- Figure 1: rank of G against rank of C, every component of every valid run of one task.
function M.svg_scatter(records, task, norm, title)
  local runs = {}
  for _, r in ipairs(valid_runs(records, task)) do
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
    data[j] = { r = r, keys = keys, rg = avg_ranks(keys, r.G[norm]), rc = avg_ranks(keys, r.C), hero = hero, bloat = bloat }
  end
  if K == 0 then K = 20 end
  local sx, sy = linear(0.5, K + 0.5, P.x0, P.x1), linear(0.5, K + 0.5, P.y1, P.y0)
  local t, strict = class_threshold(runs, norm)
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
  -- the legend, on the right
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
  local mr = mean_std(rhos)
  local lo, hi
  for _, v in ipairs(rhos) do lo = math.min(lo or v, v); hi = math.max(hi or v, v) end
  local sub = mr and string.format("mean Spearman ρ = %s over n = %d valid run%s%s", num(mr, 3), m, m == 1 and "" or "s",
    m > 1 and string.format(" (from %s to %s)", num(lo, 2), num(hi, 2)) or "") or "n = 0 valid runs"
  return svg(W, H, body, title or (tostring(task) .. ": G against C"), sub)
end

--- Figure 2: Hero and Bloat occurrences per layer, per task, over the valid runs.
function M.svg_layers(records, norm, n_layers, title)
  local order = M.by_task(records)
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
  return svg(W, H, body, title or ("Heroes and Bloats per layer (" .. M.norm_label[norm] .. ")"),
    "each component classified once per run; layer 0 is nearest the input")
end

--- Figure 3: pruning, per run: the OOD accuracy change (points) when the two Heroes are
-- ablated together, and when the two Bloats are; the mean per group and n.
function M.svg_pruning(records, norm, title)
  local order = M.by_task(records)
  local cats, lo, hi = {}, 0, 0
  for _, task in ipairs(order) do
    for _, kind in ipairs{ "heroes", "bloats" } do
      local cat = { task = task, kind = kind, pts = {}, without = 0, nruns = 0 }
      local runs = valid_runs(records, task)
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
      cat.paper = norm == "raw" and PAPER_PRUNE[task] and { v = PAPER_PRUNE[task][kind], seed = PAPER_PRUNE[task].seed } or nil
      if cat.paper then lo, hi = math.min(lo, cat.paper.v), math.max(hi, cat.paper.v) end
      cats[#cats + 1] = cat
    end
  end
  local W, H = 720, 500
  local P = { x0 = 70, x1 = W - 16, y0 = 62, y1 = H - 146 }
  local body = {}
  local ticks, a, b, dec = nice_ticks(lo - 3, hi + 3, 6)
  local sy = linear(a, b, P.y1, P.y0)
  yaxis(body, P, ticks, dec, sy, "OOD accuracy change (points)", function(v) return signed(v, dec) end)
  add(body, '<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#333"/>', P.x0, P.x1, P.y1, P.y1)
  if #cats == 0 then empty_note(body, P, "no runs") end
  local cw = (P.x1 - P.x0) / math.max(#cats, 1)
  for i, cat in ipairs(cats) do
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
    local m = mean_std(vals)
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
  return svg(W, H, body, title or ("Pruning (" .. M.norm_label[norm] .. "): OOD accuracy change per run"),
    "up to two Heroes (Bloats) per run, as its preset picks them, mean-ablated together")
end

--- v3's super-additivity: per run, the effect of ablating all its (raw-G) Bloats together
-- against the sum of their single ablation effects, with y = x and y = 14x.
function M.svg_joint(records, title)
  local order = M.by_task(records)
  local pts, xlo, xhi, ylo, yhi = {}, 0, 1, 0, 1
  local sj, ss, nonpos = 0, 0, 0
  for _, r in ipairs(records) do
    local j = r.joint and r.joint.raw and r.joint.raw.bloats
    if j and type(j.joint) == "number" and type(j.sum) == "number" then
      local p = { r = r, x = 100 * j.sum, y = 100 * j.joint, n = j.components and #j.components or 0, ratio = j.ratio }
      pts[#pts + 1] = p
      xlo, xhi, ylo, yhi = math.min(xlo, p.x), math.max(xhi, p.x), math.min(ylo, p.y), math.max(yhi, p.y)
      sj, ss = sj + j.joint, ss + j.sum
      if j.sum <= 0 then nonpos = nonpos + 1 end
    end
  end
  local W, H = 720, 560
  local P = { x0 = 76, x1 = 520, y0 = 62, y1 = H - 76 }
  local body = {}
  if #pts == 0 then xhi, yhi = 10, 10 end
  local function pad(lo, hi) local d = 0.03 * (hi - lo); return lo < 0 and lo - d or lo, hi + d end
  local x0, x1 = pad(xlo, xhi)
  local y0, y1 = pad(ylo, yhi)
  local xt, xa, xb, xd = nice_ticks(x0, x1, 6)
  local yt, ya, yb, yd = nice_ticks(y0, y1, 6)
  local sx, sy = linear(xa, xb, P.x0, P.x1), linear(ya, yb, P.y1, P.y0)
  xaxis(body, P, xt, xd, sx, "sum of the Bloats' single ablation effects (OOD accuracy drop, points)")
  yaxis(body, P, yt, yd, sy, "effect of ablating them together (points)")
  add(body, '<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#333"/>', P.x0, P.x1, P.y0, P.y0)
  add(body, '<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#333"/>', P.x1, P.x1, P.y0, P.y1)
  -- the reference lines, clipped to the plot
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
  -- legend on the right
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
  local sub = #pts > 0 and string.format("all raw-G Bloats of each run (runs with ≥ 2); pooled ratio Σ together / Σ sum = %s over n = %d runs",
    ss ~= 0 and num(sj / ss, 2) or "–", #pts) or "no run has a joint Bloat ablation (≥ 2 raw-G Bloats)"
  return svg(W, H, body, title or "Ablating the Bloats together against the sum of their single effects", sub)
end

--- RdBu: blue for negative, white at 0, red for positive; t in [-1, 1] (also used by gcgap.ladder).
local function diverging(t)
  local stops = { { -1, 33, 102, 172 }, { -0.5, 103, 169, 207 }, { 0, 247, 247, 247 }, { 0.5, 239, 138, 98 }, { 1, 178, 24, 43 } }
  t = math.max(-1, math.min(1, t))
  for i = 1, #stops - 1 do
    local s0, s1 = stops[i], stops[i + 1]
    if t <= s1[1] then
      local u = (t - s0[1]) / (s1[1] - s0[1])
      local function c(k) return math.floor(s0[k] + u * (s1[k] - s0[k]) + 0.5) end
      return string.format("#%02x%02x%02x", c(2), c(3), c(4))
    end
  end
  return "#b2182b"
end
M.diverging = diverging

--- The pairwise interaction matrix of one task, mean over its valid runs (points):
-- effect(a and b ablated together) − effect(a) − effect(b).
function M.svg_interactions(records, task, title)
  local runs, comps = {}, nil
  for _, r in ipairs(valid_runs(records, task)) do
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
  -- the colour bar
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
  local y = G0y + size + 48
  text(body, 20, y, "interaction(a, b) = effect of ablating a and b together − effect(a) − effect(b) (OOD accuracy drop, mean ablation);", 'font-size="11" fill="#444"')
  text(body, 20, y + 15, "grey diagonal: 0 by definition; lines: layer boundaries. An effect cannot exceed the base accuracy, so when", 'font-size="11" fill="#444"')
  text(body, 20, y + 30, "effect(a) + effect(b) exceeds it the interaction is negative whatever the circuit does.", 'font-size="11" fill="#444"')
  local sub = #runs > 0 and string.format("mean over n = %d valid run%s; largest |mean| off the diagonal %s points", #runs, #runs == 1 and "" or "s", num(vmax, 1))
    or "n = 0 runs with an interaction matrix"
  return svg(W, H, body, title or (tostring(task) .. ": pairwise interactions of the components"), sub)
end

-- ---------------------------------------------------------------- Markdown

--- Which gcgap made the records: "Made by gcgap V (commit C), KERNEL." (or each build's count).
function M.provenance(records)
  local builds, order = {}, {}
  for _, r in ipairs(records) do
    local b = r.build
    local key = b and string.format("gcgap %s%s, %s", b.version or "?", b.commit and (" (commit " .. b.commit .. ")") or "",
      b.kernel or "?") or "an older gcgap that did not record its build"
    if not builds[key] then builds[key] = 0; order[#order + 1] = key end
    builds[key] = builds[key] + 1
  end
  if #order == 1 then return "Made by " .. order[1] .. "." end
  local parts = {}
  for _, k in ipairs(order) do parts[#parts + 1] = string.format("%d by %s", builds[k], k) end
  return "Records made by " .. #order .. " builds: " .. table.concat(parts, "; ") .. "."
end

--- The report. opts: title, decomposition (rows), preset, seconds, figures (names).
function M.markdown(records, opts)
  opts = opts or {}
  local out = {}
  local function w(s) out[#out + 1] = s or "" end
  local summary = M.summary(records)
  -- the settings the records were made with (a report never re-derives them)
  local p = opts.p or (records[1] and records[1].settings) or {}
  local seeds_per_task = 0
  for _, x in ipairs(summary) do seeds_per_task = math.max(seeds_per_task, x.runs) end
  local preliminary = seeds_per_task < 10
  w("# " .. (opts.title or "The Gradient-Causal Gap, reproduced by gcgap"))
  w()
  w(string.format("Preset `%s`; %d runs. Each run: a model trained as docs/protocol.md says, its OOD length, G over %s batches of %s, C by mean ablation on the OOD evaluation set, ρ, Δ = Rank(G) − Rank(C) with %s ranks, classes at |Δ| %s %s, and pruning.",
    opts.preset or "?", #records, tostring(p.grad and p.grad.batches or "?"), tostring(p.grad and p.grad.batch or "?"),
    p.ranks or "?", p.strict and ">" or "≥", tostring(p.threshold or "?")))
  w(M.provenance(records))
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
  local LD = require "gcgap.ladder"
  if #LD.summary(records, { resamples = 200 }) > 0 then w(LD.markdown(records)) end
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
