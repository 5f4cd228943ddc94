--- gcgap.pretty: readable printing of Lua values, as the REPL shows them.
--
--   pretty.format(v [, opts]) -> string
--   pretty.print(...)          prints each value (what the REPL calls for results)
--
-- Tables print as constructors, nested up to `depth` levels (default 3), with at most
-- `items` entries per table (default 40) and a note of how many were left out; keys in
-- a stable order (the array part first, then other keys sorted). Short tables stay on one
-- line; longer ones take one entry a line. Userdata print with their __tostring.
local M = {}

local function is_identifier(s)
  return type(s) == "string" and s:match("^[%a_][%w_]*$") ~= nil
end

local function sort_keys(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then return ta < tb end
  if ta == "number" or ta == "string" then return a < b end
  return tostring(a) < tostring(b)
end

local function scalar(v)
  local t = type(v)
  if t == "string" then return string.format("%q", v):gsub("\\\n", "\\n") end
  if t == "number" then
    if math.type(v) == "integer" then return tostring(v) end
    if v ~= v then return "nan" end
    return string.format("%.6g", v)
  end
  local ok, s = pcall(tostring, v)
  return ok and s or ("<" .. t .. ">")
end

local function format(v, opts, indent, seen)
  if type(v) ~= "table" then return scalar(v) end
  local mt = getmetatable(v)
  if mt and rawget(mt, "__tostring") then return scalar(v) end
  if seen[v] then return "<cycle>" end
  if indent >= opts.depth then return "{...}" end
  seen[v] = true
  local n = #v
  local keys = {}
  for k in pairs(v) do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then keys[#keys + 1] = k end
  end
  table.sort(keys, sort_keys)
  local parts, shown, total = {}, 0, n + #keys
  for i = 1, n do
    if shown >= opts.items then break end
    parts[#parts + 1] = format(v[i], opts, indent + 1, seen)
    shown = shown + 1
  end
  for _, k in ipairs(keys) do
    if shown >= opts.items then break end
    local key = is_identifier(k) and k or ("[" .. scalar(k) .. "]")
    parts[#parts + 1] = key .. " = " .. format(v[k], opts, indent + 1, seen)
    shown = shown + 1
  end
  if total > shown then parts[#parts + 1] = string.format("... (%d more)", total - shown) end
  seen[v] = nil
  if #parts == 0 then return "{}" end
  local one = "{" .. table.concat(parts, ", ") .. "}"
  if #one + indent * 2 <= opts.width and not one:find("\n") then return one end
  local pad = string.rep("  ", indent + 1)
  if #keys == 0 then
    -- a long array of scalars: fill lines rather than one item a line
    local simple = true
    for i = 1, math.min(n, opts.items) do if type(v[i]) == "table" then simple = false break end end
    if simple then
      local lines, line = {}, ""
      for i, part in ipairs(parts) do
        local piece = part .. (i < #parts and "," or "")
        if #line > 0 and #line + #piece + 1 + #pad > opts.width then lines[#lines + 1] = line; line = piece
        else line = (#line > 0 and line .. " " or "") .. piece end
      end
      lines[#lines + 1] = line
      return "{\n" .. pad .. table.concat(lines, "\n" .. pad) .. "\n" .. string.rep("  ", indent) .. "}"
    end
  end
  return "{\n" .. pad .. table.concat(parts, ",\n" .. pad) .. "\n" .. string.rep("  ", indent) .. "}"
end

--- The text of a value. opts: depth (3), items (40), width (100).
function M.format(v, opts)
  opts = opts or {}
  return format(v, { depth = opts.depth or 3, items = opts.items or 40, width = opts.width or 100 }, 0, {})
end

--- Prints values as the REPL does (tab-separated, tables formatted).
function M.print(...)
  local n = select("#", ...)
  local out = {}
  for i = 1, n do out[i] = M.format((select(i, ...))) end
  io.write(table.concat(out, "\t"), "\n")
end

return M
