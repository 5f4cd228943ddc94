--- gcgap.svg: the SVG toolkit the report's figures (and the ladder's) are drawn with:
-- documents, text, marks with tooltips, scales, ticks, axes, legends, a diverging palette
-- and the colours that carry meaning across figures. Plain text, no dependencies.
local S = {}

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

-- Offset of the k-th of n marks spread over width w, centred on 0.
local function spread(k, n, w) return n > 1 and ((k - 1) / (n - 1) - 0.5) * w or 0 end

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

-- Colours with a meaning, the same in every figure.
local C_RAW, C_PP = "#0072B2", "#D55E00"
local C_HERO, C_BLOAT = "#D55E00", "#0072B2"
local SEED_COLORS = { "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf" }
local TASK_STYLE = { { "#0072B2", "circle" }, { "#D55E00", "square" }, { "#009E73", "triangle" }, { "#CC79A7", "diamond" } }
local NORM_SHORT = { raw = "raw G", per_param = "per-param G" }

-- The legend's entries: one per series with a label (a figure's only series may have none).
local function chart_items(series)
  local items = {}
  for _, sr in ipairs(series) do
    if sr.label then items[#items + 1] = { label = sr.label, color = sr.color, shape = sr.line and "line" or sr.bars and "rect" or sr.shape } end
  end
  return items
end

-- How far category labels wider than their slot drop below the axis when slanted (0: upright).
local function category_slant(categories, W)
  if not categories then return 0 end
  local longest = 0
  for _, c in ipairs(categories) do longest = math.max(longest, (utf8.len(c) or #c) * 6.4) end
  return longest > (W - 110) / #categories - 4 and math.min(0.5 * longest, 90) or 0
end

-- Every x, and the y range the points (with their intervals, bars from 0) need.
local function chart_extent(spec)
  local xs, ylo, yhi = {}, spec.ylim and spec.ylim[1], spec.ylim and spec.ylim[2]
  for _, sr in ipairs(spec.series) do
    for _, pt in ipairs(sr.points) do
      xs[#xs + 1] = pt[1]
      if not spec.ylim then
        ylo = math.min(ylo or pt[2], pt[3] or pt[2], pt[2], sr.bars and 0 or pt[2]); yhi = math.max(yhi or pt[2], pt[4] or pt[2], pt[2], sr.bars and 0 or pt[2])
      end
    end
  end
  return xs, ylo, yhi
end

-- The category axis: a label under each slot (slanted by `slant`), the axis line and title.
local function category_axis(body, P, categories, sx, slant, xlabel)
  for i, c in ipairs(categories) do
    if slant > 0 then
      add(body, '<text transform="translate(%.1f,%.1f) rotate(-30)" text-anchor="end">%s</text>', sx(i) + 4, P.y1 + 14, esc(c))
    else
      text(body, sx(i), P.y1 + 18, c, 'text-anchor="middle"')
    end
  end
  add(body, '<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#333"/>', P.x0, P.x1, P.y1, P.y1)
  if xlabel then text(body, (P.x0 + P.x1) / 2, P.y1 + 38 + slant, xlabel, 'text-anchor="middle"') end
end

-- One series: bars or marks, intervals, point names, and the line through the points. `off` and
-- `bw` place it within a category slot; `base` is the y scale's value for 0 (bars start there).
local function chart_series(body, P, sr, sx, sy, off, bw, base)
  local path = {}
  for _, pt in ipairs(sr.points) do
    local x, y = sx(pt[1]) + off, sy(pt[2])
    if sr.bars then
      add(body, '<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" fill-opacity="0.8">%s</rect>', x - bw / 2,
        math.min(y, base), bw, math.abs(base - y), sr.color, tip(pt[5]))
    end
    if pt[3] then
      add(body, '<path d="M%.1f %.1fV%.1fM%.1f %.1fH%.1fM%.1f %.1fH%.1f" stroke="%s" fill="none" stroke-opacity="0.7"/>',
        x, sy(pt[3]), sy(pt[4]), x - 3, sy(pt[3]), x + 3, x - 3, sy(pt[4]), x + 3, sr.color)
    end
    path[#path + 1] = string.format("%s%.1f %.1f", #path == 0 and "M" or "L", x, y)
    if not sr.bars then body[#body + 1] = mark(sr.shape or "circle", x, y, 4, sr.color, nil, pt[5]) end
    if pt[6] then   -- a point's name, to its left near the right edge
      local near_edge = x > P.x1 - 7 * #tostring(pt[6]) - 8
      text(body, near_edge and x - 6 or x + 6, y - 6, pt[6], 'font-size="10" fill="#444"' .. (near_edge and ' text-anchor="end"' or ""))
    end
  end
  if sr.line and #path > 1 then add(body, '<path d="%s" stroke="%s" fill="none" stroke-width="1.6"/>', table.concat(path), sr.color) end
end

--- A chart of series of points with optional 95% intervals, joined by lines or not:
-- spec = {title, subtitle, xlabel, ylabel, ylim = {lo, hi}, categories = {labels} (x is then
-- 1..#categories), series = {{label, color, shape, line = bool, points = {{x, y, lo, hi, tip}}}}}.
local function chart(spec)
  local W, H = spec.width or 720, spec.height or 420
  local items = chart_items(spec.series)
  local lrows = #items > 0 and legend_rows(items, W - 120) or 0
  local slant = category_slant(spec.categories, W)
  local P = { x0 = 80, x1 = W - 30, y0 = 60, y1 = H - 60 - 18 * lrows - slant }
  local xs, ylo, yhi = chart_extent(spec)
  local body = {}
  if #xs == 0 then empty_note(body, P, "no data"); return svg(W, H, body, spec.title, spec.subtitle) end
  local yt, y0, y1, ydec = nice_ticks(ylo, yhi, 5)
  local sy, sx = linear(y0, y1, P.y1, P.y0), nil
  local cats = spec.categories
  if cats then
    sx = linear(0.5, #cats + 0.5, P.x0, P.x1)
    category_axis(body, P, cats, sx, slant, spec.xlabel)
  else
    local xt, a, b, xdec = nice_ticks(math.min(table.unpack(xs)), math.max(table.unpack(xs)), 6)
    sx = linear(a, b, P.x0, P.x1)
    xaxis(body, P, xt, xdec, sx, spec.xlabel)
  end
  yaxis(body, P, yt, ydec, sy, spec.ylabel)
  local n, base = #spec.series, sy(math.max(y0, math.min(y1, 0)))
  for k, sr in ipairs(spec.series) do
    local off = cats and spread(k, n, 0.4 * (P.x1 - P.x0) / #cats) or 0
    chart_series(body, P, sr, sx, sy, off, cats and 0.7 * (P.x1 - P.x0) / #cats / n or 8, base)
  end
  if lrows > 0 then legend(body, P.x0, H - 14 - 18 * (lrows - 1), W - 120, items) end
  return svg(W, H, body, spec.title, spec.subtitle)
end

--- A heatmap: spec = {title, subtitle, rows = {labels}, cols = {labels}, values = {{...}, ...}
-- (rows × cols), range = {lo, hi}, xlabel, ylabel}. Without a range the scale is symmetric around
-- 0 (the diverging palette: blue, white, red); a range from 0 or above is white to red.
local function heatmap(spec)
  local nr, nc = #spec.rows, #spec.cols
  local cell = math.max(12, math.min(56, math.floor(560 / math.max(nr, nc))))
  local P = { x0 = 110, y0 = 70, x1 = 110 + nc * cell, y1 = 70 + nr * cell }
  local W, H = math.max(P.x1 + 120, 420), P.y1 + 70
  local lo, hi = spec.range and spec.range[1], spec.range and spec.range[2]
  local sequential = lo ~= nil and lo >= 0   -- a range from 0 up: white to red
  if not lo then
    local m = 0
    for _, row in ipairs(spec.values) do for _, v in ipairs(row) do m = math.max(m, math.abs(v)) end end
    lo, hi = -m, m
  end
  local body = {}
  for i = 1, nr do
    text(body, P.x0 - 6, P.y0 + (i - 0.5) * cell + 4, spec.rows[i], 'text-anchor="end" font-size="10"')
    for j = 1, nc do
      local v = spec.values[i][j]
      local t = hi > lo and (sequential and (v - lo) / (hi - lo) or 2 * (v - lo) / (hi - lo) - 1) or 0
      add(body, '<rect x="%.1f" y="%.1f" width="%d" height="%d" fill="%s">%s</rect>', P.x0 + (j - 1) * cell, P.y0 + (i - 1) * cell,
        cell, cell, diverging(t), tip(string.format("%s, %s: %.4g", spec.rows[i], spec.cols[j], v)))
    end
  end
  for j = 1, nc do
    add(body, '<text transform="translate(%.1f,%.1f) rotate(-45)" text-anchor="end" font-size="10">%s</text>', P.x0 + (j - 0.5) * cell + 3, P.y1 + 10, esc(spec.cols[j]))
  end
  -- the colour scale
  for k = 0, 20 do
    add(body, '<rect x="%.1f" y="%.1f" width="14" height="%.1f" fill="%s"/>', P.x1 + 30, P.y0 + (20 - k) * (P.y1 - P.y0) / 21,
      (P.y1 - P.y0) / 21 + 0.5, diverging(sequential and k / 20 or k / 10 - 1))
  end
  text(body, P.x1 + 48, P.y0 + 8, num(hi, 2), 'font-size="10"')
  text(body, P.x1 + 48, P.y1, num(lo, 2), 'font-size="10"')
  if spec.xlabel then text(body, (P.x0 + P.x1) / 2, H - 8, spec.xlabel, 'text-anchor="middle"') end
  if spec.ylabel then vtext(body, 20, (P.y0 + P.y1) / 2, spec.ylabel) end
  return svg(W, H, body, spec.title, spec.subtitle)
end

S.chart = chart
S.heatmap = heatmap
S.esc = esc
S.num = num
S.signed = signed
S.svg = svg
S.add = add
S.text = text
S.vtext = vtext
S.tip = tip
S.mark = mark
S.nice_ticks = nice_ticks
S.linear = linear
S.yaxis = yaxis
S.xaxis = xaxis
S.item_width = item_width
S.legend_rows = legend_rows
S.legend = legend
S.empty_note = empty_note
S.spread = spread
S.diverging = diverging
S.C_RAW = C_RAW
S.C_PP = C_PP
S.C_HERO = C_HERO
S.C_BLOAT = C_BLOAT
S.SEED_COLORS = SEED_COLORS
S.TASK_STYLE = TASK_STYLE
S.NORM_SHORT = NORM_SHORT

return S
