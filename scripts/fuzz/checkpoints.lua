--- scripts/fuzz/checkpoints.lua: the checkpoint fuzzer. Saves tiny models with m:save,
-- makes mutants of the file's bytes (the 8-byte header length, the JSON header, the data,
-- truncations, trailing bytes, and stacks of these) and loads each with gcgap.load and
-- gcgap.load_tensors under pcall. An error is the right answer to a damaged file; a crash
-- (or hang) of the process is a bug, and so is a model that loads but is not what the file
-- says (a silent wrong answer).
--
-- Run (from the repository root):
--
--   timeout 600 .build/release/gcgap scripts/fuzz/checkpoints.lua [--mutants N] [--seed S]
--        [--dir DIR] [--log FILE] [--keep] [--quiet]
--
--   --mutants N   number of mutants (default 2000)
--   --seed S      math.randomseed(S); the same seed makes the same mutants (default 1)
--   --dir DIR     an existing folder for the files (default: a prefix from os.tmpname());
--                 the mutant being loaded is always DIR/mutant.safetensors
--   --log FILE    each mutant's description is written here before it is loaded
--                 (default: DIR/checkpoints.log)
--   --keep        keep every mutant as DIR/mutant-<n>.safetensors (the first 20 wrong
--                 ones are always kept, as DIR/wrong-<n>.safetensors)
--
-- How a crash shows up: the process dies (exit status 139 segfault, 134 abort, 132/133 a
-- Swift trap, 124 from `timeout` for a hang) without the summary line. The last line of the
-- log names the mutant, and the file that crashed the loader is still DIR/mutant.safetensors:
--
--   gcgap -e 'print(pcall(gcgap.load, "DIR/mutant.safetensors"))'
--
-- Each mutant is classified by what gcgap.load did with it:
--   rejected            an error (right for a damaged file)
--   accepted identical  the model gives the original's logits on a fixed batch, bit for bit
--                       (e.g. a change inside unused metadata, JSON whitespace, F32 -> F64)
--   accepted different  other logits. The fuzzer reads the mutant itself (a strict Lua reader
--                       of the safetensors format and of the checkpoint conventions) and
--                       splits these into
--                         valid edits: the file is valid and the loaded model is exactly what
--                           it says (every parameter, bit for bit, and the configuration),
--                           e.g. a finite weight changed, act_fn = relu, F16 re-encoding;
--                         WRONG: anything else (a silent wrong answer: a bug), including a
--                           model that computes NaN or inf logits (e.g. a weight of 3e38),
--                           and any accepted file with duplicate keys whose model differs.
--                       A file that is invalid only through trailing bytes, a byte order mark,
--                       trailing commas or numbers such as 2e0 / 2.5 for integers is read
--                       leniently for this check (and counted as lenient).
-- Also counted: files the Lua reader finds invalid but gcgap accepts ("lenient", e.g. a
-- duplicate key), and gcgap.load_tensors results checked against the Lua reader.
--
-- Summary: `checkpoint fuzz: N mutants, A rejected, B accepted identical, C accepted
-- different, 0 crashes, seed S` (C counts the wrong ones; valid edits are on the next line).
--
-- Training checkpoints (issue 19): a 4-step run of a tiny model keeps its state in a
-- checkpoint (parameters, Adam's moments, step counters, losses, history); T mutants of it
-- (--train-mutants, default N/10) change a moment or parameter (NaN, inf, negative, huge),
-- a dtype, the step counters (beyond the run's steps, signs, leading zeros, apart from each
-- other), the losses, accuracies and history, or apply one of the byte mutations above; a
-- 6-step run resumes each. A strict Lua reader of the training-checkpoint rules (the ones
-- TrainingState.load documents) judges what was resumed: `training checkpoints: T mutants,
-- R rejected, I resumed identically, V resumed valid edits, W wrong` where wrong is an
-- accepted file the reader finds invalid, a run returning other than 6 steps, or a model
-- with NaN or inf logits.
-- Exit status 1 when C > 0, W > 0 or load_tensors returned tensors that differ from the file.

local USAGE = "usage: gcgap scripts/fuzz/checkpoints.lua [--mutants N] [--train-mutants T] [--seed S] [--dir DIR] [--log FILE] [--keep] [--quiet]"

local opt = { mutants = 2000, seed = 1 }
do
  local argv, i = { ... }, 1
  local function val() i = i + 1; if argv[i] == nil then io.stderr:write(USAGE, "\n"); os.exit(2) end; return argv[i] end
  while argv[i] do
    local a = argv[i]
    if a == "--mutants" then opt.mutants = math.tointeger(tonumber(val()))
    elseif a == "--train-mutants" then opt.train_mutants = math.tointeger(tonumber(val()))
    elseif a == "--seed" then opt.seed = math.tointeger(tonumber(val()))
    elseif a == "--dir" then opt.dir = val()
    elseif a == "--log" then opt.log = val()
    elseif a == "--keep" then opt.keep = true
    elseif a == "--quiet" then opt.quiet = true
    elseif a == "-h" or a == "--help" then print(USAGE); os.exit(0)
    else io.stderr:write("unknown argument '", a, "'\n", USAGE, "\n"); os.exit(2) end
    i = i + 1
  end
  if not (opt.mutants and opt.seed) then io.stderr:write(USAGE, "\n"); os.exit(2) end
  opt.train_mutants = opt.train_mutants or math.max(20, opt.mutants // 10)
end

local gc = require "gcgap"
local R = math.random
local function pick(t) return t[R(#t)] end
local function chance(p) return R() < p end

local prefix
if opt.dir then prefix = opt.dir:gsub("/$", "") .. "/" else prefix = os.tmpname() .. "-" end
local tmpfile = not opt.dir and prefix:sub(1, -2) or nil
local function path(name) return prefix .. name end

local function read_all(p) local f = assert(io.open(p, "rb")); local s = f:read("a"); f:close(); return s end
local function write_all(p, s) local f = assert(io.open(p, "wb")); f:write(s); f:close() end

-- ------------------------------------------------------------------ a strict JSON reader
-- Objects are { kind = "object", keys = {...in order}, map = {} }, numbers are
-- { kind = "int", text = ... } or { kind = "num", value = ... }; duplicate keys, lone
-- surrogates, control characters, leading zeros, invalid UTF-8 and nesting beyond 64 are
-- errors.
local function json_parse(s, lenient)
  local pos, depth = 1, 0
  if lenient and s:sub(1, 3) == "\239\187\191" then pos = 4 end   -- a byte order mark
  local function fail(msg) error({ json = msg .. " at byte " .. pos }, 0) end
  local function ws() pos = s:find("[^ \t\r\n]", pos) or #s + 1 end
  local value
  local function utf8ok(str) return utf8.len(str) ~= nil end
  local function str()
    local out, i = {}, pos + 1
    while true do
      local c = s:sub(i, i)
      if c == "" then fail("unterminated string") end
      if c == '"' then pos = i + 1; local r = table.concat(out); if not utf8ok(r) then fail("invalid UTF-8") end; return r end
      if c:byte() < 32 then fail("control character in string") end
      if c == "\\" then
        local e = s:sub(i + 1, i + 1)
        local map = { b = "\b", f = "\f", n = "\n", r = "\r", t = "\t", ['"'] = '"', ["\\"] = "\\", ["/"] = "/" }
        if map[e] then out[#out + 1] = map[e]; i = i + 2
        elseif e == "u" then
          local h = s:sub(i + 2, i + 5)
          if not h:match("^%x%x%x%x$") then fail("bad \\u escape") end
          local cp = tonumber(h, 16)
          i = i + 6
          if cp >= 0xD800 and cp <= 0xDBFF then
            local h2 = s:match("^\\u(%x%x%x%x)", i)
            local lo = h2 and tonumber(h2, 16)
            if not lo or lo < 0xDC00 or lo > 0xDFFF then fail("lone surrogate") end
            cp = 0x10000 + (cp - 0xD800) * 0x400 + (lo - 0xDC00)
            i = i + 6
          elseif cp >= 0xDC00 and cp <= 0xDFFF then fail("lone surrogate") end
          out[#out + 1] = utf8.char(cp)
        else fail("bad escape") end
      else out[#out + 1] = c; i = i + 1 end
    end
  end
  function value()
    ws()
    local c = s:sub(pos, pos)
    if c == "{" or c == "[" then
      depth = depth + 1
      if depth > 64 then fail("nested too deep") end
    end
    if c == "{" then
      local t = { kind = "object", keys = {}, map = {} }
      pos = pos + 1; ws()
      if s:sub(pos, pos) == "}" then pos = pos + 1; depth = depth - 1; return t end
      while true do
        ws()
        if lenient and s:sub(pos, pos) == "}" then pos = pos + 1; depth = depth - 1; return t end   -- a trailing comma
        if s:sub(pos, pos) ~= '"' then fail("key expected") end
        local k = str(); ws()
        if s:sub(pos, pos) ~= ":" then fail("':' expected") end
        pos = pos + 1
        if t.map[k] ~= nil then fail("duplicate key '" .. k .. "'") end
        t.keys[#t.keys + 1] = k
        t.map[k] = value(); ws()
        local d = s:sub(pos, pos); pos = pos + 1
        if d == "}" then depth = depth - 1; return t elseif d ~= "," then fail("',' or '}' expected") end
      end
    elseif c == "[" then
      local t = { kind = "array" }
      pos = pos + 1; ws()
      if s:sub(pos, pos) == "]" then pos = pos + 1; depth = depth - 1; return t end
      while true do
        if lenient then ws(); if s:sub(pos, pos) == "]" then pos = pos + 1; depth = depth - 1; return t end end
        t[#t + 1] = value(); ws()
        local d = s:sub(pos, pos); pos = pos + 1
        if d == "]" then depth = depth - 1; return t elseif d ~= "," then fail("',' or ']' expected") end
      end
    elseif c == '"' then return str()
    elseif s:sub(pos, pos + 3) == "true" then pos = pos + 4; return { kind = "bool", value = true }
    elseif s:sub(pos, pos + 4) == "false" then pos = pos + 5; return { kind = "bool", value = false }
    elseif s:sub(pos, pos + 3) == "null" then pos = pos + 4; return { kind = "null" }
    else
      local num = s:match("^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
      if not num or num == "" or num == "-" then fail("unexpected character") end
      local int = num:match("^-?%d+$")
      if not (num:match("^-?0$") or num:match("^-?[1-9]%d*") or num:match("^-?0[.eE]")) then fail("leading zero") end
      if num:match("%.$") or num:match("%.[eE]") or num:match("[eE][-+]?$") then fail("bad number") end
      pos = pos + #num
      if int then return { kind = "int", text = num } end
      local v = tonumber(num)
      if lenient and v and v == v and math.abs(v) < 2 ^ 53 then return { kind = "int", text = string.format("%d", math.floor(v)) } end
      return { kind = "num", value = tonumber(num) }
    end
  end
  local ok, v = pcall(function()
    local r = value(); ws()
    if pos <= #s then fail("trailing characters") end
    return r
  end)
  if ok then return v end
  if type(v) == "table" and v.json then return nil, v.json end
  return nil, tostring(v)
end

-- ------------------------------------------------------------------ the reference reader
local SIZES = { F32 = 4, F64 = 8, F16 = 2, BF16 = 2, I64 = 8, I32 = 4, I16 = 2, I8 = 1, U8 = 1, BOOL = 1 }
local FLOAT_DTYPES = { F32 = true, F64 = true, F16 = true, BF16 = true }

local function f32(x) return (string.unpack("<f", string.pack("<f", x))) end
local function half(h)
  local sign = (h >> 15) == 1 and -1 or 1
  local e, f = (h >> 10) & 0x1f, h & 0x3ff
  if e == 0 then return sign * f * 2.0 ^ -24 end
  if e == 31 then return f == 0 and sign * math.huge or 0 / 0 end
  return sign * (1 + f / 1024) * 2.0 ^ (e - 15)
end
local function decode(bytes, start, dtype, count)
  local out = {}
  local size = SIZES[dtype]
  for i = 0, count - 1 do
    local p = start + i * size
    local v
    if dtype == "F32" then v = string.unpack("<f", bytes, p)
    elseif dtype == "F64" then v = f32(string.unpack("<d", bytes, p))
    elseif dtype == "F16" then v = half(string.unpack("<I2", bytes, p))
    elseif dtype == "BF16" then v = string.unpack("<f", string.pack("<I4", string.unpack("<I2", bytes, p) << 16))
    elseif dtype == "I64" then v = f32(string.unpack("<i8", bytes, p))
    elseif dtype == "I32" then v = f32(string.unpack("<i4", bytes, p))
    elseif dtype == "I16" then v = string.unpack("<i2", bytes, p)
    elseif dtype == "I8" then v = string.unpack("<i1", bytes, p)
    else v = string.unpack("<B", bytes, p) end
    out[#out + 1] = v
  end
  return out
end

--- Reads a safetensors file as the format says. Returns { tensors = {name = {shape, data,
--- dtype}}, metadata = {}, names = {} } or nil and why the file is invalid.
local function reference_read(bytes, lenient)
  if #bytes < 8 then return nil, "shorter than 8 bytes" end
  local n = string.unpack("<I8", bytes)
  if n < 2 or n > #bytes - 8 then return nil, "header length does not fit" end
  local header = bytes:sub(9, 8 + n)
  local j, why = json_parse(header, lenient)
  if not j then return nil, "header: " .. why end
  if type(j) ~= "table" or j.kind ~= "object" then return nil, "header is not an object" end
  local body = #bytes - 8 - n
  local out = { tensors = {}, metadata = {}, names = {} }
  local spans = {}
  for _, key in ipairs(j.keys) do
    local v = j.map[key]
    if key == "__metadata__" then
      if type(v) ~= "table" or v.kind ~= "object" then return nil, "__metadata__ is not an object" end
      for _, k in ipairs(v.keys) do
        if type(v.map[k]) ~= "string" then return nil, "metadata value is not a string" end
        out.metadata[k] = v.map[k]
      end
    else
      if type(v) ~= "table" or v.kind ~= "object" then return nil, "entry is not an object" end
      for _, f in ipairs(v.keys) do
        if f ~= "dtype" and f ~= "shape" and f ~= "data_offsets" then return nil, "unexpected field " .. f end
      end
      local dtype, shape, offs = v.map.dtype, v.map.shape, v.map.data_offsets
      if type(dtype) ~= "string" or not SIZES[dtype] then return nil, "bad dtype" end
      if type(shape) ~= "table" or shape.kind ~= "array" then return nil, "bad shape" end
      if type(offs) ~= "table" or offs.kind ~= "array" or #offs ~= 2 then return nil, "bad data_offsets" end
      local dims, count = {}, 1
      for _, d in ipairs(shape) do
        if type(d) ~= "table" or d.kind ~= "int" or d.text:sub(1, 1) == "-" or #d.text > 15 then return nil, "bad shape entry" end
        dims[#dims + 1] = math.tointeger(tonumber(d.text))
        count = count * dims[#dims]
        if count > 2 ^ 40 then return nil, "shape too large" end
      end
      local o = {}
      for k = 1, 2 do
        local d = offs[k]
        if type(d) ~= "table" or d.kind ~= "int" or d.text:sub(1, 1) == "-" or #d.text > 15 then return nil, "bad offset" end
        o[k] = math.tointeger(tonumber(d.text))
      end
      if o[1] > o[2] or o[2] > body then return nil, "offsets outside the data" end
      if o[2] - o[1] ~= count * SIZES[dtype] then return nil, "offsets do not match the shape" end
      spans[#spans + 1] = { o[1], o[2], key }
      out.tensors[key] = { shape = dims, dtype = dtype, data = decode(bytes, 9 + n + o[1], dtype, count) }
      if dtype == "BOOL" then
        for _, v in ipairs(out.tensors[key].data) do if v > 1 then return nil, "a BOOL byte other than 0 or 1" end end
      end
    end
  end
  table.sort(spans, function(a, b) return a[1] < b[1] or (a[1] == b[1] and a[2] < b[2]) end)
  local at = 0
  for _, sp in ipairs(spans) do
    if sp[1] ~= at then return nil, sp[1] < at and "overlapping tensors" or "gap between tensors" end
    at = sp[2]
    out.names[#out.names + 1] = sp[3]
  end
  if at ~= body and not (lenient and at < body) then return nil, "trailing bytes" end
  return out
end

--- The configuration a checkpoint states (metadata, else the shapes), as gcgap's loader
--- documents it; nil when it cannot be a model.
local function reference_config(ref)
  local t, meta = ref.tensors, ref.metadata
  local wE, wQ, wIn, wPos = t["embed.W_E"], t["blocks.0.attn.W_Q"], t["blocks.0.mlp.W_in"], t["pos_embed.W_pos"]
  if not (wE and wQ and wIn and wPos) or #wE.shape ~= 2 or #wQ.shape ~= 3 or #wIn.shape ~= 2 or #wPos.shape ~= 2 then return nil end
  local layers = 0
  for name in pairs(t) do
    local l = name:match("^blocks%.(%d+)%.")
    if l then layers = math.max(layers, tonumber(l) + 1) end
  end
  local zero = true
  for _, v in ipairs(wPos.data) do if v ~= 0 then zero = false break end end
  return {
    n_layers = layers, d_vocab = wE.shape[1], d_model = wE.shape[2], n_heads = wQ.shape[1], d_head = wQ.shape[3],
    d_mlp = wIn.shape[2], n_ctx = wPos.shape[1], act = meta.act_fn or "gelu",
    eps = meta.eps and tonumber(meta.eps) and f32(tonumber(meta.eps)) or f32(1e-5),
    positions = meta.positions or (zero and "none" or "learned"),
  }
end

local function flat(x, out)
  if type(x) == "table" then for _, v in ipairs(x) do flat(v, out) end else out[#out + 1] = x end
  return out
end
local function same_value(a, b) return a == b or (a ~= a and b ~= b) end

--- Is the loaded model exactly what the file says? nil, or the first difference.
local function unfaithful(m, ref)
  local cfg = reference_config(ref)
  if not cfg then return "the file cannot describe a model, yet it loaded" end
  local got = m:config()
  for _, k in ipairs { "n_layers", "d_vocab", "d_model", "n_heads", "d_head", "d_mlp", "n_ctx", "act", "positions" } do
    if got[k] ~= cfg[k] then return string.format("config %s is %s, the file says %s", k, tostring(got[k]), tostring(cfg[k])) end
  end
  if f32(got.eps) ~= cfg.eps then return string.format("eps is %s, the file says %s", tostring(got.eps), tostring(cfg.eps)) end
  for _, name in ipairs(m:params()) do
    local r = ref.tensors[name]
    if not r then return "parameter " .. name .. " is not in the file" end
    local v = flat(m:param(name):totable(), {})
    if #v ~= #r.data then return "parameter " .. name .. " has " .. #v .. " values, the file " .. #r.data end
    for k = 1, #v do
      if not same_value(v[k], f32(r.data[k])) then
        return string.format("parameter %s[%d] is %.9g, the file says %.9g", name, k, v[k], r.data[k])
      end
    end
  end
  for name in pairs(ref.tensors) do
    if not name:match("%.attn%.mask$") and not name:match("%.attn%.IGNORE$") then
      local ok = pcall(m.param, m, name)
      if not ok then return "the file's tensor " .. name .. " is not a parameter of the loaded model" end
    end
  end
end

--- load_tensors' result against the reference reading; nil when they agree.
local function tensors_differ(got, ref)
  for name, r in pairs(ref.tensors) do
    local t = got[name]
    if not t then return "missing tensor " .. name end
    local shape = t:shape()
    if #shape ~= #r.shape then return name .. ": rank " .. #shape .. ", the file " .. #r.shape end
    for k = 1, #shape do if shape[k] ~= r.shape[k] then return name .. ": wrong shape" end end
    local v = flat(t:totable(), {})
    if #r.shape == 0 then v = { t:totable() } end
    for k = 1, #r.data do
      if not same_value(v[k], f32(r.data[k])) then return string.format("%s[%d] is %.9g, the file says %.9g", name, k, v[k], r.data[k]) end
    end
  end
  for name in pairs(got) do if not ref.tensors[name] then return "extra tensor " .. tostring(name) end end
end

-- ------------------------------------------------------------------ the originals
local task = gc.task.reverse()
local BATCH = task:batch { size = 4, length = { 2, 5 }, seed = 1 }   -- at most 12 tokens read: fits n_ctx 12
local BASES = {
  { name = "A", model = gc.model { n_layers = 1, n_heads = 2, d_model = 8, d_head = 4, d_mlp = 16, n_ctx = 24, seed = 1 } },
  { name = "B", model = gc.model { n_layers = 2, n_heads = 1, d_model = 4, d_head = 2, d_mlp = 8, n_ctx = 12, act = "relu",
                                   positions = "learned", seed = 2 } },
}
for _, b in ipairs(BASES) do
  b.path = path("base-" .. b.name .. ".safetensors")
  b.model:save(b.path)
  b.bytes = read_all(b.path)
  b.logits = b.model:logits(BATCH)
  b.hlen = string.unpack("<I8", b.bytes)
  b.header = b.bytes:sub(9, 8 + b.hlen)
  b.data = b.bytes:sub(9 + b.hlen)
  local ref = assert(reference_read(b.bytes), "the Lua reader cannot read gcgap's own file")
  local diff = unfaithful(b.model, ref)
  assert(not diff, "the Lua reader disagrees with gcgap's own file: " .. tostring(diff))
  local loaded = gc.load(b.path)
  assert((loaded:logits(BATCH) - b.logits):norm() == 0, "a saved and loaded model differs")
  -- entries in data order: name, dtype, shape text, begin, end
  b.entries = {}
  for name, body in b.header:gmatch('"([^"]+)":(%b{})') do
    if name ~= "__metadata__" then
      local s0, s1 = body:match('"data_offsets":%[(%d+),(%d+)%]')
      b.entries[#b.entries + 1] = { name = name, body = body, b = tonumber(s0), e = tonumber(s1), shape = body:match('"shape":(%b[])') }
    end
  end
  table.sort(b.entries, function(x, y) return x.b < y.b end)
end

-- ------------------------------------------------------------------ mutations
-- Each takes a file state { header = string, data = string, len = nil or forced 8 bytes }
-- and returns a description; assemble() makes the bytes.
local function assemble(st)
  local len = st.len or string.pack("<I8", #st.header)
  return (len .. st.header .. st.data):sub(1, st.truncate or -1) .. (st.append or "")
end

local function rand_bytes(n) local t = {}; for i = 1, n do t[i] = string.char(R(0, 255)) end; return table.concat(t) end
local function replace_at(s, i, j, r) return s:sub(1, i - 1) .. r .. s:sub(j + 1) end

--- All matches of a Lua pattern in s: list of {start, end}.
local function finds(s, pat)
  local out, init = {}, 1
  while true do
    local a, b = s:find(pat, init)
    if not a then return out end
    out[#out + 1] = { a, b }
    init = b + 1
  end
end

local META_EDITS = {
  { "n_layers", { "2", "0", "-1", "1.0", "99999999999999999999", "", " 1", "65" } },
  { "d_model", { "4", "16", "0", "8 ", "x" } },
  { "n_heads", { "1", "4", "0" } }, { "d_head", { "2", "8", "0" } }, { "d_mlp", { "8", "32", "0" } },
  { "d_vocab", { "103", "105", "0", "1048577" } }, { "n_ctx", { "23", "25", "12", "24", "0", "65537" } },
  { "act_fn", { "relu", "gelu", "tanh", "", "GELU", "gelu_new" } },
  { "eps", { "1e-06", "1e-05", "0", "-1e-05", "nan", "inf", "1e-05 ", "abc", "1e-45", "1e+38", "0x1p-17" } },
  { "positions", { "learned", "none", "rotary", "" } },
  { "normalization_type", { "LNPre", "RMS", "", "LN" } },
  { "positional_embedding_type", { "rotary", "shortformer", "standard" } },
  { "seed", { "abc", "-1", "18446744073709551616", "0", "", "9223372036854775808" } },
  { "format", { "gcgap/2", "", "\\u0000" } },
}
local NAME_EDITS = {
  function(n) return (n:gsub("blocks%.0%.", "blocks.1.", 1)) end,
  function(n) return (n:gsub("blocks%.1%.", "blocks.0.", 1)) end,
  function(n) return (n:gsub("blocks%.(%d+)%.", "blocks.%1%1.", 1)) end,
  function(n) return (n:gsub("blocks%.0%.", "blocks.2.", 1)) end,
  function(n) return (n:gsub("blocks%.0%.", "blocks.99999999999999999999.", 1)) end,
  function(n) return (n:gsub("blocks%.0%.", "blocks.-1.", 1)) end,
  function(n) return (n:gsub("blocks%.0%.", "blocks.00.", 1)) end,
  function(n) return n:upper() end,
  function(n) return n .. "x" end,
  function(n) return (n:gsub("ln1", "ln2")) end,
  function(n) return (n:gsub("W_Q", "W_K")) end,
  function(n) return (n:gsub("%.w$", ".b")) end,
  function(n) return (n:gsub("attn%.W_Q", "attn.rotary_sin")) end,
  function(n) return (n:gsub("^%w+", "blocks.0.attn.mask", 1)) end,
  function(n) return "" end,
  function(n) return n .. "\\u0000" end,
  function(n) return (n:gsub("b", "\\u0062", 1)) end,   -- the same name, escaped: harmless
}

local M = {}   -- name -> function(st, base) -> description

M.len_byte = function(st)
  local len = string.pack("<I8", #st.header)
  local i = R(1, 8)
  local v = R(0, 255)
  st.len = replace_at(len, i, i, string.char(v))
  return string.format("header length byte %d set to %d", i, v)
end
M.len_set = function(st)
  local n = #st.header
  local total = 8 + n + #st.data
  local v = pick { 0, 1, 2, n - 1, n + 1, total - 8, total - 7, 2 ^ 31, 99999999, 100000001, -1, math.maxinteger, math.mininteger, n + 8 }
  v = math.tointeger(v)
  st.len = string.pack("<i8", v)
  return "header length set to " .. v
end
M.offset_digit = function(st)
  local hits = finds(st.header, '"data_offsets":%[%d+,%d+%]')
  if #hits == 0 then return "no data_offsets (unchanged)" end
  local h = pick(hits)
  local text = st.header:sub(h[1], h[2])
  local d = pick(finds(text, "%d"))
  local new = tostring(R(0, 9))
  local how = pick { "replace", "insert", "delete" }
  local t2
  if how == "replace" then t2 = replace_at(text, d[1], d[1], new)
  elseif how == "insert" then t2 = replace_at(text, d[1], d[1] - 1, new)
  else t2 = replace_at(text, d[1], d[1], "") end
  if t2:match("%[,") or t2:match(",%]") then t2 = text end
  st.header = replace_at(st.header, h[1], h[2], t2)
  return "data_offsets " .. text:match("%b[]") .. " -> " .. t2:match("%b[]")
end
M.shape_digit = function(st)
  local hits = finds(st.header, '"shape":%[[%d,]*%]')
  if #hits == 0 then return "no shape (unchanged)" end
  local h = pick(hits)
  local text = st.header:sub(h[1], h[2])
  local digits = finds(text, "%d+")
  if #digits == 0 then return "empty shape (unchanged)" end
  local d = pick(digits)
  local new = pick { tostring(R(0, 30)), "2.5", "-2", "2e0", "02", "1e400", '"2"', "null", "true", "99999999999999999999",
                     "18446744073709551616", "0", "4294967296", "2147483648", "1.0", "-0", "[2]" }
  local t2 = replace_at(text, d[1], d[2], new)
  st.header = replace_at(st.header, h[1], h[2], t2)
  return "shape " .. text:match("%b[]") .. " -> " .. t2:match("%b[]")
end
M.shape_rank = function(st)
  local hits = finds(st.header, '"shape":%[[%d,]*%]')
  if #hits == 0 then return "no shape (unchanged)" end
  local h = pick(hits)
  local text = st.header:sub(h[1], h[2])
  local inner = text:match("%[(.*)%]")
  local new = pick { "[" .. inner .. ",1]", "[1," .. inner .. "]", "[]", inner:find(",") and ("[" .. inner:gsub(",", "*") .. "]") or "[1]" }
  -- a product-preserving rank change when possible
  local dims = {}
  for d in inner:gmatch("%d+") do dims[#dims + 1] = tonumber(d) end
  if #dims >= 2 and chance(0.5) then
    local p = 1; for _, d in ipairs(dims) do p = p * d end
    new = "[" .. p .. "]"
  end
  st.header = replace_at(st.header, h[1], h[2], '"shape":' .. new)
  return "shape " .. text:match("%b[]") .. " -> " .. new
end
M.offsets_weird = function(st)
  local hits = finds(st.header, '"data_offsets":%[%d+,%d+%]')
  if #hits == 0 then return "no data_offsets (unchanged)" end
  local h = pick(hits)
  local text = st.header:sub(h[1], h[2])
  local a, b = text:match("%[(%d+),(%d+)%]")
  local new = pick { "[" .. b .. "," .. a .. "]", "[" .. a .. "," .. a .. "]", "[" .. a .. "," .. b .. "," .. b .. "]", "[" .. a .. "]",
                     "[-" .. a .. "," .. b .. "]", "[" .. a .. ".5," .. b .. "]", "[" .. a .. "," .. b .. "e0]", "[0," .. b .. "]",
                     "[" .. a .. ",18446744073709551615]", "[9223372036854775807,9223372036854775807]", "[" .. a .. ",-1]",
                     '["' .. a .. '",' .. b .. "]", "null", "{}" }
  st.header = replace_at(st.header, h[1], h[2], '"data_offsets":' .. new)
  return "data_offsets " .. text:match("%b[]") .. " -> " .. new
end
M.dtype = function(st)
  local hits = finds(st.header, '"dtype":"[^"]*"')
  if #hits == 0 then return "no dtype (unchanged)" end
  local h = pick(hits)
  local new = pick { "I32", "F16", "BF16", "F64", "I64", "U8", "BOOL", "I8", "I16", "f32", "", "F32 ", "F8_E4M3", "C64", "U32" }
  st.header = replace_at(st.header, h[1], h[2], '"dtype":"' .. new .. '"')
  return "a dtype F32 -> " .. new
end
--- Re-encodes every tensor in another dtype (a valid file; F64 exact, F16/BF16 lossy).
M.reencode = function(st, base)
  local dt = pick { "F64", "F16", "BF16", "F64" }
  local size = SIZES[dt]
  local parts, hdr, off = {}, {}, 0
  local meta = base.header:match('"__metadata__":%b{}')
  if meta then hdr[#hdr + 1] = meta end
  for _, e in ipairs(base.entries) do
    local count = (e.e - e.b) // 4
    local enc = {}
    for k = 0, count - 1 do
      local v = string.unpack("<f", base.data, e.b + 1 + 4 * k)
      if dt == "F64" then enc[#enc + 1] = string.pack("<d", v)
      elseif dt == "BF16" then enc[#enc + 1] = string.pack("<I2", string.unpack("<I4", string.pack("<f", v)) >> 16)
      else
        -- float -> half, round toward zero (the reference decodes whatever bits are written)
        local bits = string.unpack("<I4", string.pack("<f", v))
        local sign, e8, m = bits >> 31, (bits >> 23) & 0xff, bits & 0x7fffff
        local e16 = e8 - 127 + 15
        local h
        if e8 == 0 or e16 <= 0 then h = sign << 15
        elseif e16 >= 31 then h = (sign << 15) | 0x7bff
        else h = (sign << 15) | (e16 << 10) | (m >> 13) end
        enc[#enc + 1] = string.pack("<I2", h)
      end
    end
    parts[#parts + 1] = table.concat(enc)
    hdr[#hdr + 1] = string.format('"%s":{"dtype":"%s","shape":%s,"data_offsets":[%d,%d]}', e.name, dt, e.shape, off, off + count * size)
    off = off + count * size
  end
  st.header = "{" .. table.concat(hdr, ",") .. "}"
  st.data = table.concat(parts)
  return "re-encoded every tensor as " .. dt
end
M.dup_key = function(st, base)
  local how = pick { "entry", "meta", "field", "metadata-object" }
  if how == "entry" then
    local e = pick(base.entries)
    local a, b = st.header:find('"' .. e.name:gsub("%p", "%%%0") .. '":%b{}')
    if not a then return "entry not found (unchanged)" end
    local text = st.header:sub(a, b)
    local copy = chance(0.5) and text or text:gsub('"dtype":"F32"', '"dtype":"I32"')
    st.header = replace_at(st.header, b + 1, b, "," .. copy)
    return "duplicated the entry of " .. e.name
  elseif how == "meta" then
    local a, b = st.header:find('"eps":"[^"]*"')
    if not a then return "no eps (unchanged)" end
    st.header = replace_at(st.header, b + 1, b, ',"eps":"' .. pick { "1e-05", "0.5", "1e-06" } .. '"')
    return "duplicated metadata key eps"
  elseif how == "field" then
    local a, b = st.header:find('"dtype":"F32"')
    if not a then return "no dtype (unchanged)" end
    st.header = replace_at(st.header, b + 1, b, ',"dtype":"' .. pick { "F32", "F64" } .. '"')
    return "duplicated a dtype field"
  else
    local a, b = st.header:find('"__metadata__":%b{}')
    if not a then return "no metadata (unchanged)" end
    st.header = replace_at(st.header, b + 1, b, ',"__metadata__":{"act_fn":"relu"}')
    return "a second __metadata__"
  end
end
M.rename = function(st, base)
  local e = pick(base.entries)
  local f = pick(NAME_EDITS)
  local new = f(e.name)
  local a, b = st.header:find('"' .. e.name:gsub("%p", "%%%0") .. '":', 1)
  if not a or new == e.name then return "rename of " .. e.name .. " is a no-op (unchanged)" end
  st.header = replace_at(st.header, a, b, '"' .. new .. '":')
  return "renamed " .. e.name .. " -> " .. new
end
M.swap_names = function(st, base)
  -- two tensors of the same shape trade names: a valid file, another model
  local pairs_ = {}
  for i, x in ipairs(base.entries) do
    for j, y in ipairs(base.entries) do if i < j and x.shape == y.shape then pairs_[#pairs_ + 1] = { x, y } end end
  end
  if #pairs_ == 0 then return "no same-shape pair (unchanged)" end
  local p = pick(pairs_)
  local ax = st.header:find('"' .. p[1].name:gsub("%p", "%%%0") .. '":')
  local ay = st.header:find('"' .. p[2].name:gsub("%p", "%%%0") .. '":')
  if not ax or not ay then return "names not found (unchanged)" end
  st.header = st.header:gsub('"' .. p[1].name:gsub("%p", "%%%0") .. '":', '"@@SWAP@@":', 1)
  st.header = st.header:gsub('"' .. p[2].name:gsub("%p", "%%%0") .. '":', '"' .. p[1].name:gsub("%%", "%%%%") .. '":', 1)
  st.header = st.header:gsub('"@@SWAP@@":', '"' .. p[2].name:gsub("%%", "%%%%") .. '":', 1)
  return "swapped the names of " .. p[1].name .. " and " .. p[2].name
end
M.delete_entry = function(st, base)
  local e = pick(base.entries)
  local pat = '"' .. e.name:gsub("%p", "%%%0") .. '":%b{}'
  local a, b = st.header:find(pat)
  if not a then return "entry not found (unchanged)" end
  if st.header:sub(b + 1, b + 1) == "," then b = b + 1 elseif st.header:sub(a - 1, a - 1) == "," then a = a - 1 end
  st.header = replace_at(st.header, a, b, "")
  if chance(0.5) then
    -- remove its data too and shift the later offsets: a consistent file without the tensor
    local size = e.e - e.b
    st.data = st.data:sub(1, e.b) .. st.data:sub(e.e + 1)
    st.header = st.header:gsub('"data_offsets":%[(%d+),(%d+)%]', function(x, y)
      x, y = tonumber(x), tonumber(y)
      if x >= e.e then x, y = x - size, y - size end
      return '"data_offsets":[' .. x .. "," .. y .. "]"
    end)
    return "deleted " .. e.name .. " (entry and data)"
  end
  return "deleted the entry of " .. e.name .. " (its data stays)"
end
M.meta_edit = function(st)
  local ed = pick(META_EDITS)
  local key, val = ed[1], pick(ed[2])
  local a, b = st.header:find('"' .. key .. '":"[^"]*"')
  if not a then
    if not st.header:find('"__metadata__":{') then return "no metadata (unchanged)" end
    st.header = st.header:gsub('"__metadata__":{', '"__metadata__":{"' .. key .. '":"' .. val .. '",', 1)
    return "added metadata " .. key .. " = '" .. val .. "'"
  end
  local old = st.header:sub(a, b)
  st.header = replace_at(st.header, a, b, '"' .. key .. '":"' .. val .. '"')
  return "metadata " .. old .. " -> '" .. val .. "'"
end
M.meta_struct = function(st)
  local how = pick { "delete-all", "delete-key", "number", "array", "nested", "unknown", "empty" }
  local a, b = st.header:find('"__metadata__":%b{}')
  if not a then return "no metadata (unchanged)" end
  if how == "delete-all" then
    if st.header:sub(b + 1, b + 1) == "," then b = b + 1 end
    st.header = replace_at(st.header, a, b, "")
    return "deleted __metadata__"
  elseif how == "delete-key" then
    local keys = {}
    for k in st.header:sub(a, b):gmatch('"([%w_]+)":"') do keys[#keys + 1] = k end
    if #keys == 0 then return "no metadata key (unchanged)" end
    local k = pick(keys)
    local x, y = st.header:find('"' .. k .. '":"[^"]*",?', a)
    st.header = replace_at(st.header, x, y, "")
    st.header = st.header:gsub(",}", "}")
    return "deleted metadata key " .. k
  elseif how == "number" then
    st.header = st.header:gsub('"n_layers":"(%d+)"', '"n_layers":%1', 1)
    return "metadata n_layers as a JSON number"
  elseif how == "array" then
    st.header = replace_at(st.header, a, b, '"__metadata__":["a","b"]')
    return "__metadata__ is an array"
  elseif how == "nested" then
    st.header = st.header:gsub('"format":"[^"]*"', '"format":{"a":"b"}', 1)
    return "metadata value is an object"
  elseif how == "unknown" then
    st.header = st.header:gsub('"__metadata__":{', '"__metadata__":{"zz_unknown":"1",', 1)
    return "added an unknown metadata key"
  else
    st.header = replace_at(st.header, a, b, '"__metadata__":{}')
    return "emptied __metadata__"
  end
end
M.junk = function(st)
  local i = R(1, #st.header + 1)
  local what = pick { "ws", "ws", "bytes", "nul", "comma", "brace", "utf8", "bom" }
  local ins
  if what == "ws" then ins = pick { " ", "\n", "\t", "\r\n", "   " }
  elseif what == "bytes" then ins = rand_bytes(R(1, 8))
  elseif what == "nul" then ins = "\0"
  elseif what == "comma" then ins = ","
  elseif what == "brace" then ins = pick { "{", "}", "[", "]", '"', ":" }
  elseif what == "utf8" then ins = pick { "\255", "\192\128", "\237\160\128" }
  else ins = "\239\187\191"; i = 1 end
  -- whitespace only between tokens: after a ',' ':' '{' '[' keeps the JSON valid
  if what == "ws" then
    local seps = finds(st.header, "[,:{%[]")
    local s = pick(seps)
    i = s[2] + 1
  end
  st.header = replace_at(st.header, i, i - 1, ins)
  return string.format("inserted %s %q at header byte %d", what, ins, i)
end
M.header_cut = function(st)
  local n = R(0, #st.header - 1)
  if chance(0.5) then
    st.header = st.header:sub(1, n)
    return "header cut to " .. n .. " bytes (length fixed)"
  end
  st.len = string.pack("<I8", n)
  return "header length says " .. n .. " (bytes stay)"
end
M.header_replace = function(st)
  local new = pick { "{}", "[]", "null", "{", '""', "1", '{"a":1}', ("["):rep(100000) .. ("]"):rep(100000),
                     ("["):rep(5000), '{"a":' .. ("["):rep(200000), ('{"a":'):rep(50000) .. "1" .. ("}"):rep(50000),
                     '{"' .. ("k"):rep(1000000) .. '":{}}', '{"x":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}',
                     "{\"\\ud800\":1}", '{"__metadata__":{},"__metadata__":{}}', "1e99999", ("1"):rep(100000) }
  st.header = new
  return "header replaced by " .. (#new > 40 and (new:sub(1, 20) .. "... (" .. #new .. " bytes)") or new)
end
M.data_bytes = function(st)
  if #st.data == 0 then return "no data (unchanged)" end
  local n = R(1, 8)
  local where = {}
  for _ = 1, n do
    local i = R(1, #st.data)
    st.data = replace_at(st.data, i, i, string.char(R(0, 255)))
    where[#where + 1] = i
  end
  return "random bytes at data offsets " .. table.concat(where, ",")
end
M.data_float = function(st, base)
  if #st.data < 4 then return "no data (unchanged)" end
  local e = pick(base.entries)
  if e.e == e.b then return "empty tensor (unchanged)" end
  local k = R(0, (e.e - e.b) // 4 - 1)
  local v = pick { 0 / 0, 1 / 0, -1 / 0, 3e38, -3e38, 1e10, 1.0000001e10, 1e11, -0.0, 1e-45, 1e-38, 0.0, 1.0, 65504, 1e9 }
  local bytes = string.pack("<f", v)
  if v ~= v and chance(0.5) then bytes = string.pack("<I4", 0xffc00001) end
  local i = e.b + 4 * k + 1
  st.data = replace_at(st.data, i, i + 3, bytes)
  return string.format("%s[%d] set to %s", e.name, k + 1, tostring(v))
end
M.data_tensor = function(st, base)
  local e = pick(base.entries)
  local v = pick { 0.0, 1.0, 0 / 0, 1e-30 }
  local n = (e.e - e.b) // 4
  st.data = st.data:sub(1, e.b) .. string.pack("<f", v):rep(n) .. st.data:sub(e.e + 1)
  return string.format("every value of %s set to %s", e.name, tostring(v))
end
M.truncate = function(st)
  local total = #assemble(st)
  local n = pick { R(0, 8), R(0, total - 1), total - 1, total - R(1, 16), 8 + #st.header, 8 + #st.header - 1 }
  st.truncate = math.max(0, n)
  return "file truncated to " .. st.truncate .. " of " .. total .. " bytes"
end
M.append = function(st)
  local what = pick { "1", "7", "8", "100", "copy", "zeros" }
  if what == "copy" then st.append = assemble(st)
  elseif what == "zeros" then st.append = ("\0"):rep(4)
  else st.append = rand_bytes(tonumber(what)) end
  return "appended " .. (what == "copy" and "a copy of the file" or (#st.append .. " bytes"))
end

local MUTATORS = {}
for name in pairs(M) do MUTATORS[#MUTATORS + 1] = name end
table.sort(MUTATORS)

-- ------------------------------------------------------------------ the run
math.randomseed(opt.seed)
local logpath = opt.log or path("checkpoints.log")
local log = assert(io.open(logpath, "w"))
log:write("-- gcgap checkpoint fuzz, seed ", opt.seed, ", ", opt.mutants, " mutants, file ", path("mutant.safetensors"), "\n")
if not opt.quiet then io.stderr:write("checkpoint fuzz: logging to ", logpath, "\n") end

local count = { rejected = 0, identical = 0, different = 0, valid_edit = 0, wrong = 0, lenient = 0,
                lenient_edit = 0, lt_ok = 0, lt_rejected = 0, lt_wrong = 0, lt_lenient = 0, lt_strict = 0, ref_valid = 0 }
local by_mut = {}
local lenient_why, lt_lenient_why = {}, {}
local wrong_lines = {}
local w0 = gc.clock()
local mutant_path = path("mutant.safetensors")

for i = 1, opt.mutants do
  local base = pick(BASES)
  local st = { header = base.header, data = base.data }
  local descs, names = {}, {}
  for _ = 1, chance(0.2) and R(2, 3) or 1 do
    local name = pick(MUTATORS)
    names[#names + 1] = name
    descs[#descs + 1] = name .. ": " .. M[name](st, base)
  end
  local bytes = assemble(st)
  local desc = string.format("[%d] base %s: %s", i, base.name, table.concat(descs, "; "))
  log:write(desc, "\n"); log:flush()
  write_all(mutant_path, bytes)
  if opt.keep then write_all(path("mutant-" .. i .. ".safetensors"), bytes) end
  local ref, why = reference_read(bytes)
  if ref then count.ref_valid = count.ref_valid + 1 end
  local key = table.concat(names, "+")
  local bm = by_mut[key] or { n = 0, rejected = 0, identical = 0, different = 0 }
  by_mut[key] = bm
  bm.n = bm.n + 1

  -- gcgap.load
  local ok, m = pcall(gc.load, mutant_path)
  if not ok then
    count.rejected = count.rejected + 1; bm.rejected = bm.rejected + 1
  else
    if not ref then
      count.lenient = count.lenient + 1
      local r = why:gsub(" at byte %d+", ""):gsub("'[^']*'", "'...'")
      lenient_why[r] = (lenient_why[r] or 0) + 1
      log:write("-- lenient: loaded although ", why, "\n")
    end
    local lok, lg = pcall(m.logits, m, BATCH)
    local same = false
    if lok then
      local dok, d = pcall(function() return (lg - base.logits):norm() end)
      same = dok and d == 0
    end
    if same then
      count.identical = count.identical + 1; bm.identical = bm.identical + 1
    else
      local problem
      if lok then
        for _, v in ipairs(flat(lg:totable(), {})) do
          if v ~= v or v == math.huge or v == -math.huge then problem = "the model it gives computes NaN or inf logits"; break end
        end
      else
        problem = "the model it gives cannot run a forward pass: " .. tostring(lg)
      end
      if problem then -- nothing more to check
      elseif ref then problem = unfaithful(m, ref) else
        -- a lenient reader (trailing bytes, a byte order mark, trailing commas, numbers such
        -- as 2e0 or 2.5 read as integers; never duplicate keys): is the model what it says?
        local relaxed = reference_read(bytes, true)
        problem = relaxed and unfaithful(m, relaxed)
        if relaxed and not problem then count.lenient_edit = count.lenient_edit + 1 end
        if not relaxed then problem = "the file is invalid (" .. tostring(why) .. ")" end
      end
      if not problem then
        count.valid_edit = count.valid_edit + 1
      else
        count.wrong = count.wrong + 1; bm.different = bm.different + 1
        local line = desc .. "\n   -> accepted, different logits: " .. problem
        wrong_lines[#wrong_lines + 1] = line
        log:write("-- WRONG: ", problem, "\n"); log:flush()
        if opt.keep or #wrong_lines <= 20 then write_all(path("wrong-" .. i .. ".safetensors"), bytes) end
      end
    end
    -- a pass with the gradient, on what was accepted
    pcall(m.loss, m, BATCH)
  end

  -- gcgap.load_tensors
  local tok, ts = pcall(gc.load_tensors, mutant_path)
  if not tok then
    count.lt_rejected = count.lt_rejected + 1
    if ref then count.lt_strict = count.lt_strict + 1 end
  else
    count.lt_ok = count.lt_ok + 1
    if not ref then
      count.lt_lenient = count.lt_lenient + 1
      local r = why:gsub(" at byte %d+", ""):gsub("'[^']*'", "'...'")
      lt_lenient_why[r] = (lt_lenient_why[r] or 0) + 1
    else
      local d = tensors_differ(ts, ref)
      if d then
        count.lt_wrong = count.lt_wrong + 1
        wrong_lines[#wrong_lines + 1] = desc .. "\n   -> load_tensors misread: " .. d
        log:write("-- WRONG (load_tensors): ", d, "\n"); log:flush()
      end
    end
  end
  if i % 100 == 0 then collectgarbage() end
  if i % 200 == 0 and not opt.quiet then
    io.stderr:write(string.format("\r%d mutants, %d rejected", i, count.rejected))
  end
end
-- ------------------------------------------------------------------ training checkpoints
local TRAIN_STEPS = 6
local function train_opts(steps, ck)
  return { steps = steps, checkpoint = ck, checkpoint_every = 2, quiet = true, target = false, eval_every = 2, eval_size = 8,
           batch = 4, lengths = { 2, 3 }, lr = 1e-3, seed = 1 }
end
local function train_model() return gc.model { n_layers = 1, n_heads = 2, d_model = 8, d_head = 4, d_mlp = 16, n_ctx = 24, seed = 5 } end

--- Is `s` a decimal integer as gcgap writes one (no sign, no leading zero)?
local function canon_int(s) return type(s) == "string" and s:match("^%d+$") and (s == "0" or s:sub(1, 1) ~= "0") and #s <= 18 and math.tointeger(tonumber(s)) end
--- A double written as the hex digits of its bits.
local function hex_double(s)
  if type(s) ~= "string" or not s:match("^%x+$") or #s > 16 then return nil end
  return (string.unpack("<d", string.pack("<i8", math.tointeger(tonumber(s, 16)))))
end
local function finite(x) return x == x and x ~= math.huge and x ~= -math.huge end

--- The training-checkpoint rules, in Lua: nil when `bytes` is a checkpoint a 6-step run of
--- the original's options may resume, else why not.
local function train_reference(bytes, orig)
  local ref, why = reference_read(bytes)
  if not ref then return "not a valid safetensors file: " .. why end
  local meta, t = ref.metadata, ref.tensors
  if meta.format ~= "gcgap/training-checkpoint" or meta.fingerprint ~= orig.fingerprint then return "format or fingerprint" end
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  if n ~= 3 then return n .. " tensors" end
  for _, name in ipairs { "params", "adam_m", "adam_v" } do
    local x = t[name]
    if not x or x.dtype ~= "F32" or #x.shape ~= 1 or x.shape[1] ~= orig.count then return name .. ": missing, not F32 or wrong shape" end
    for _, v in ipairs(x.data) do
      if not finite(v) then return name .. " holds NaN or inf" end
      if name == "params" and math.abs(v) > 1e10 then return "a parameter beyond 1e10" end
      if name == "adam_v" and v < 0 then return "adam_v negative" end
    end
  end
  local step, adam, lc = canon_int(meta.step), canon_int(meta.adam_step), canon_int(meta.loss_count)
  if not (step and adam and lc) then return "step, adam_step or loss_count is not an integer" end
  if adam ~= step or lc > step or step > TRAIN_STEPS then return "counters" end
  local ls, ll = hex_double(meta.loss_sum), hex_double(meta.last_loss)
  if not (ls and ll and finite(ls) and finite(ll)) then return "loss_sum or last_loss" end
  if meta.last_accuracy ~= "" then
    local a = hex_double(meta.last_accuracy)
    if not (a and a >= 0 and a <= 1) then return "last_accuracy" end
  end
  local prev = 0
  for item in ((meta.history or "") .. (meta.history ~= "" and ";" or "")):gmatch("([^;]*);") do
    local s1, l, a = item:match("^([^:]*):([^:]*):([^:]*)$")
    local hs = canon_int(s1)
    l, a = hex_double(l), hex_double(a)
    if not (hs and l and a and hs > prev and hs <= step and finite(l) and a >= 0 and a <= 1) then return "history" end
    prev = hs
  end
  if meta.history == nil then return "no history key" end
end

local TM = {}   -- training-checkpoint mutators: function(st, base) -> description
local function set_meta(st, key, value)
  local a, b = st.header:find('"' .. key .. '":"[^"]*"')
  if not a then return false end
  st.header = replace_at(st.header, a, b, '"' .. key .. '":"' .. value .. '"')
  return true
end
local function hexbits(x) return string.format("%x", string.unpack("<i8", string.pack("<d", x))) end
TM.value = function(st, base)
  local e = pick(base.entries)
  local k = R(0, (e.e - e.b) // 4 - 1)
  local v = pick { 0 / 0, 1 / 0, -1 / 0, -1e-3, -0.0, 0.0, 1e20, 3e38, 1e-30, 2.0, -2.0, 1e10, 1.0000001e10 }
  local i = e.b + 4 * k + 1
  st.data = replace_at(st.data, i, i + 3, string.pack("<f", v))
  return string.format("%s[%d] = %s", e.name, k + 1, tostring(v))
end
TM.dtype = function(st, base)
  local e = pick(base.entries)
  local dt = pick { "I32", "U32", "F16", "F64", "BF16", "f32" }
  local a, b = st.header:find('"' .. e.name .. '":{"dtype":"F32"', 1, true)
  if not a then return "no entry (unchanged)" end
  st.header = replace_at(st.header, a, b, '"' .. e.name .. '":{"dtype":"' .. dt .. '"')
  return e.name .. " dtype F32 -> " .. dt
end
TM.reencode = function(st, base)
  -- one tensor re-encoded as F64, exactly: a valid safetensors file, not a training checkpoint
  local e = pick(base.entries)
  local count = (e.e - e.b) // 4
  local enc = {}
  for k = 0, count - 1 do enc[#enc + 1] = string.pack("<d", (string.unpack("<f", st.data, e.b + 1 + 4 * k))) end
  local grow = 4 * count
  st.data = st.data:sub(1, e.b) .. table.concat(enc) .. st.data:sub(e.e + 1)
  st.header = st.header:gsub('"data_offsets":%[(%d+),(%d+)%]', function(x, y)
    x, y = tonumber(x), tonumber(y)
    if x == e.b then return '"data_offsets":[' .. x .. "," .. (y + grow) .. "]" end
    if x >= e.e then return '"data_offsets":[' .. (x + grow) .. "," .. (y + grow) .. "]" end
  end)
  st.header = st.header:gsub('"' .. e.name .. '":{"dtype":"F32"', '"' .. e.name .. '":{"dtype":"F64"', 1)
  return e.name .. " re-encoded as F64"
end
TM.counter = function(st)
  local key = pick { "step", "adam_step", "loss_count", "step+adam_step" }
  local v = pick { "100", "7", "6", "5", "4", "3", "2", "0", "-1", "+4", "04", "4.0", "", "x", " 4", "9223372036854775808", "1e2" }
  if key == "step+adam_step" then set_meta(st, "step", v); set_meta(st, "adam_step", v); return "step = adam_step = '" .. v .. "'" end
  set_meta(st, key, v)
  return key .. " = '" .. v .. "'"
end
TM.loss = function(st)
  local key = pick { "loss_sum", "last_loss", "last_accuracy" }
  local v = pick { hexbits(0 / 0), hexbits(1 / 0), hexbits(-1 / 0), hexbits(2.0), hexbits(0.5), hexbits(-0.5), "", "zz", "+1",
                   "0x1", "10000000000000000", hexbits(1e300) }
  set_meta(st, key, v)
  return key .. " = '" .. v .. "'"
end
TM.history = function(st)
  local v = pick { "", "2:" .. hexbits(1.5) .. ":" .. hexbits(0.5), "2:" .. hexbits(1.5) .. ":" .. hexbits(2), "6:0:0", "0:0:0",
                   "4:0:0;2:0:0", "2:0:0;2:0:0", "2:" .. hexbits(0 / 0) .. ":0", "2:0", "02:0:0", "2:0:0;", ";", "x:0:0",
                   "2:0:0;4:0:0", "2:0:" .. hexbits(-0.1), "100:0:0" }
  set_meta(st, "history", v)
  return "history = '" .. v .. "'"
end
TM.meta = function(st)
  local how = pick { "fingerprint", "format", "delete" }
  if how == "fingerprint" then set_meta(st, "fingerprint", "x"); return "fingerprint changed" end
  if how == "format" then set_meta(st, "format", "gcgap/1"); return "format gcgap/1" end
  local key = pick { "step", "adam_step", "loss_count", "loss_sum", "last_loss", "last_accuracy", "history" }
  st.header = st.header:gsub('"' .. key .. '":"[^"]*",?', "", 1):gsub(",}", "}")
  return "deleted metadata " .. key
end
TM.generic = function(st, base)
  local name = pick { "data_bytes", "truncate", "append", "junk", "dup_key", "delete_entry", "shape_rank", "offset_digit", "swap_names" }
  return name .. ": " .. M[name](st, base)
end
local TMUT = {}
for name in pairs(TM) do TMUT[#TMUT + 1] = name end
table.sort(TMUT)

local tcount = { n = 0, rejected = 0, identical = 0, valid_edit = 0, wrong = 0, strict = 0 }
do
  local orig_path, mutant = path("train.partial"), path("train-mutant.partial")
  os.remove(orig_path)
  train_model():train(task, train_opts(4, orig_path))
  local tb = { bytes = read_all(orig_path) }
  tb.hlen = string.unpack("<I8", tb.bytes)
  tb.header, tb.data = tb.bytes:sub(9, 8 + tb.hlen), tb.bytes:sub(9 + tb.hlen)
  local oref = assert(reference_read(tb.bytes), "the Lua reader cannot read gcgap's training checkpoint")
  local orig = { fingerprint = oref.metadata.fingerprint, count = #oref.tensors.params.data }
  assert(not train_reference(tb.bytes, orig), "the training-checkpoint rules refuse gcgap's own file")
  tb.entries = {}
  for name, body in tb.header:gmatch('"([^"]+)":(%b{})') do
    if name ~= "__metadata__" then
      local s0, s1 = body:match('"data_offsets":%[(%d+),(%d+)%]')
      tb.entries[#tb.entries + 1] = { name = name, body = body, b = tonumber(s0), e = tonumber(s1), shape = body:match('"shape":(%b[])') }
    end
  end
  table.sort(tb.entries, function(x, y) return x.b < y.b end)
  -- the run resumed from the file as written
  write_all(mutant, tb.bytes)
  local refm = train_model()
  local refr = refm:train(task, train_opts(TRAIN_STEPS, mutant))
  local ref_logits = refm:logits(BATCH)
  for i = 1, opt.train_mutants do
    local st = { header = tb.header, data = tb.data }
    local descs = {}
    for _ = 1, chance(0.15) and 2 or 1 do
      local name = pick(TMUT)
      descs[#descs + 1] = name .. ": " .. TM[name](st, tb)
    end
    local bytes = assemble(st)
    local desc = string.format("[train %d] %s", i, table.concat(descs, "; "))
    log:write(desc, "\n"); log:flush()
    write_all(mutant, bytes)
    local invalid = train_reference(bytes, orig)
    local m = train_model()
    local ok, r = pcall(m.train, m, task, train_opts(TRAIN_STEPS, mutant))
    tcount.n = tcount.n + 1
    if not ok then
      tcount.rejected = tcount.rejected + 1
      if not invalid then tcount.strict = tcount.strict + 1; log:write("-- strict: refused a file the rules allow: ", tostring(r), "\n") end
    else
      local lg = m:logits(BATCH)
      local problem
      for _, v in ipairs(flat(lg:totable(), {})) do if not finite(v) then problem = "the resumed model computes NaN or inf logits" break end end
      if r.steps ~= TRAIN_STEPS then problem = "the run returned " .. tostring(r.steps) .. " steps, " .. TRAIN_STEPS .. " asked" end
      if not problem and invalid then problem = "resumed an invalid training checkpoint (" .. invalid .. ")" end
      if problem then
        tcount.wrong = tcount.wrong + 1
        wrong_lines[#wrong_lines + 1] = desc .. "\n   -> " .. problem
        log:write("-- WRONG: ", problem, "\n"); log:flush()
        if #wrong_lines <= 20 then write_all(path("wrong-train-" .. i .. ".partial"), bytes) end
      elseif (lg - ref_logits):norm() == 0 and r.loss == refr.loss then
        tcount.identical = tcount.identical + 1
      else
        tcount.valid_edit = tcount.valid_edit + 1
      end
    end
    if i % 50 == 0 then collectgarbage() end
  end
  if not opt.keep then os.remove(orig_path); os.remove(mutant) end
end

local wall = gc.clock() - w0
if not opt.quiet then io.stderr:write("\n") end
log:write("-- done\n")
log:close()

print(string.format("checkpoint fuzz: %d mutants, %d rejected, %d accepted identical, %d accepted different, 0 crashes, seed %d",
  opt.mutants, count.rejected, count.identical, count.wrong, opt.seed))
print(string.format("  also %d accepted as valid edits (a different model, exactly what the mutated file says%s); %d accepted files that the Lua reader finds invalid (lenient)",
  count.valid_edit, count.lenient_edit > 0 and (", " .. count.lenient_edit .. " of them read leniently") or "", count.lenient))
local function reasons(t)
  local l = {}
  for k, v in pairs(t) do l[#l + 1] = { k, v } end
  table.sort(l, function(a, b) return a[2] > b[2] or (a[2] == b[2] and a[1] < b[1]) end)
  for k = 1, #l do l[k] = l[k][2] .. " " .. l[k][1] end
  return table.concat(l, "; ")
end
if count.lenient > 0 then print("  gcgap.load accepted invalid files: " .. reasons(lenient_why)) end
print(string.format("training checkpoints: %d mutants, %d rejected (%d of files the rules allow), %d resumed identically, %d resumed valid edits, %d wrong",
  tcount.n, tcount.rejected, tcount.strict, tcount.identical, tcount.valid_edit, tcount.wrong))
print(string.format("  load_tensors: %d read (%d of files the Lua reader finds invalid), %d rejected (%d of valid files), %d misread",
  count.lt_ok, count.lt_lenient, count.lt_rejected, count.lt_strict, count.lt_wrong))
if count.lt_lenient > 0 then print("  gcgap.load_tensors accepted invalid files: " .. reasons(lt_lenient_why)) end
print(string.format("  %d of %d mutants are valid safetensors files; %.1f s, %.0f mutants/s; log %s",
  count.ref_valid, opt.mutants, wall, (opt.mutants + tcount.n) / math.max(wall, 1e-9), logpath))
local keys = {}
for k in pairs(by_mut) do keys[#keys + 1] = k end
table.sort(keys)
if not opt.quiet then
  print("  by mutation (single mutations; n: rejected/identical/wrong):")
  local row = {}
  for _, k in ipairs(keys) do
    if not k:find("+", 1, true) then
      local b = by_mut[k]
      row[#row + 1] = string.format("%s %d:%d/%d/%d", k, b.n, b.rejected, b.identical, b.different)
    end
  end
  print("    " .. table.concat(row, ", "))
end
for k = 1, math.min(#wrong_lines, 20) do print("WRONG " .. wrong_lines[k]) end
if #wrong_lines > 0 then print("  the first wrong mutants are kept as " .. path("wrong-<n>.safetensors")) end
if not opt.keep then
  os.remove(mutant_path)
  for _, b in ipairs(BASES) do os.remove(b.path) end
end
if tmpfile then os.remove(tmpfile) end
if count.wrong > 0 or count.lt_wrong > 0 or tcount.wrong > 0 then os.exit(1) end
