--- gcgap.json: a small JSON encoder and decoder for results files.
--
--   json.encode(value [, indent]) -> string   tables with keys 1..n are arrays, others objects
--                                             (keys sorted, so files diff cleanly); nil → null
--   json.decode(text) -> value                null → json.null
local M = {}
M.null = setmetatable({}, { __tostring = function() return "null" end })

local escapes = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }

local function encode_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c) return escapes[c] or string.format("\\u%04x", c:byte()) end) .. '"'
end

-- Keys 1..#t only, and not mostly holes (a hole is null): a table of a few entries whose #t is
-- 2^40 (Lua's border search can say so) is an object of its keys, not 2^40 nulls.
local function is_array(t)
  local n, count = #t, 0
  for k in pairs(t) do
    if math.type(k) ~= "integer" or k < 1 or k > n then return false end
    count = count + 1
  end
  return n <= 2 * count + 16
end

local MAX_DEPTH = 200

local function encode(v, indent, depth, out, seen)
  local t = type(v)
  if v == nil or v == M.null then out[#out + 1] = "null"
  elseif t == "boolean" then out[#out + 1] = tostring(v)
  elseif t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then out[#out + 1] = "null"
    elseif math.type(v) == "integer" then out[#out + 1] = tostring(v)
    else out[#out + 1] = string.format("%.17g", v) end
  elseif t == "string" then out[#out + 1] = encode_string(v)
  elseif t == "table" then
    if seen[v] then error("json.encode: cannot encode a table that contains itself (a cycle)", 0) end
    if depth >= MAX_DEPTH then error("json.encode: tables nested deeper than " .. MAX_DEPTH .. " levels", 0) end
    seen[v] = true
    local nl = indent and ("\n" .. string.rep(indent, depth + 1)) or ""
    local close = indent and ("\n" .. string.rep(indent, depth)) or ""
    if next(v) == nil then out[#out + 1] = is_array(v) and "[]" or "{}" return end
    if is_array(v) then
      out[#out + 1] = "["
      for i = 1, #v do
        out[#out + 1] = (i > 1 and "," or "") .. nl
        encode(v[i], indent, depth + 1, out, seen)
      end
      out[#out + 1] = close .. "]"
    else
      local keys = {}
      for k in pairs(v) do keys[#keys + 1] = tostring(k) end
      table.sort(keys)
      out[#out + 1] = "{"
      for i, k in ipairs(keys) do
        local val = v[k]
        if val == nil then val = v[tonumber(k)] end
        out[#out + 1] = (i > 1 and "," or "") .. nl .. encode_string(k) .. (indent and ": " or ":")
        encode(val, indent, depth + 1, out, seen)
      end
      out[#out + 1] = close .. "}"
    end
    seen[v] = nil
  else
    error("json.encode: cannot encode a " .. t, 0)
  end
end

function M.encode(v, indent)
  if indent ~= nil and type(indent) ~= "string" then
    error("bad argument #2 to 'encode' (string expected, got " .. type(indent) .. ")", 2)
  end
  local out = {}
  encode(v, indent, 0, out, {})
  return table.concat(out)
end

function M.decode(s)
  if type(s) ~= "string" then error("bad argument #1 to 'decode' (string expected, got " .. type(s) .. ")", 2) end
  local pos = 1
  local function ws() pos = s:find("[^ \t\r\n]", pos) or #s + 1 end
  local function err(msg) error(string.format("json.decode: %s at position %d", msg, pos), 0) end
  local value
  local depth = 0
  local function str()
    local out, i = {}, pos + 1
    while true do
      local c = s:sub(i, i)
      if c == "" then err("unterminated string") end
      if c == '"' then pos = i + 1 return table.concat(out) end
      if c == "\\" then
        local e = s:sub(i + 1, i + 1)
        local map = { b = "\b", f = "\f", n = "\n", r = "\r", t = "\t", ['"'] = '"', ["\\"] = "\\", ["/"] = "/" }
        if map[e] then out[#out + 1] = map[e]; i = i + 2
        elseif e == "u" then
          local code = s:sub(i + 2, i + 5):match("^%x%x%x%x$")
          if not code then err("bad \\u escape") end
          local cp = tonumber(code, 16); i = i + 6
          if cp >= 0xD800 and cp < 0xDC00 then -- a surrogate pair: one code point
            local low = s:sub(i, i + 5):match("^\\u(%x%x%x%x)$")
            local lo = low and tonumber(low, 16)
            if not (lo and lo >= 0xDC00 and lo < 0xE000) then err("lone surrogate") end
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00); i = i + 6
          elseif cp >= 0xDC00 and cp < 0xE000 then err("lone surrogate") end
          out[#out + 1] = utf8.char(cp)
        else err("bad escape") end
      else out[#out + 1] = c; i = i + 1 end
    end
  end
  function value()
    ws()
    local c = s:sub(pos, pos)
    if c == "{" or c == "[" then
      depth = depth + 1
      if depth > MAX_DEPTH then err("nested deeper than " .. MAX_DEPTH .. " levels") end
    end
    if c == "{" then
      local t = {}
      pos = pos + 1; ws()
      if s:sub(pos, pos) == "}" then pos = pos + 1; depth = depth - 1 return t end
      while true do
        ws()
        if s:sub(pos, pos) ~= '"' then err("object key expected") end
        local k = str(); ws()
        if s:sub(pos, pos) ~= ":" then err("':' expected") end
        pos = pos + 1
        t[k] = value(); ws()
        local d = s:sub(pos, pos); pos = pos + 1
        if d == "}" then depth = depth - 1 return t elseif d ~= "," then err("',' or '}' expected") end
      end
    elseif c == "[" then
      local t = {}
      pos = pos + 1; ws()
      if s:sub(pos, pos) == "]" then pos = pos + 1; depth = depth - 1 return t end
      while true do
        t[#t + 1] = value(); ws()
        local d = s:sub(pos, pos); pos = pos + 1
        if d == "]" then depth = depth - 1 return t elseif d ~= "," then err("',' or ']' expected") end
      end
    elseif c == '"' then return str()
    elseif s:sub(pos, pos + 3) == "true" then pos = pos + 4 return true
    elseif s:sub(pos, pos + 4) == "false" then pos = pos + 5 return false
    elseif s:sub(pos, pos + 3) == "null" then pos = pos + 4 return M.null
    else
      local num = s:match("^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
      if not num or num == "" then err("unexpected character '" .. c .. "'") end
      local v = tonumber(num)
      if not v then err("bad number '" .. num .. "'") end
      pos = pos + #num
      return math.tointeger(v) or v
    end
  end
  local v = value(); ws()
  if pos <= #s then err("trailing characters") end
  return v
end

return M
