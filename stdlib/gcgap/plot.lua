--- gcgap.plot: figures in a line, as SVG. Each function returns a figure: fig:svg() is its
-- SVG text, fig:save(path) writes it (the atomic writer), and in Jupyter a figure shows inline.
--
--   local plot = require "gcgap.plot"
--   plot.scatter{x = G, y = C, title = "G against C"}            -- ρ written on it
--   plot.line{x = {1, 2, 3}, y = {0.2, 0.5, 0.7}, lo = {...}, hi = {...}, title = "ρ(t)"}
--   plot.line{series = {{label = "copy", x = ..., y = ...}, {label = "sort", ...}}}
--   plot.bar{labels = {"a", "b"}, values = {3, 5}, lo = {...}, hi = {...}}
--   plot.heatmap{values = {{...}, ...}, rows = {...}, cols = {...}}
--   plot.markdown(ladder.table(rhos))                            -- a Markdown table, rendered
local gc = require "gcgap.core"
local S = require "gcgap.svg"
local P = {}

local Figure = {}
Figure.__index = Figure
function Figure:svg() return self.text end
function Figure:save(path) gc.write_file(path, self.text); return self end
Figure.__tostring = function(self) return string.format("figure(%q, %d bytes of SVG)", self.title or "", #self.text) end
local function figure(title, text) return setmetatable({ title = title, text = text }, Figure) end

local PALETTE = { "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442" }

local function need(t, key, what, level)
  if t[key] == nil then error("bad argument #1 to '" .. what .. "' (field '" .. key .. "' is missing)", level or 3) end
  return t[key]
end

-- x and y given as lists, or as tables keyed by name (the same keys: paired by name)
local function pairs_of(x, y, what)
  if #x > 0 or #y > 0 then
    if #x ~= #y then error("bad argument #1 to '" .. what .. "' (x has " .. #x .. " values, y " .. #y .. ")", 4) end
    local out = {}
    for i = 1, #x do out[i] = { x[i], y[i] } end
    return out
  end
  local names = {}
  for k in pairs(x) do
    if y[k] == nil then error("bad argument #1 to '" .. what .. "' ('" .. tostring(k) .. "' is in x, not in y)", 4) end
    names[#names + 1] = k
  end
  table.sort(names, function(a, b) return tostring(a) < tostring(b) end)
  local out = {}
  for i, k in ipairs(names) do out[i] = { x[k], y[k], k } end
  return out
end

local function check_numbers(list, what)
  for _, p in ipairs(list) do
    for j = 1, 2 do
      if type(p[j]) ~= "number" or p[j] ~= p[j] or math.abs(p[j]) == math.huge then
        error("bad argument #1 to '" .. what .. "' (" .. (j == 1 and "x" or "y") .. " holds " .. tostring(p[j]) .. ", a finite number expected)", 4)
      end
    end
  end
end

--- A scatter of y against x (lists, or tables keyed by component: points are named), with
-- Spearman's ρ in the subtitle. opts: title, xlabel, ylabel, labels (name each point).
function P.scatter(o)
  local pts = pairs_of(need(o, "x", "scatter"), need(o, "y", "scatter"), "scatter")
  check_numbers(pts, "scatter")
  local xs, ys, points = {}, {}, {}
  for i, p in ipairs(pts) do
    xs[i], ys[i] = p[1], p[2]
    points[i] = { p[1], p[2], nil, nil, (p[3] and (tostring(p[3]) .. ": ") or "") .. string.format("%.4g, %.4g", p[1], p[2]),
                  o.labels ~= false and p[3] and tostring(p[3]) or nil }
  end
  local rho = #xs >= 2 and gc.stats.spearman(xs, ys)
  local sub = rho and string.format("Spearman ρ = %.3f (n = %d)", rho, #xs) or string.format("n = %d (ρ undefined)", #xs)
  return figure(o.title, S.chart { title = o.title or "scatter", subtitle = sub, xlabel = o.xlabel, ylabel = o.ylabel,
    series = { { label = o.label, color = PALETTE[1], points = points } } })
end

--- Lines: one series ({x, y [, lo, hi]} lists) or several (series = {{label, x, y, lo, hi}, ...}).
function P.line(o)
  local series = o.series or { { label = o.label, x = o.x, y = o.y, lo = o.lo, hi = o.hi } }
  local out = {}
  for k, s in ipairs(series) do
    local pts = pairs_of(need(s, "x", "line"), need(s, "y", "line"), "line")
    check_numbers(pts, "line")
    local points = {}
    for i, p in ipairs(pts) do
      points[i] = { p[1], p[2], s.lo and s.lo[i], s.hi and s.hi[i], (s.label and s.label .. ": " or "") .. string.format("%.4g, %.4g", p[1], p[2]) }
    end
    out[k] = { label = s.label or (#series > 1 and "series " .. k or nil), color = s.color or PALETTE[(k - 1) % #PALETTE + 1], line = true, points = points }
  end
  return figure(o.title, S.chart { title = o.title or "line", subtitle = o.subtitle, xlabel = o.xlabel, ylabel = o.ylabel, series = out })
end

--- Bars: labels and values (lists, or one table keyed by label), optional lo/hi intervals.
function P.bar(o)
  local labels, values = o.labels, need(o, "values", "bar")
  if not labels then
    labels = {}
    for k in pairs(values) do labels[#labels + 1] = k end
    table.sort(labels)
    local v = {}
    for i, k in ipairs(labels) do v[i] = values[k] end
    values = v
  end
  local points = {}
  for i, v in ipairs(values) do
    if type(v) ~= "number" or v ~= v then error("bad argument #1 to 'bar' (values[" .. i .. "] is " .. tostring(v) .. ")", 2) end
    points[i] = { i, v, o.lo and o.lo[i], o.hi and o.hi[i], string.format("%s: %.4g", tostring(labels[i]), v) }
  end
  local cats = {}
  for i, l in ipairs(labels) do cats[i] = tostring(l) end
  return figure(o.title, S.chart { title = o.title or "bar", subtitle = o.subtitle, xlabel = o.xlabel, ylabel = o.ylabel, categories = cats,
    series = { { label = o.label, color = o.color or PALETTE[1], bars = true, points = points } } })
end

--- Markdown text (a report's table, gcgap.ladder.table's): rendered in Jupyter, and the text
-- itself in the REPL and with print or tostring.
local Markdown = { __tostring = function(self) return self.text end }
Markdown.__index = { markdown = function(self) return self.text end }
function P.markdown(text)
  if type(text) ~= "string" then error("bad argument #1 to 'markdown' (string expected, got " .. type(text) .. ")", 2) end
  return setmetatable({ text = text }, Markdown)
end

--- A heatmap of a matrix (a list of rows, or a 2-D tensor) with row and column labels.
function P.heatmap(o)
  local values = need(o, "values", "heatmap")
  if gc.is_tensor(values) then values = values:totable() end
  local nr, nc = #values, #(values[1] or {})
  if nr == 0 or nc == 0 then error("bad argument #1 to 'heatmap' (values is empty)", 2) end
  local rows, cols = o.rows or {}, o.cols or {}
  for i = 1, nr do rows[i] = rows[i] or tostring(i) end
  for j = 1, nc do cols[j] = cols[j] or tostring(j) end
  for i = 1, nr do
    if #values[i] ~= nc then error("bad argument #1 to 'heatmap' (row " .. i .. " has " .. #values[i] .. " values, row 1 has " .. nc .. ")", 2) end
  end
  return figure(o.title, S.heatmap { title = o.title or "heatmap", subtitle = o.subtitle, rows = rows, cols = cols, values = values,
    range = o.range, xlabel = o.xlabel, ylabel = o.ylabel })
end

return P
