--- gcgap.help: the documentation of every public function, and `help` for the REPL.
--
--   help()                    an overview: the modules, their functions, one line each
--   help(gcgap.score.causal)  one function: signature, options with defaults, returns, example
--   help "score.causal"       the same, by name ("model:train", "tensor:max", "experiment.run")
--   help(m)                   a userdata's type and its methods
--
-- The texts live in one place, stdlib/gcgap/docs.lua, one entry per function or method,
-- keyed by its name: "zeros", "score.causal", "model:train", "experiment.preset". The same
-- entries make docs/API.md (scripts/dev/api_doc.lua), and a test fails when a public
-- function or method has none (help.missing()).
local H = {}

local docs = require "gcgap.docs"

H.entries = {}
for _, e in ipairs(docs.entries) do H.entries[e.name] = e end
H.sections = docs.sections

--- The public functions: name -> function, from the gcgap module, its sub-tables, the
-- userdata method tables and the stdlib modules with a public face.
function H.public()
  local gc = require "gcgap"
  local out = {}
  local function walk(prefix, t, depth)
    for k, v in pairs(t) do
      if type(k) == "string" and not k:match("^_") then
        if type(v) == "function" then out[prefix .. k] = v
        elseif type(v) == "table" and depth < 1 and k ~= "core" and k ~= "pretty" and getmetatable(v) == nil then
          walk(prefix .. k .. ".", v, depth + 1)
        end
      end
    end
  end
  walk("", gc, 0)
  out["pretty.format"], out["pretty.print"] = gc.pretty.format, gc.pretty.print
  for modname, short in pairs { ["gcgap.experiment"] = "experiment", ["gcgap.report"] = "report", ["gcgap.json"] = "json",
                                 ["gcgap.verdict"] = "verdict", ["gcgap.ladder"] = "ladder", ["gcgap.circuits"] = "circuits", ["gcgap.plot"] = "plot",
                                 ["gcgap.beyond"] = "beyond" } do
    local mod = require(modname)
    for k, v in pairs(mod) do
      if type(k) == "string" and type(v) == "function" then out[short .. "." .. k] = v end
    end
  end
  -- methods of every userdata type, from a live object of each
  local m = gc.model { n_layers = 1, n_heads = 1, d_model = 4, d_head = 4, d_mlp = 4, n_ctx = 8, seed = 0 }
  local task = gc.task.reverse()
  local b = task:batch { size = 1, length = 1 }
  local objects = {
    tensor = gc.zeros(1), model = m, task = task, batch = b,
    hook = m:hook("L0.MLP", function() end), means = gc.means(m, b),
  }
  m:clear_hooks()
  for kind, obj in pairs(objects) do
    local mt = getmetatable(obj)
    for k, v in pairs(mt.__methods or {}) do out[kind .. ":" .. k] = v end
  end
  return out
end

