--- gcgap.kernel: the Lua side of gcgap's Jupyter kernel (scripts/jupyter/gcgap_kernel.py
-- speaks Jupyter's protocol and runs `gcgap -e "require('gcgap.kernel').serve()"`).
--
-- One request per line on stdin, as JSON: {op = "execute", code = ...}, {op = "complete",
-- code = ..., cursor = n}, {op = "inspect", code = ..., cursor = n}. What a cell prints goes
-- to stdout as it happens; each request's reply is one line on stdout after the byte 0x1E:
--   execute  -> {status = "ok", displays = {{data = {mime = text}}, ...}} or
--               {status = "error", ename =, evalue =, traceback = {...}}
--   complete -> {matches = {...}, start = n, stop = n}   (cursors count bytes)
--   inspect  -> {found = bool, text = ...}
-- A cell is run as the REPL runs a line: as an expression first (its values are shown), else
-- as statements. One state per kernel: globals persist between cells.
local gc = require "gcgap"
local json = require "gcgap.json"
local pretty = require "gcgap.pretty"
local K = {}

K.MARK = "\30"
K.max_html_cells = 2500

local function escape(s) return (tostring(s):gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;")) end

--- An HTML table of a 1-D or 2-D tensor (nil for other ranks or more than max_html_cells).
function K.tensor_html(t)
  local shape = t:shape()
  if #shape > 2 or t:numel() > K.max_html_cells or t:numel() == 0 then return nil end
  local rows = #shape == 2 and shape[1] or 1
  local cols = #shape == 2 and shape[2] or shape[1]
  local v = t:totable()
  local out = { string.format("<table><caption>tensor %s</caption>", table.concat(shape, "×")) }
  for i = 1, rows do
    local cells = {}
    for j = 1, cols do
      local x = #shape == 2 and v[i][j] or v[j]
      cells[j] = string.format("<td>%.4g</td>", x)
    end
    out[#out + 1] = "<tr>" .. table.concat(cells) .. "</tr>"
  end
  out[#out + 1] = "</table>"
  return table.concat(out)
end

--- What Jupyter shows for a value: {mime = text}. A value with an `svg` method (gcgap.plot's
-- figures) shows as an image, one with a `markdown` method (gcgap.plot.markdown) as rendered
-- Markdown, a tensor also as an HTML table, anything else as the REPL prints it.
function K.display(v)
  local data = { ["text/plain"] = pretty.format(v) }
  local mt = getmetatable(v)
  local methods = type(v) == "table" and mt and type(mt.__index) == "table" and mt.__index or {}
  if type(methods.svg) == "function" then
    data["image/svg+xml"] = v:svg()
  elseif type(methods.markdown) == "function" then
    data["text/markdown"] = v:markdown()
  elseif gc.is_tensor(v) then
    data["text/html"] = K.tensor_html(v)
  end
  return data
end

-- As the REPL: the cell as an expression; else, as in a notebook, statements whose last line
-- is an expression shown as the cell's value; else statements.
local function compile(code)
  local f = load("return " .. code, "=cell", "t")
  if f then return f end
  -- the shortest tail of whole lines that is an expression (a call may span lines)
  local starts = {}
  for at in code:gmatch("()[^\n]*") do starts[#starts + 1] = at end
  for k = #starts, 2, -1 do
    local head, tail = code:sub(1, starts[k] - 1), code:sub(starts[k])
    if tail:find("%S") then
      f = load(head .. "return " .. tail, "=cell", "t")
      if f then return f end
    end
  end
  return load(code, "=cell", "t")
end

--- Runs one cell; returns the reply.
function K.execute(code)
  local f, err = compile(code)
  if not f then return { status = "error", ename = "SyntaxError", evalue = err, traceback = { err } } end
  local res = table.pack(xpcall(f, debug.traceback))
  if not res[1] then
    -- the traceback up to the cell (the kernel's own frames are not the user's business)
    local msg = tostring(res[2]):gsub("\n%s*%[C%]: in function 'xpcall'.*$", "")
    local ename = msg:find("interrupted!", 1, true) and "Interrupted" or "LuaError"
    return { status = "error", ename = ename, evalue = msg:match("^[^\n]*"), traceback = { msg } }
  end
  local displays = {}
  for i = 2, res.n do displays[#displays + 1] = { data = K.display(res[i]) } end
  return { status = "ok", displays = displays }
end

-- the dotted/colon name that ends at byte `cursor` of `code`, and where it starts
local function word_before(code, cursor)
  local head = code:sub(1, cursor)
  local start = #head - #(head:match("[%w_%.:]*$")) + 1
  return head:sub(start), start
end

--- Completions of the name before the cursor: globals, fields of tables, methods of userdata.
function K.complete(code, cursor)
  local word, start = word_before(code, cursor)
  local base, sep, prefix = word:match("^(.*)([%.:])([%w_]*)$")
  local scope = _G
  if base then
    scope = _G
    for part in base:gmatch("[^%.:]+") do
      scope = type(scope) == "table" and rawget(scope, part) or nil
      if scope == nil then break end
    end
  else
    prefix = word
  end
  local keys = {}
  if type(scope) == "table" then
    for k in pairs(scope) do if type(k) == "string" then keys[#keys + 1] = k end end
  end
  local mt = scope ~= nil and getmetatable(scope)
  if type(mt) == "table" and type(mt.__methods) == "table" then for k in pairs(mt.__methods) do keys[#keys + 1] = k end end
  local matches = {}
  for _, k in ipairs(keys) do
    if k:sub(1, #prefix) == prefix then matches[#matches + 1] = (base and (base .. sep) or "") .. k end
  end
  table.sort(matches)
  return { matches = matches, start = start - 1, stop = cursor }
end

--- gcgap's help for the name at the cursor (help "name" as text).
function K.inspect(code, cursor)
  local word = word_before(code, cursor)
  word = word ~= "" and word or code:sub(cursor + 1):match("^[%w_%.:]+") or ""
  if word == "" then return { found = false } end
  local H = require "gcgap.help"
  local e = H.find(word)
  if e then return { found = true, text = H.text(e) } end
  local ok, v = pcall(function() return (load("return " .. word, "=inspect", "t") or error("no"))() end)
  if ok and v ~= nil then return { found = true, text = pretty.format(v) } end
  return { found = false }
end

local function reply(t)
  io.stdout:write(K.MARK, json.encode(t), "\n")
  io.stdout:flush()
end

--- The request loop: until stdin closes. Every request is answered, also when it fails.
function K.serve()
  io.stdout:setvbuf("line")
  while true do
    local ok, line = pcall(io.read, "l")
    if ok and line == nil then return end
    if ok and line ~= "" then
      local done, out = pcall(function()
        local req = json.decode(line)
        if req.op == "execute" then return K.execute(req.code or "")
        elseif req.op == "complete" then return K.complete(req.code or "", req.cursor or #(req.code or ""))
        elseif req.op == "inspect" then return K.inspect(req.code or "", req.cursor or 0)
        end
        return { status = "error", ename = "KernelError", evalue = "unknown op " .. tostring(req.op), traceback = {} }
      end)
      io.stdout:flush()
      reply(done and out or { status = "error", ename = "KernelError", evalue = tostring(out), traceback = { tostring(out) } })
    end
  end
end

return K