--- Names of public functions without an entry (what the completeness test checks).
function H.missing()
  local out = {}
  for name in pairs(H.public()) do
    if not H.entries[name] then out[#out + 1] = name end
  end
  table.sort(out)
  return out
end

local by_function
local function name_of(f)
  if not by_function then
    by_function = {}
    for name, fn in pairs(H.public()) do
      -- a function reachable under two names (E.write_file is gcgap.write_file) keeps the shorter
      if not by_function[fn] or #name < #by_function[fn] then by_function[fn] = name end
    end
  end
  return by_function[f]
end

--- The entry for a name, accepting "gcgap.x", "m:train" style prefixes and unique suffixes.
function H.find(name)
  if H.entries[name] then return H.entries[name] end
  local n = name:gsub("^gcgap%.", ""):gsub("^gc%.", "")
  if H.entries[n] then return H.entries[n] end
  local matches = {}
  for key, e in pairs(H.entries) do
    if key:sub(-#n - 1) == "." .. n or key:sub(-#n - 1) == ":" .. n then matches[#matches + 1] = e end
  end
  if #matches == 1 then return matches[1] end
  if #matches > 1 then
    table.sort(matches, function(a, b) return a.name < b.name end)
    local names = {}
    for _, e in ipairs(matches) do names[#names + 1] = e.name end
    return nil, "'" .. name .. "' is ambiguous: " .. table.concat(names, ", ")
  end
  return nil, "no help for '" .. name .. "' (help() lists everything)"
end

local function wrap(text, indent, width)
  local out, line = {}, indent
  for word in tostring(text):gmatch("%S+") do
    if #line + #word + 1 > width and #line > #indent then out[#out + 1] = line; line = indent end
    line = line .. (#line > #indent and " " or "") .. word
  end
  if #line > #indent then out[#out + 1] = line end
  return table.concat(out, "\n")
end

--- One entry as text (what help(f) prints).
function H.text(e)
  local out = { e.sig .. (e.returns and ("  ->  " .. e.returns) or "") }
  out[#out + 1] = wrap(e.text, "  ", 92)
  if e.opts and #e.opts > 0 then
    out[#out + 1] = "  Options:"
    local w = 0
    for _, o in ipairs(e.opts) do w = math.max(w, #o[1] + #tostring(o[2]) + 3) end
    for _, o in ipairs(e.opts) do
      local head = o[1] .. " = " .. tostring(o[2])
      out[#out + 1] = "    " .. head .. string.rep(" ", w - #head + 2) .. o[3]
    end
  end
  if e.example then
    out[#out + 1] = "  Example:"
    for l in (e.example .. "\n"):gmatch("(.-)\n") do out[#out + 1] = "    " .. l end
  end
  if e.cost then out[#out + 1] = "  Cost: " .. e.cost end
  return table.concat(out, "\n")
end

--- An entry's first sentence (never cut mid-sentence: "e.g." and "1.5" do not end one).
function H.summary(e)
  local text = tostring(e.text)
  local at = 1
  while true do
    local i = text:find("%.%s", at)
    if not i then return text end
    local before = text:sub(math.max(1, i - 4), i)
    if not (before:find("e%.g%.$") or before:find("i%.e%.$") or before:find("vs%.$") or before:find("%f[%w]cf%.$")) then
      return text:sub(1, i)
    end
    at = i + 1
  end
end

-- a section by (the start of) its title, case-insensitive
local function section(name)
  local n = name:lower()
  for _, s in ipairs(H.sections) do
    if s.title:lower():sub(1, #n) == n then return s end
  end
end

local function section_text(s)
  local out = { s.title }
  for _, key in ipairs(s.names) do
    local e = H.entries[key]
    if e then
      local body = wrap(H.summary(e), string.rep(" ", 27), 100)
      out[#out + 1] = string.format("  %-24s ", key) .. body:sub(28)
    end
  end
  return table.concat(out, "\n")
end

-- help(): every section with its names, one screen; help "Tensors" lists a section's summaries
local function overview()
  local out = { "gcgap " .. (require "gcgap").version .. ": help(f) or help \"name\" for one function, help \"Tensors\" (any section's first word) for a section.", "" }
  for _, s in ipairs(H.sections) do
    out[#out + 1] = s.title:gsub(" %(.*%)$", "") .. ":"
    out[#out + 1] = wrap(table.concat(s.names, " "), "    ", 100)
  end
  return table.concat(out, "\n")
end

--- help(x): prints the documentation of x (see the top of this file). Returns nothing.
function H.help(x)
  local t = type(x)
  local text
  if x == nil then
    text = overview()
  elseif t == "function" then
    local name = name_of(x)
    text = name and H.entries[name] and H.text(H.entries[name]) or "no help for this function (it is not one of gcgap's)"
  elseif t == "string" then
    local e, err = H.find(x)
    local sec = not e and section(x)
    text = e and H.text(e) or (sec and section_text(sec)) or err
  elseif t == "userdata" then
    local mt = getmetatable(x)
    local kind = mt and mt.__name
    if not kind then text = "no help for this userdata" else
      local names = {}
      for k in pairs(mt.__methods or {}) do names[#names + 1] = k end
      table.sort(names)
      local out = { kind .. ": " .. tostring(x), "  Methods (help \"" .. kind .. ":NAME\" for one):" }
      for _, k in ipairs(names) do
        local e = H.entries[kind .. ":" .. k]
        out[#out + 1] = string.format("    %-14s %s", k, e and H.summary(e) or "")
      end
      text = table.concat(out, "\n")
    end
  elseif t == "table" then
    local out = {}
    for name, fn in pairs(H.public()) do
      for k, v in pairs(x) do if v == fn then out[#out + 1] = name end end
    end
    table.sort(out)
    text = #out > 0 and ("Functions here: " .. table.concat(out, ", ")) or "no help for this table"
  else
    text = "help(): a function, a name, a userdata or nothing expected, got " .. t
  end
  print(text)
end

--- docs/API.md: every entry, by section.
function H.markdown()
  local out = { "# gcgap API", "",
    "Generated from `stdlib/gcgap/docs.lua` by `gcgap scripts/dev/api_doc.lua`; in the REPL, `help(f)` prints the same text.", "" }
  for _, s in ipairs(H.sections) do
    out[#out + 1] = "## " .. s.title
    out[#out + 1] = ""
    for _, key in ipairs(s.names) do
      local e = H.entries[key]
      if e then
        out[#out + 1] = "### `" .. e.sig .. "`" .. (e.returns and (" → " .. e.returns) or "")
        out[#out + 1] = ""
        out[#out + 1] = e.text
        out[#out + 1] = ""
        if e.opts and #e.opts > 0 then
          out[#out + 1] = "| option | default | meaning |"
          out[#out + 1] = "|---|---|---|"
          for _, o in ipairs(e.opts) do
            out[#out + 1] = string.format("| `%s` | `%s` | %s |", o[1], tostring(o[2]), (o[3]:gsub("|", "\\|")))
          end
          out[#out + 1] = ""
        end
        if e.cost then out[#out + 1] = "Cost: " .. e.cost; out[#out + 1] = "" end
        if e.example then
          out[#out + 1] = "```lua"
          out[#out + 1] = e.example
          out[#out + 1] = "```"
          out[#out + 1] = ""
        end
      end
    end
  end
  return table.concat(out, "\n")
end

return H
