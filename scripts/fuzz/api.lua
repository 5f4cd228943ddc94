--- scripts/fuzz/api.lua: the API fuzzer. Calls every function of the `gcgap` module (and of
-- the stdlib modules and userdata metatables reachable from it) with random arguments of
-- every Lua type, each call under pcall. A Lua error is the right answer to a bad call; a
-- crash of the process (segfault, abort, Swift trap) or a hang is a bug.
--
-- Run (from the repository root; `scripts/gcgap` or the built binary):
--
--   (ulimit -v 4000000; timeout 600 .build/release/gcgap scripts/fuzz/api.lua [--calls N]
--        [--seed S] [--log FILE] [--rebuild K] [--gc K] [--check K] [--only PATTERN] [--list] [--errors] [--quiet])
--   .build/release/gcgap scripts/fuzz/api.lua --replay FILE [--line N] [--from M]
--
--   --calls N     number of calls (default 20000: about a minute)
--   --seed S      math.randomseed(S); the same seed makes the same calls (default 1)
--   --log FILE    where each call is written before it is made (default: os.tmpname())
--   --rebuild K   rebuild the fixtures (models, tensors, ...) every K calls (default 100)
--   --gc K        a full garbage collection after every K-th call (default 1; 0: never):
--                 finalizers and heap damage show up right after the call that caused them
--   --check K     after every K-th call (default 1; 0: never) check that the fixture
--                 tensors hold their values and that the fixture models M, M2 give the
--                 same logits (unless the call trains, sets parameters or hooks)
--   --only PAT    fuzz only the targets whose name matches the Lua pattern PAT
--   --list        print the targets, their argument kinds, the skip list and the limits
--   --errors      at the end, each target's most frequent error messages (to see which
--                 calls get past argument checking)
--   --replay FILE run the calls of a log again, from the last fixture rebuild before the
--                 last call (or before line N) to that call, printing each one: the
--                 reproducer of a crash, in a fresh process. --from M starts at line M
--                 instead (--from 1: the whole run, for a crash that needs its history)
--
-- `ulimit -v` (4 GB) makes a runaway allocation fail at once instead of swapping the machine;
-- a correct implementation never needs more than ~100 MB here.
--
-- How a crash shows up: the process dies (exit status 139 segfault, 134 abort, 132/133 a
-- Swift trap, 124 from `timeout` for a hang) and the summary line is missing. The LAST LINE
-- OF THE LOG is the call that crashed. A log line is
--
--   [1234] call gcgap.tensor(deep(1000))
--
-- i.e. the call number, the mode (`call`: plain pcall; `co.wrap` / `co.resume`: inside a
-- coroutine; `hook`: inside a hook callback during a forward pass of a model) and the call
-- as a Lua expression over the fixtures defined in `fixtures()` below (M, B, T1, F.err ...;
-- `METH.model.logits` is the model method table's `logits`, `MT.tensor.__add` the tensor
-- metatable's `__add`, `S.json` the stdlib module gcgap.json). `--replay` runs it again.
-- Lines starting with `--` mark fixture rebuilds (`-- fixtures #n`) and wrong answers.
--
-- At the end: `api fuzz: N calls, M errors (caught), 0 crashes, seed S`, then the call rate
-- and the slowest targets. Exit status 1 when a result was checked and found wrong (the
-- oracles: reductions, indexing and arithmetic on the fixture tensors, and gcgap.stats'
-- ranks/pearson/spearman/kendall on plain sequences, against a Lua computation; files
-- written by gcgap.save_tensors and m:save must load back the same; a native
-- call that returns without error but changes a fixture it was not given to change;
-- gcgap.load_npy reads the valid fixture .npy file exactly and refuses each broken one;
-- gcgap.tensor keeps each plain number as float32 would, NaN and infinities included, and
-- refuses finite numbers beyond float32's range; a method of a gcgap type never accepts a
-- foreign userdata as self).
--
-- Defects found before they were fixed (each now a regression test; the skips remain for
-- fuzzing an old build) can be stepped over with GCGAP_FUZZ_SKIP=a,b,... (`all` = every one):
--   coroutines   no call is made inside a coroutine and no argument is a coroutine.wrap
--                function (native calls on a coroutine's thread crash)
--   hookreentry  hook-mode calls hook a private model that no argument names, and the
--                function arguments F.pass/F.clear/F.unhook (a pass of M, M:clear_hooks(),
--                H:remove()) are left out (a hook that runs a pass of its own model, or
--                clears its hooks mid-pass, crashes)
--   gc           a __gc metamethod is never given a userdata that is not gcgap's (io.stdout)
--   cycles       no cyclic table goes to gcgap.tensor/zeros/ones/randn or gcgap.json.encode
--   deep         no table nested 20+ levels goes to those functions
--   huge         no number of 1e9 or more goes to task:batch, tensor:reshape, gcgap.randn/zeros/
--                ones, gcgap.ood, gcgap.score.gradient/taylor, model:train, the experiment
--   gelu         no model has a d_mlp that is not a multiple of 8 (the GELU backward
--                pass hangs): gcgap.model never gets one and the fixture MODD has 8
--   dimarg       the tensor oracle does not report reductions that ignore their dimension
--   zslice       gcgap.score.causal never gets zslice_defect = true together with means
--                (given means without per_position, and per_position = true: the z-slice
--                hook writes past the attention output, a heap overflow)
--   nulpath      no path with a "\0" goes to m:save/save_tensors (the file is written as
--                "name%00rest", which no load of the same path finds)
--   names        save_tensors never gets the names "__metadata__" or invalid UTF-8 (the
--                first writes a file that cannot be read, the second a renamed tensor)
--   swap         the targets `swap` and `upswap` are left out (issue 19): a foreign userdata
--                (an io file, a light userdata) given a gcgap metatable, or a gcgap userdata
--                given another type's, was read as gcgap's object (a segfault); a native
--                function whose upvalue was replaced read it as its box
--   rank         no shape of rank above 32 goes to reshape/zeros/ones/randn/stack/tensor and
--                no .npy file of rank 33 is loaded (rank 200 and more overflowed the Lua
--                stack in t:totable: a segfault or heap corruption)
--
-- The metatable swap (issue 19): `swap(victim, mt, method, a, b)` gives `victim` the
-- metatable of a gcgap type ("tensor", "model", ..., "native": a native function's box)
-- with debug.setmetatable, then calls that metatable's `method` (a method or metamethod of
-- any type, the first one of the type when it has no such name) on it. Victims: io.stdout
-- and io.stderr (their metatable is restored after the call), a closed io file, a light
-- userdata (restored), fresh gcgap objects of every type, a finalized tensor, the box of a
-- fresh native function; those not restored are collected under the swapped metatable.
-- `upswap(name, victim, a, b)` puts `victim` in the upvalue that holds gcgap.<name>'s
-- box, calls gcgap.<name>(a, b), and restores the upvalue.
--
-- What is never called, and the limits that keep every call small, are the tables SKIP and
-- LIMITS below (`--list` prints them). Every size the fuzzer builds keeps a correct
-- implementation under ~100 MB; sizes of 2^31 and beyond are there to be refused.

local USAGE = "usage: gcgap scripts/fuzz/api.lua [--calls N] [--seed S] [--log FILE] [--rebuild K] [--gc K] [--check K] [--only PAT] [--list] [--errors] [--quiet] | --replay FILE [--line N] [--from M]"

-- ------------------------------------------------------------------ command line
local opt = { calls = 20000, seed = 1, rebuild = 100, gc = 1, check = 1 }
do
  local argv, i = { ... }, 1
  local function val() i = i + 1; if argv[i] == nil then io.stderr:write(USAGE, "\n"); os.exit(2) end; return argv[i] end
  while argv[i] do
    local a = argv[i]
    if a == "--calls" then opt.calls = math.tointeger(tonumber(val()))
    elseif a == "--seed" then opt.seed = math.tointeger(tonumber(val()))
    elseif a == "--log" then opt.log = val()
    elseif a == "--rebuild" then opt.rebuild = math.tointeger(tonumber(val()))
    elseif a == "--gc" then opt.gc = math.tointeger(tonumber(val()))
    elseif a == "--check" then opt.check = math.tointeger(tonumber(val()))
    elseif a == "--only" then opt.only = val()
    elseif a == "--replay" then opt.replay = val()
    elseif a == "--line" then opt.line = math.tointeger(tonumber(val()))
    elseif a == "--from" then opt.from = math.tointeger(tonumber(val()))
    elseif a == "--list" then opt.list = true
    elseif a == "--quiet" then opt.quiet = true
    elseif a == "--errors" then opt.errors = true
    elseif a == "-h" or a == "--help" then print(USAGE); os.exit(0)
    else io.stderr:write("unknown argument '", a, "'\n", USAGE, "\n"); os.exit(2) end
    i = i + 1
  end
  if not (opt.calls and opt.seed and opt.rebuild and opt.rebuild > 0) then io.stderr:write(USAGE, "\n"); os.exit(2) end
end

local gc = require "gcgap"
local SKIPCAT = {}
local KNOWN_CATS = { "coroutines", "hookreentry", "gc", "cycles", "deep", "huge", "gelu", "dimarg", "zslice", "nulpath", "names", "swap", "rank" }
for w in (os.getenv("GCGAP_FUZZ_SKIP") or ""):gmatch("[^,%s]+") do
  if w == "all" then for _, k in ipairs(KNOWN_CATS) do SKIPCAT[k] = true end else SKIPCAT[w] = true end
end

-- ------------------------------------------------------------------ skip list and limits
-- Never called (documented reasons). Everything else reachable is fuzzed.
local SKIP = {
  ["S.pretty.print"] = "prints its arguments to stdout (pretty.format, which does the work, is fuzzed)",
  ["gcgap.pretty.print"] = "same function as S.pretty.print",
  ["gcgap.sandbox"] = "runs Lua text in a sandbox writing under a folder it is given: scripts/fuzz/sandbox.lua fuzzes it",
  ["gcgap.core.sandbox"] = "the same function as gcgap.sandbox",
  ["S.beyond.run_cell"] = "trains a cell of models through a gcgap process (BeyondTests)",
  ["S.beyond.write_report"] = "writes a report into the folder it is given (BeyondTests)",
  ["S.help.help"] = "prints to stdout (help.text, which does the work, is fuzzed)",
  ["S.kernel.serve"] = "reads requests from stdin until it closes (JupyterTests)",
  ["S.kernel.execute"] = "runs its request's code as a REPL line (JupyterTests)",
}
-- Called with constrained arguments (see the kinds in SIG): the constraint and why.
local LIMITS = {
  ["gcgap.threads"] = "arg 1 is never an integer in 2..256 (it would change the BLAS thread count for the rest of the run); invalid counts and 1 are tried",
  ["gcgap.status"] = "a string argument is short printable text (it is written to the terminal when stderr is one)",
  ["METH.model.train"] = "the options are always a table with steps <= 10, batch <= 32, eval_size <= 32 (or an invalid value); quiet is true (or not a boolean)",
  ["METH.model.save"] = "the path is a file under the fuzzer's temporary prefix, or not a string/number",
  ["gcgap.save_tensors"] = "the path is a file under the fuzzer's temporary prefix, or not a string/number",
  ["gcgap.score.gradient"] = "batches <= 4, batch <= 32 (always given)",
  ["gcgap.score.taylor"] = "batches <= 4, batch <= 32 (always given)",
  ["gcgap.ood"] = "size <= 64 (always given), lengths of at most 12",
  ["gcgap.stats.permutation"] = "permutations <= 1000 (always given)",
  ["gcgap.stats.bootstrap"] = "resamples <= 500 (always given)",
  ["gcgap.stats.mean_rho"] = "resamples <= 1000 (always given)",
  ["gcgap.stats.permutation_test"] = "resamples <= 1000 (always given)",
  ["gcgap.stats.sign_flip"] = "resamples <= 1000 (always given)",
  ["METH.task.batch"] = "size <= 256 and lengths <= 12 when valid (sizes of 2^31 and beyond are tried, to be refused)",
  ["S.experiment.train"] = "the preset is the fuzz preset (tiny model, <= 3 steps); cache is a temporary prefix or not a string",
  ["S.experiment.run"] = "the preset is the fuzz preset; out/cache are temporary prefixes or not strings",
  ["S.experiment.analyse"] = "the preset is the fuzz preset (1 gradient batch, 3 bootstrap resamples)",
  ["S.experiment.write_file"] = "the path is a file under the fuzzer's temporary prefix, or not a string/number",
  ["S.report.svg_layers"] = "n_layers <= 64 or not a number (a pure-Lua loop over the layers: a count of 2^40 runs the process out of memory)",
  ["gcgap.model"] = "every valid size is at most 25 (at most ~2M parameters; bigger valid models would exceed 100 MB), others are invalid",
}

-- ------------------------------------------------------------------ small helpers
local R = math.random
local function pick(t) return t[R(#t)] end
local function chance(p) return R() < p end
local function f32(x) return (string.unpack("<f", string.pack("<f", x))) end

--- A Lua string literal on one line (bytes outside printable ASCII as \ddd).
local function q(s)
  return '"' .. s:gsub('[%c"\\\128-\255]', function(c)
    if c == '"' then return '\\"' elseif c == "\\" then return "\\\\" end
    return string.format("\\%03d", c:byte())
  end) .. '"'
end

-- ------------------------------------------------------------------ the environment
-- Every argument is a Lua expression evaluated in ENV (so the log line is the call).
local TMP = os.tmpname()            -- a file; our files are TMP .. "-name"
local ENV = setmetatable({}, { __index = _G })
ENV.gcgap = gc
ENV.TMP = TMP
local S = {}
-- The stdlib modules fuzzed. Not here: gcgap.sweep and gcgap.jupyter (they start Slurm jobs
-- and pip; the Slurm and Jupyter tests cover them) and gcgap.paper (data, no functions).
local STDLIB = { "json", "pretty", "experiment", "report", "report_data", "plot", "svg", "ladder", "verdict", "resampling",
                 "circuits", "beyond", "help", "protocol", "kernel" }
for _, name in ipairs(STDLIB) do S[name] = require("gcgap." .. name:gsub("_", ".")) end
ENV.S = S

local written = {}   -- files we may have written, removed at the end
local function tmppath(name) local p = TMP .. "-" .. name; written[#written + 1] = p; return p end
--- Removes our files, and the names gcgap may have given them (a NUL written as %00,
--- invalid UTF-8 as U+FFFD, the temporary file of a failed atomic write).
local function cleanup()
  for _, p in ipairs(written) do
    for _, v in ipairs { p, p .. ".tmp", (p:gsub("\255", "\239\191\189")) } do os.remove(v) end
  end
  for _, v in ipairs { "-w4%00junk", "-w1%00junk", "-w4", "-model.safetensors%00junk" } do os.remove(TMP .. v) end
  os.remove(TMP)
end

function ENV.deep(n)
  local root = {}
  local t = root
  for _ = 1, n do local c = {}; t[1] = c; t = c end
  t[1] = 1
  return root
end
function ENV.cyclic() local t = {}; t[1] = t; return t end
function ENV.cyclic2() local a, b = {}, {}; a[1] = b; b[1] = a; a.x = b; return a end
function ENV.hostile()
  return setmetatable({ 1, 2 }, {
    __index = function() error("hostile __index") end, __newindex = function() error("hostile __newindex") end,
    __len = function() error("hostile __len") end, __tostring = function() error("hostile __tostring") end,
    __pairs = function() error("hostile __pairs") end, __eq = function() error("hostile __eq") end,
    __lt = function() error("hostile __lt") end, __le = function() error("hostile __le") end,
    __concat = function() error("hostile __concat") end, __call = function() error("hostile __call") end,
    __name = "hostile",
  })
end
function ENV.range(n) local t = {}; for i = 1, n do t[i] = i % 7 end; return t end
-- A table of about k entries whose raw length is 2^k (math.maxinteger for k >= 63): keys 1..5
-- and one per power of two, in one constructor (Lua's border search then stops at 2^k). A
-- reader that trusts #t to size its work or memory stalls or aborts on it.
function ENV.sparse(k)
  local s = { "return {1, 2, 3, 4, [5] = 1" }
  for i = 3, math.min(k, 62) do s[#s + 1] = ", [" .. (1 << i) .. "] = 1" end
  if k >= 63 then s[#s + 1] = ", [math.maxinteger] = 1" end
  return load(table.concat(s) .. "}", "=sparse", "t", { math = math })()
end
function ENV.rep(v, n) local t = {}; for i = 1, n do t[i] = v end; return t end
--- Calls a gcgap object's own __gc: the userdata stays, its object is gone.
function ENV.dead(x) local mt = getmetatable(x); mt.__gc(x); return x end

-- ------------------------------------------------------------------ metatable swaps (issue 19)
local SWAPPED = {}     -- what swap/upswap changed on values that outlive the call, to restore
--- Restores what the last swap/upswap changed (also run after every call: a call that
--- yields from a coroutine never resumed does not leave io.stdout a "tensor").
local function unswap()
  for k = #SWAPPED, 1, -1 do
    local r = SWAPPED[k]
    if r.fn then debug.setupvalue(r.fn, 1, r.box) else debug.setmetatable(r.value, r.mt) end
    SWAPPED[k] = nil
  end
end
ENV.unswap = unswap
--- A light userdata (all of them share one metatable).
ENV.LIGHT = (function() local x = 0; return debug.upvalueid(function() return x end, 1) end)()
--- A closed io file: a foreign full userdata nothing needs to close.
function ENV.closedfile() local f = io.tmpfile(); f:close(); return f end
--- The box (a gcgap userdata of the "native" type) of a native function of a fresh copy of
--- the native module, so that freeing it kills no function the run uses.
function ENV.freshbox()
  local fresh = package.preload["gcgap.core"]()
  return select(2, debug.getupvalue(fresh.zeros, 1))
end
local RESTORE = { }    -- victims that outlive the call: their metatable is put back
function ENV.swap(victim, mtname, mname, a, b)
  local mt = ENV.MT[mtname] or (mtname == "native" and debug.getmetatable(ENV.freshbox())) or ENV.MT.tensor
  local fn = (ENV.METH[mtname] or {})[mname] or mt[mname]
  local own = ENV.MNAMES_OF[mtname]
  if type(fn) ~= "function" and own and #own > 0 then
    -- a name the type does not have: one of its own, chosen by the name (deterministic)
    local k = own[#tostring(mname) % #own + 1]
    fn = ENV.METH[mtname][k] or mt[k]
  end
  if type(fn) ~= "function" then fn = mt.__gc end
  if RESTORE[victim] or type(victim) ~= "userdata" or victim == ENV.LIGHT then
    SWAPPED[#SWAPPED + 1] = { value = victim, mt = debug.getmetatable(victim) }
  end
  debug.setmetatable(victim, mt)
  local r = table.pack(pcall(fn, victim, a, b))
  unswap()
  if not r[1] then error(r[2], 0) end
  return table.unpack(r, 2, r.n)
end
function ENV.upswap(name, victim, a, b)
  local fn = gc[name]
  if type(fn) ~= "function" or debug.getupvalue(fn, 1) ~= "" then error("fuzz: gcgap." .. tostring(name) .. " has no native box") end
  SWAPPED[#SWAPPED + 1] = { fn = fn, box = select(2, debug.getupvalue(fn, 1)) }
  debug.setupvalue(fn, 1, victim)
  local r = table.pack(pcall(fn, a, b))
  unswap()
  if not r[1] then error(r[2], 0) end
  return table.unpack(r, 2, r.n)
end

-- functions passed as arguments (no math.random inside: the run stays deterministic)
ENV.F = {
  nil_ = function() return nil end,
  err = function() error("fuzz: function argument errors") end,
  errobj = function() error(setmetatable({}, { __tostring = function() return "fuzz error object" end })) end,
  yield = function(...) return coroutine.yield(...) end,
  tensor = function() return gc.tensor { 1, 2, 3 } end,
  num = function() return 1 end,
  nan = function() return 0 / 0 end,
  str = function() return "L0.H0" end,
  big = function() return string.rep("x", 100000) end,
  rows = function() return { { 101, 5, 6, 102, 6, 5, 103 } } end,
  list = function() return { 3, 1, 2 } end,
  self = function(...) return ... end,
  many = function() return 1, 2, 3, 4, 5, 6, 7, 8 end,
  deep = function() return ENV.deep(30) end,
  -- hook functions (they get the output tensor and the component name)
  same = function(out) return out end,
  zero = function(out) return out * 0 end,
  nanout = function(out) return out * (0 / 0) end,
  huge = function(out) return out * 1e38 end,
  reshaped = function(out) return out:reshape(-1) end,
  -- a pass of, or a change to the hooks of, the fixture model M (from a hook on M: a
  -- re-entrant pass; left out with GCGAP_FUZZ_SKIP=hookreentry)
  pass = function() return ENV.M:logits(ENV.B) end,
  clear = function() ENV.M:clear_hooks() end,
  unhook = function() ENV.H:remove() end,
  -- for m:train's eval option: a pass between training steps
  evalpass = function() return ENV.M:accuracy(ENV.B) end,
}

local FIXNO = 0
-- The fixture models, tasks and batches.
local function fixture_models(E)
  E.M = gc.model { n_layers = 1, n_heads = 2, d_model = 8, d_head = 4, d_mlp = 16, n_ctx = 24, seed = 1 }
  E.M2 = gc.model { n_layers = 2, n_heads = 1, d_model = 4, d_head = 2, d_mlp = 8, n_ctx = 12, act = "relu",
                    positions = "learned", seed = 2 }
  -- d_mlp not a multiple of 8 (SIMD tails); with GCGAP_FUZZ_SKIP=gelu it is not
  E.MODD = gc.model { n_layers = 1, n_heads = 1, d_model = 4, d_head = 2, d_mlp = SKIPCAT.gelu and 8 or 5, n_ctx = 16, seed = 4 }
  E.HM = gc.model { n_layers = 1, n_heads = 2, d_model = 8, d_head = 4, d_mlp = 16, n_ctx = 24, seed = 3 } -- private
  E.TR, E.TS = gc.task.reverse(), gc.task.sort()
  E.TC = gc.task.new { name = "pairs", values = { 0, 3 }, target = function(x) local y = {}; for i = 1, #x do y[i] = (x[i] + 1) % 4 end; return y end }
  E.TL = gc.task.new { name = "lua-sample", target = function(x) return { #x } end,
                       sample = function(n, seed) local t = {}; for i = 1, n do t[i] = (seed + i) % 50 + 1 end; return t end }
  E.B = E.TR:batch { size = 48, length = { 3, 10 }, seed = 1 }
  E.B2 = E.TS:batch { size = 3, length = { 2, 5 }, seed = 2 }
  E.BL = E.TR:batch { size = 1, length = 8, seed = 3 }   -- 19 tokens: longer than M2's n_ctx
  E.HB = E.TR:batch { size = 48, length = { 3, 10 }, seed = 4 }   -- the batch of hook-mode passes
end

-- The fixture tensors, means, hooks, coroutines and standard streams.
local function fixture_values(E)
  E.T0 = gc.tensor(1.5)
  E.T1 = gc.tensor { 1, -2, 3.25 }
  E.T2 = gc.tensor { { 1, 2, 3 }, { 4, 5, 6 } }
  E.T3 = gc.randn({ 2, 3, 4 }, 7)
  E.TE = gc.zeros { 0 }
  E.TE2 = gc.zeros { 3, 0 }
  E.TN = gc.tensor { 0, 1, -1, 0 } / gc.tensor { 0, 0, 0, 1 }   -- NaN, inf, -inf, 0
  E.TR32 = gc.zeros(E.rep(1, SKIPCAT.rank and 8 or 32))              -- the highest rank
  E.TBIG = gc.randn({ 100, 100 }, 1)
  E.TW = E.M:param("embed.W_E")
  E.TH = gc.zeros { 48, 22, 8 }   -- the shape of a hook output of M on B
  E.MU = gc.means(E.M, E.B)
  E.MU2 = gc.means(E.M, E.B2, { per_position = true })
  E.H = E.M:hook("L0.H1", function() return nil end)
  E.HR = E.M2:hook("L1.MLP", function() return nil end); E.HR:remove()
  E.STDOUT = io.stdout
  RESTORE[io.stdout] = true; RESTORE[io.stderr] = true
  E.CO = coroutine.create(function(...) coroutine.yield(...); return 1 end)
  E.CODEAD = coroutine.create(function() end); coroutine.resume(E.CODEAD)
  E.F.wrap = coroutine.wrap(function() while true do coroutine.yield(gc.tensor { 1 }) end end)
end

-- .npy files: one valid, the others each break one rule of the format (issue 19).
local function npy_files(P)
  local function npy(header, data, major, minor)
    header = header .. string.rep(" ", 63 - (10 + #header) % 64) .. "\n"
    return "\147NUMPY" .. string.char(major or 1, minor or 0) .. string.pack(major and major > 1 and "<I4" or "<I2", #header) .. header .. data
  end
  local six = string.pack("<ffffff", 1, 2, 3, 4, 5, 6)
  local NPY = {
    npy_ok = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", six),
    npy_dup = npy("{'descr': '<f4', 'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }", six),
    npy_fortran = npy("{'descr': '<f4', 'fortran_order':True, 'shape': (2, 3), }", six),
    npy_bool2 = npy("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", "\1\2"),
    npy_junk = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } junk", six),
    npy_minor = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", six, 1, 1),
    npy_missing = npy("{'descr': '<f4', 'shape': (2, 3), }", six),
    npy_v3bad = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), '\255': True}", six, 3),
    npy_rank33 = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (" .. string.rep("1, ", SKIPCAT.rank and 8 or 33) .. "), }", string.pack("<f", 1)),
  }
  for name, bytes in pairs(NPY) do
    P[name] = P[name] or tmppath(name .. ".npy")
    local f = assert(io.open(P[name], "wb")); f:write(bytes); f:close()
  end
end

-- The files the calls read and write, under the fuzzer's temporary prefix.
local function fixture_files(E)
  E.PATH = E.PATH or {}
  local P = E.PATH
  P.ckpt = P.ckpt or tmppath("model.safetensors"); E.M:save(P.ckpt)
  P.ckpt2 = P.ckpt2 or tmppath("model2.safetensors"); E.M2:save(P.ckpt2)
  P.tensors = P.tensors or tmppath("tensors.safetensors"); gc.save_tensors(P.tensors, { a = E.T2, b = E.T0, e = E.TE })
  P.text = P.text or tmppath("text.txt")
  do local f = assert(io.open(P.text, "wb")); f:write("not a safetensors file\0\255"); f:close() end
  P.empty = P.empty or tmppath("empty")
  do local f = assert(io.open(P.empty, "wb")); f:close() end
  P.missing = TMP .. "-does-not-exist/x"
  npy_files(P)
  P.dir = "/tmp"
  P.w1 = P.w1 or tmppath("w1"); P.w2 = P.w2 or tmppath("w2.safetensors"); P.w3 = P.w3 or tmppath("w 3 \255")
end

-- The experiment's fuzz preset and records.
local function fixture_experiment(E)
  local EX = S.experiment
  E.TINY = { model = { n_layers = 1, n_heads = 2, d_model = 8, d_head = 4, d_mlp = 16, n_ctx = 24 },
             train = { lr = 1e-3, batch = 4, lengths = { 3, 4 }, steps = 2, target = 0.9 },
             eval_every = 1, eval_size = 4, ood = { lengths = { 4, 5 }, range = { 0, 1 } }, set_size = 4,
             grad = { batches = 1, batch = 4 }, id_size = 4, bootstrap = 3 }
  E.preset = function(name, extra)
    local o = {}
    for k, v in pairs(E.TINY) do o[k] = v end
    for k, v in pairs(extra or {}) do o[k] = v end
    return EX.preset(name, o)
  end
  if not E.RECORDS then
    -- two real records when the stdlib's pipeline runs on this build, else a hand-made one
    local ok1, r1 = pcall(EX.analyse, E.M, "reverse", 1, E.preset("default"))
    local ok2, r2 = pcall(EX.analyse, E.M2, "sort", 2, E.preset("paper-code", { model = { n_layers = 2, n_heads = 1, d_model = 4, d_head = 2, d_mlp = 8, n_ctx = 12 } }))
    if not (ok1 and ok2) then
      local comps = { "L0.H0", "L0.H1", "L0.MLP" }
      local G, C, D = { ["L0.H0"] = 0.3, ["L0.H1"] = 0.1, ["L0.MLP"] = 0.9 }, { ["L0.H0"] = 0.2, ["L0.H1"] = 0.5, ["L0.MLP"] = 0.1 },
                      { ["L0.H0"] = 0, ["L0.H1"] = -2, ["L0.MLP"] = 2 }
      local cl = { heroes = { "L0.H1" }, bloats = { "L0.MLP" }, aligned = { "L0.H0" } }
      local pr = { components = { "L0.H1" }, ood = 0.1, id = 0.5 }
      r1 = { task = "reverse", seed = 1, preset = "default", components = comps, valid = true, base_accuracy = 0.5,
             ood = { length = 5, accuracies = { { length = 4, accuracy = 0.9 }, { length = 5, accuracy = 0.5 } } },
             G = { raw = G, per_param = G }, C = C, rho = { raw = 0.5, per_param = -0.5 }, delta = { raw = D, per_param = D },
             classes = { raw = cl, per_param = cl }, seconds = 1, train = { steps = 2, accuracy = 0.1, seconds = 1, reached = false, loss = 4 },
             pruning = { baseline = { ood = 0.5, id = 0.9 }, raw = { heroes = pr, bloats = pr }, per_param = { heroes = pr, bloats = pr } },
             bootstrap = { resamples = 3, rho_interval = { raw = { 0.1, 0.9 } }, hero_stability = { raw = { ["L0.H1"] = 1 } }, bloat_stability = { raw = {} } } }
      r2 = { task = "sort", seed = 2, preset = "paper-code", components = comps, valid = false, note = "hand-made",
             ood = { accuracies = { { length = 8, accuracy = 0 } } } }
    end
    E.RECORDS = { r1, r2 }
  end
  E.REC = E.RECORDS[1]
end

-- The reference values of the fixture tensors, for the oracle.
local function fixture_references(E)
  E.REF = {
    [E.T0] = { shape = {}, data = { 1.5 } },
    [E.T1] = { shape = { 3 }, data = { 1, -2, 3.25 } },
    [E.T2] = { shape = { 2, 3 }, data = { 1, 2, 3, 4, 5, 6 } },
    [E.TE] = { shape = { 0 }, data = {} },
    [E.TE2] = { shape = { 3, 0 }, data = {} },
  }
  local function flat(t, out) if type(t) == "table" then for _, v in ipairs(t) do flat(v, out) end else out[#out + 1] = t end; return out end
  E.REF[E.T3] = { shape = { 2, 3, 4 }, data = flat(E.T3:totable(), {}) }
  E.REF[E.TBIG] = { shape = { 100, 100 }, data = flat(E.TBIG:totable(), {}) }
end

--- (Re)builds the fixtures: small models, tensors, batches, tasks, means, hooks, files.
local function fixtures()
  FIXNO = FIXNO + 1
  fixture_models(ENV)
  fixture_values(ENV)
  fixture_files(ENV)
  fixture_experiment(ENV)
  fixture_references(ENV)
end

-- ------------------------------------------------------------------ values (as expressions)
-- A generator returns a Lua expression (a string); ctx holds the per-target restrictions.
local HUGE_INTS = { "2147483648", "4294967296", "1099511627776", "math.maxinteger", "math.mininteger",
                    "-1099511627776", "9007199254740993", "1000000000", "2147483647" }
local SMALL_INTS = { "0", "1", "-1", "2", "3", "4", "7", "8", "16", "24", "25", "-7", "5" }
local FLOATS = { "0.5", "-0.0", "0.0", "0/0", "1/0", "-1/0", "1.5", "-2.5", "1e-300", "3.0", "1e-3", "0.95", "-0.5", "2^-1074" }
local HUGE_FLOATS = { "1e300", "2^63", "-2^63", "2^40", "1e9", "3e38", "2^53" }
local STRINGS = { '""', '"L0.H0"', '"L0.H1"', '"L0.MLP"', '"L1.MLP"', '"L9.MLP"', '"L0.H9"', '"L0.ATTN"', '"L0.H0.z"',
  '"L1.H0"', '"l0.h0"', '"L0.H0 "', '"L-1.H0"', '"L+0.H0"', '"L0.H0.z.z"', '"L99999999999999999999.H0"',
  '"L9223372036854775807.H0"', '"L0..H0"', '"L0.mlp"', '"L0"', '"."', '"\\0"', '"L0.H0\\0"', '"\\255\\254\\253"', '"abc\\0def"',
  '("x"):rep(100000)', '("L0.H0"):rep(1000)', '"reverse"', '"sort"', '"mean"', '"zero"', '"resample"', '"raw"', '"per_param"',
  '"average"', '"ordinal"', '"gelu"', '"relu"', '"learned"', '"none"', '"default"', '"paper-code"', '"embed.W_E"',
  '"blocks.0.attn.W_Q"', '"blocks.9.attn.W_Q"', '"pos_embed.W_pos"', '"unembed.b_U"', '"%s%n%d"', '"1"', '"-1"', '"0x10"',
  '"1e400"', '"nan"', '"\\240\\159\\146\\169"', '"\\192\\128"', '"{\\"a\\":1}"', '"[1,2"', '"\\n\\r\\t"', '"steps"', '"__index"',
  '"__gc"', '"batch"', '"."', '"/"' }
local COMPS = { '"L0.H0"', '"L0.H1"', '"L0.MLP"', '"L0.ATTN"', '"L0.H0.z"', '"L0.H1.z"', '"L1.H0"', '"L1.MLP"', '"L1.ATTN"', '"L1.H0.z"',
  '"L9.MLP"', '"L0.H9"', '"L0.H2"', '"l0.mlp"', '"L0.attn"', '"L0.H0.Z"', '""', '"L0.H0.q"', '"L-1.MLP"', '"L1.H1"' }
local PNAMES = { '"embed.W_E"', '"pos_embed.W_pos"', '"blocks.0.ln1.w"', '"blocks.0.ln1.b"', '"blocks.0.attn.W_Q"',
  '"blocks.0.attn.W_K"', '"blocks.0.attn.W_V"', '"blocks.0.attn.W_O"', '"blocks.0.attn.b_Q"', '"blocks.0.attn.b_O"',
  '"blocks.0.ln2.w"', '"blocks.0.mlp.W_in"', '"blocks.0.mlp.b_in"', '"blocks.0.mlp.W_out"', '"blocks.0.mlp.b_out"',
  '"blocks.1.mlp.W_in"', '"blocks.1.attn.W_Q"', '"ln_final.w"', '"ln_final.b"', '"unembed.W_U"', '"unembed.b_U"',
  '"blocks.0.attn.mask"', '"blocks.-1.ln1.w"', '"blocks.99999999999999999999.ln1.w"', '"embed"', '""' }
local TENSORS = { "T0", "T1", "T2", "T3", "TE", "TE2", "TN", "TBIG", "TW", "TH", "TR32", "gcgap.tensor{1}", "gcgap.zeros{8}",
  "gcgap.ones{2,2}", "gcgap.zeros{1,1,1,1,1,1}", "gcgap.randn({104,8},3)", "gcgap.zeros{8,4}", "gcgap.zeros{2,8,4}",
  "gcgap.zeros{24,8}", "gcgap.tensor{1e30,-1e30}", "gcgap.tensor{2^-149}", "M:param('blocks.0.attn.W_Q')",
  "dead(gcgap.tensor{1,2})", "gcgap.zeros{0,0}", "gcgap.zeros{1}" }
-- tensors of a rank above the limit: made by reshape/stack where those do not check (rank 200
-- overflowed the Lua stack in totable); an argument error where they do
if not SKIPCAT.rank then
  TENSORS[#TENSORS + 1] = "gcgap.tensor{1}:reshape(rep(1,200))"
  TENSORS[#TENSORS + 1] = "gcgap.stack{gcgap.zeros(rep(1,40))}"
end
local MODELS = { "M", "M", "M", "M", "M2", "M2", "M:copy()", "M2:copy()", "dead(M:copy())", "MODD" }
local BATCHES = { "B", "B", "B2", "BL", "HB", "TC:batch{size=2,length=2,seed=5}", "TL:batch{size=2,length=3,seed=1}",
  "gcgap.batch{{101,5,102,5,103}}", "gcgap.batch{{101,102}}", "gcgap.batch{{0,102,103}}", "dead(TR:batch{size=1,length=1})",
  "TR:batch{size=64,length=7,seed=9}", "TR:batch{size=2,length=12,seed=1}", "TS:batch{size=1,length=1}" }
local ROWS = { "{{101,5,6,102,6,5,103}}", "{{101,102}}", "{{101,5,102}}", "{{5,5,5}}", "{{101,5,102,5,103},{101,7,102,7,103}}",
  "{{101,5,102,5,103},{101,102}}", "{{}}", "{}", "{{101,200,102,1,103}}", "{{101,103,102,104,103}}", "{{101,-1,102,1,103}}",
  "{{101,1.5,102,1,103}}", "{{101,'x',102,1,103}}", "{{101,2^40,102,1,103}}", "{{101,math.maxinteger,102,1,103}}",
  "{rep(101,30)}", "{{101,5,102,100,100}}", "{{102,102,102}}", "{rep(102,200)}", "{ {101,5,102,5,103}, 'x' }",
  "{{101,1073741823,102,1,103}}", "{{101,1073741824,102,1,103}}" }
local TASKS = { "TR", "TS", "TC", "TL", "gcgap.task.new{target=F.err}", "gcgap.task.new{target=F.nil_}",
  "gcgap.task.new{target=F.list, sample=F.err}", "gcgap.task.new{target=F.big}", "gcgap.task.new{target=F.tensor, sample=F.list}",
  "gcgap.task.new{target=F.self, values={0,1073741823}}", "gcgap.task.new{target=F.list, sample=F.rows}",
  "gcgap.task.new{target=F.yield}", "dead(gcgap.task.reverse())" }
local FNS = { "F.nil_", "F.err", "F.errobj", "F.yield", "F.tensor", "F.num", "F.nan", "F.str", "F.big", "F.rows", "F.list",
  "F.self", "F.many", "F.deep", "gcgap.clock", "gcgap.tensor", "tostring", "error", "coroutine.yield", "F.wrap",
  "F.same", "F.zero", "F.nanout", "F.huge", "F.reshaped", "F.same", "F.zero", "F.pass", "F.clear", "F.unhook" }
local TABLES = { "{}", "{1,2,3}", "{{1,2},{3,4}}", "{1,{2}}", "{1,'x'}", "{0/0,1/0,-1/0}", "{[1]=1,[3]=3}", "{n=1}",
  "{1.5,2.5}", "{-1,2}", "{0}", "{{}}", "{{},{}}", "{{{1}},{{2}}}", "range(1000)", "{true}", "{x={y={z={}}}}",
  "{[0]=1}", "{1, nil, 3}", "{[2^53]=1}", "{[-1]=1}", "{'L0.H0','L0.MLP'}", "{['L0.H0']=1,['L0.H1']=2,['L0.MLP']=3}",
  "{['L0.H0']=0/0,['L0.H1']=2,['L0.MLP']=3}", "{['L0.H0']='x'}", "{[true]=1}", "{[gcgap.tensor{1}]=1}",
  "{{1,2,3},{4,5}}", "rep(1,64)", "{2^31,2}", "{1e9,1e9}", "{2^40}", "{-0.0}", "{math.mininteger}", "{math.maxinteger,1}",
  "{1e300}", "{{1,-1e39}}", "{3.4e38,-3.4e38}" }
local SPECIAL_TABLES = { "cyclic()", "cyclic2()", "deep(25)", "deep(31)", "deep(32)", "deep(1000)", "deep(5000)", "hostile()",
                         "sparse(40)", "sparse(63)", "{sparse(40), {1}}", "{{1}, sparse(63)}" }
local UDATA = { "M", "M2", "B", "B2", "TR", "TS", "T1", "T2", "T0", "TE", "MU", "MU2", "H", "HR", "STDOUT",
  "dead(gcgap.tensor{1})", "dead(M:copy())", "io.stderr" }

local function is_huge(expr)
  for _, h in ipairs(HUGE_INTS) do if expr == h then return true end end
  for _, h in ipairs(HUGE_FLOATS) do if expr == h then return true end end
  return false
end

local G = {}        -- kind -> generator(ctx) -> expression
local any

local function int(ctx)
  if not ctx.nohuge and chance(0.2) then return pick(HUGE_INTS) end
  if chance(0.15) then return tostring(R(-3, 30)) end
  return pick(SMALL_INTS)
end
local function num(ctx)
  if not ctx.nohuge and chance(0.2) then return pick(HUGE_FLOATS) end
  if chance(0.3) then return int(ctx) end
  return pick(FLOATS)
end
local function filtered(list, ctx)
  local e = pick(list)
  if ctx.noforeign and (e == "STDOUT" or e == "io.stderr") then return "M:copy()" end
  if ctx.nowrap and e == "F.wrap" then return "F.tensor" end
  if ctx.noreentry and (e == "F.pass" or e == "F.clear" or e == "F.unhook") then return "F.same" end
  return e
end

G["nil"] = function() return "nil" end
G.bool = function() return chance(0.5) and "true" or "false" end
G.int = int
G.num = num
G.str = function() return pick(STRINGS) end
-- well-formed calls (ctx.wellformed) draw from these only, to get past argument checks
local GOOD = {
  comp = { '"L0.H0"', '"L0.H1"', '"L0.MLP"', '"L0.ATTN"', '"L0.H0.z"', '"L0.H1.z"' },
  pname = { '"embed.W_E"', '"blocks.0.attn.W_Q"', '"blocks.0.mlp.W_in"', '"unembed.W_U"', '"blocks.0.ln1.w"', '"pos_embed.W_pos"' },
  tensor = { "T1", "T2", "T3", "TBIG", "TW", "TH", "gcgap.zeros{8}", "gcgap.ones{2,2}" },
  model = { "M", "M", "M2", "M:copy()" },
  batch = { "B", "B2", "HB", "TC:batch{size=2,length=2,seed=5}", "TL:batch{size=2,length=3,seed=1}", "gcgap.batch{{101,5,102,5,103}}",
            "{{101,5,6,102,6,5,103}}", "TR:batch{size=64,length=5,seed=9}" },
  task = { "TR", "TS", "TC", "TL" },
  fn = { "F.nil_", "F.same", "F.zero", "F.num", "F.list", "F.rows" },
}
G.comp = function(ctx) if ctx.wellformed then return pick(GOOD.comp) end return (ctx.wellformed or chance(0.85)) and pick(COMPS) or any(ctx) end
G.pname = function(ctx) if ctx.wellformed then return pick(GOOD.pname) end return (ctx.wellformed or chance(0.85)) and pick(PNAMES) or any(ctx) end
G.tensor = function(ctx) if ctx.wellformed then return pick(GOOD.tensor) end return (ctx.wellformed or chance(0.85)) and pick(TENSORS) or any(ctx) end
G.model = function(ctx) if ctx.wellformed then return pick(GOOD.model) end return (ctx.wellformed or chance(0.9)) and pick(MODELS) or any(ctx) end
G.batch = function(ctx)
  if ctx.wellformed then return pick(GOOD.batch) end
  if chance(0.7) then return pick(BATCHES) end
  if chance(0.6) then return pick(ROWS) end
  return any(ctx)
end
G.rows = function(ctx)
  if ctx.wellformed then return pick { "{{5,6}}", "{{1,2,3},{4,5,6}}", "{{99,1}}", "{{7}}" } end  -- task:sample takes inputs
  return chance(0.85) and pick(ROWS) or any(ctx)
end
G.task = function(ctx) if ctx.wellformed then return pick(GOOD.task) end return (ctx.wellformed or chance(0.85)) and pick(TASKS) or any(ctx) end
G.means = function(ctx)
  if ctx.wellformed then return pick { "MU", "MU2" } end
  return (ctx.wellformed or chance(0.8)) and pick { "MU", "MU2", "gcgap.means(M2, B)", "gcgap.means(M, BL)" } or any(ctx)
end
G.hook = function(ctx) return (ctx.wellformed or chance(0.9)) and pick { "H", "HR", "M:hook('L0.MLP', F.nil_)", "M2:hook('L1.H0', F.err)" } or any(ctx) end
G.fn = function(ctx) if ctx.wellformed then return pick(GOOD.fn) end return chance(0.85) and filtered(FNS, ctx) or any(ctx) end
G.table = function(ctx)
  if chance(0.1) then
    local e = pick(SPECIAL_TABLES)
    if (ctx.nocycle and e:find("cyclic")) or (ctx.nodeep and e:find("deep")) then return "{1,2}" end
    return e
  end
  return pick(TABLES)
end
G.udata = function(ctx) return filtered(UDATA, ctx) end
G.co = function() return pick { "CO", "CODEAD", "coroutine.running()", "coroutine.create(print)" } end
G.seq = function(ctx)
  if not ctx.wellformed and chance(0.2) then return any(ctx) end
  local n = pick { 0, 1, 2, 3, 5, 8, 20 }
  local t = {}
  for i = 1, n do t[i] = chance(0.1) and pick { "0/0", "1/0", "'x'", "true", "{}" } or tostring(R(-5, 5)) end
  return "{" .. table.concat(t, ",") .. "}"
end
G.scores = function(ctx)
  if not ctx.wellformed and chance(0.15) then return any(ctx) end
  local names = pick { { "L0.H0", "L0.H1", "L0.MLP" }, { "L0.H0", "L0.MLP", "L1.H0", "L1.MLP" }, { "L0.H0" }, {},
                       { "L0.H0", "L0.H1", "L0.MLP", "zz" }, { "a", "b" } }
  local t = {}
  for _, n in ipairs(names) do
    local v = chance(0.08) and pick { "0/0", "1/0", "'x'", "true" } or tostring(R(-3, 3)) .. (chance(0.5) and ".5" or "")
    t[#t + 1] = "[" .. q(n) .. "]=" .. v
  end
  if chance(0.1) then t[#t + 1] = "1" end
  return "{" .. table.concat(t, ",") .. "}"
end
G.path_r = function(ctx)
  if not ctx.wellformed and chance(0.1) then return any(ctx) end
  return pick { "PATH.ckpt", "PATH.ckpt", "PATH.ckpt2", "PATH.tensors", "PATH.text", "PATH.empty", "PATH.missing", "PATH.dir",
                '""', '"\\0"', "PATH.w1", "PATH.w2", "TMP .. '-nope'", "PATH.ckpt .. '\\0junk'", "('x'):rep(5000)", "TMP .. '-w4\\0junk'",
                "PATH.npy_ok", "PATH.npy_ok", "PATH.npy_dup", "PATH.npy_fortran", "PATH.npy_bool2", "PATH.npy_junk", "PATH.npy_minor",
                "PATH.npy_missing", "PATH.npy_v3bad", "PATH.npy_rank33" }
end
-- a path to write to: a temporary file, or something that is not a string nor a number
G.path_w = function(ctx)
  if chance(0.85) then
    local e = pick { "PATH.w1", "PATH.w2", "PATH.w3", "PATH.missing", "TMP .. '-w4\\0junk'", "TMP .. '-' .. ('y'):rep(300)",
                  "PATH.dir .. '/'", "PATH.w1 .. '/x'" }
    if ctx.nonul and e:find("\\0", 1, true) then e = "PATH.w1" end
    return e
  end
  return pick { "nil", "true", "{}", "M", "F.num" }
end
G.preset = function(ctx)
  if not ctx.wellformed and chance(0.1) then return any(ctx) end
  return pick { "preset('default')", "preset('paper-code')", "preset('default', {threshold=0})", "preset('default', {strict=true})",
                "preset('default', {zslice_defect=true})", "preset('default', {whole_wv=true})", "preset('default', {means='fresh-batches'})",
                "preset('default', {layout='blocks'})", "preset('default', {bootstrap=0})", "preset('default', {ood={lengths={},range={0,1}}})",
                "preset('default', {ood={lengths={30},range={0,1}}})", "preset('default', {ood={lengths={4},range={2,3}}})",
                "preset('paper-code', {pruning='component-order', threshold=-1})", "preset('default', {ranks='ordinal'})" }
end
G.records = function(ctx)
  if not ctx.wellformed and chance(0.1) then return any(ctx) end
  return pick { "RECORDS", "{REC}", "{}", "{{}}", "{REC, {task='reverse', valid=false}}", "{{task='x', valid=true}}",
                "{REC, REC}", "{{task='reverse', valid=true, rho={}, classes={}}}" }
end
G.json = function(ctx)
  return pick { '"[1,2,{\\"a\\":null}]"', '"{\\"a\\":[true,false,null,1.5e3]}"', '"\\"\\\\u12\\""', '"\\"\\\\uZZZZ\\""',
                '"\\"\\\\ud800\\""', '("["):rep(100000)', '("["):rep(1000)', '"[" .. ("1,"):rep(10000) .. "1]"', '""', '"nul"', '"-"',
                '"1e999"', '"{\\"a\\":1,\\"a\\":2}"', '"\\"abc"', '"[1,]"', '"{\\"a\\"}"', '"  "', '"\\"\\\\"', '"0x10"' }
    or any(ctx)
end

local OPTSPEC = {
  model = { n_layers = "msize", n_heads = "msize", d_model = "msize", d_head = "msize", d_mlp = "mlp", n_ctx = "ctx",
            d_vocab = "vocab", act = "choice:gelu|relu|tanh", positions = "choice:none|learned|rotary", eps = "adameps", seed = "seed" },
  train = { steps = "steps", lr = "lr", beta1 = "beta", beta2 = "beta", eps = "adameps", weight_decay = "wd", batch = "small8",
            lengths = "len", eval_every = "every", eval_size = "small8", target = "target", seed = "seed", quiet = "quiet",
            label = "str", eval = "evalfn", snapshot_every = "every" },
  abl = { ablate = "ablate", with = "choice:mean|zero|resample", per_position = "bool", means = "means", source = "batch" },
  gradnorm = { norm = "choice:raw|per-param|per_param", whole_wv = "bool" },
  taskbatch = { size = "small64", length = "len", seed = "seed", stream = "str" },
  tasknew = { name = "str", target = "fn", sample = "fn", values = "len" },
  ood = { lengths = "lenlist", range = "range01", size = "small16", seed = "seed" },
  gradient = { norm = "choice:raw|per-param|per_param", whole_wv = "bool", length = "len", batches = "tiny", batch = "small8", seed = "seed", stream = "str" },
  taylor = { length = "len", batches = "tiny", batch = "small8", seed = "seed", stream = "str" },
  causal = { ablation = "choice:mean|zero|resample", per_position = "bool", zslice_defect = "bool", means = "means", source = "batch",
             metric = "metric" },
  evaluate = { ablate = "ablate", with = "choice:mean|zero|resample", per_position = "bool", means = "means", source = "batch", metric = "metric" },
  patching = { metric = "metric" },
  estimator = { ablation = "choice:mean|zero|resample", per_position = "bool", means = "means", source = "batch",
                metric = "metric", steps = "tiny", components = "table" },
  shapley = { ablation = "choice:mean|zero|resample", means = "means", source = "batch", permutations = "tiny",
              metric = "choice:accuracy|loss|kl", seed = "seed" },
  ladder = { metrics = "metrics", steps = "tiny", shapley = "tiny", means = "means", source = "batch", seed = "seed" },
  means = { per_position = "bool" },
  gap = { ranks = "choice:average|ordinal" },
  classify = { threshold = "threshold", strict = "bool" },
  components = { n_layers = "msize", n_heads = "msize" },
  permutation = { permutations = "tiny100", seed = "seed" },
  bootstrap = { resamples = "tiny50", level = "level", seed = "seed" },
  meanrho = { norm = "choice:raw|per_param|x", resamples = "tiny100", seed = "seed", seeds = "bool", samples = "bool" },
  resample = { resamples = "tiny100", seed = "seed" },
  pretty = { depth = "int", items = "int", width = "int" },
  etrain = { cache = "path_w", label = "str", quiet = "quiet" },
  eanalyse = { status = "fn" },
  erun = { out = "path_w", fresh = "bool", cache = "path_w", quiet = "quiet" },
  markdown = { title = "str", preset = "str", seconds = "num", figures = "seq", decomposition = "table" },
}
-- options always present, so the defaults (long runs) are never used
local ALWAYS = {
  train = { "steps", "batch", "eval_size", "quiet" }, gradient = { "batches", "batch", "length" }, taylor = { "batches", "batch", "length" }, tasknew = { "target" },
  ood = { "size" }, permutation = { "permutations" }, bootstrap = { "resamples" }, meanrho = { "resamples" }, resample = { "resamples" }, etrain = { "quiet" }, erun = { "quiet" },
  shapley = { "permutations" }, ladder = { "steps" },
}

local function bounded(valid, invalid)
  return function(ctx)
    if ctx.wellformed or chance(0.8) then return pick(valid) end
    if chance(0.5) then
      local e = pick(invalid)
      if ctx.nohuge and is_huge(e) then return "0" end
      return e
    end
    local e = any(ctx)
    -- a random number in place of a bounded option stays within the bound or is refused
    -- (only plain arithmetic is evaluated here: nothing native runs outside the logged call)
    if e:match("^[-%d%.e%^/%s()]+$") or e:match("^%-?math%.%a+$") then
      local ok, v = pcall(load("return " .. e, "=v", "t", { math = math }))
      if ok and type(v) == "number" and v > 25 and v < 2^31 then return pick(valid) end
    end
    return e
  end
end
local INVALID_COUNTS = { "0", "-1", "2147483648", "math.maxinteger", "math.mininteger", "1.5", "0/0", "'2'", "true", "{}" }
G.msize = bounded({ "1", "2", "3", "4" }, INVALID_COUNTS)
G.mlp = function(ctx)
  local valid = ctx.gelu8 and { "8", "16", "24" } or { "8", "16", "1", "3", "7", "12" }
  return bounded(valid, INVALID_COUNTS)(ctx)
end
G.ctx = bounded({ "1", "2", "8", "12", "24", "64" }, INVALID_COUNTS)
G.vocab = bounded({ "1", "2", "50", "104", "110", "256" }, INVALID_COUNTS)
G.steps = bounded({ "0", "1", "2", "3", "10" }, INVALID_COUNTS)
G.small8 = bounded({ "1", "2", "3", "8", "32" }, INVALID_COUNTS)
G.small16 = bounded({ "1", "2", "16", "64" }, INVALID_COUNTS)
G.small64 = bounded({ "1", "2", "3", "64", "256" }, INVALID_COUNTS)
G.tiny = bounded({ "1", "2", "4" }, INVALID_COUNTS)
G.tiny100 = bounded({ "1", "2", "100", "1000" }, INVALID_COUNTS)
G.tiny50 = bounded({ "1", "2", "50", "500" }, INVALID_COUNTS)
G.quiet = function(ctx) return chance(0.9) and "true" or pick { "'yes'", "1", "{}" } end
G.target = bounded({ "0.5", "1", "false", "0" }, { "2", "true", "'x'", "0/0", "-1" })
G.lr = bounded({ "1e-3", "0.01", "0.1", "1" }, { "0", "-1e-3", "0/0", "1/0", "1e30", "2^-1074", "'x'" })
G.beta = bounded({ "0.9", "0.999", "0", "0.5" }, { "1", "-0.1", "1.5", "0/0", "1/0" })
G.adameps = bounded({ "1e-8", "1e-6", "1" }, { "0", "-1e-8", "0/0", "1/0", "1e-45" })
G.wd = bounded({ "0", "0.01", "0.1" }, { "-0.1", "1/0", "0/0", "1e30" })
G.every = bounded({ "0", "1", "2", "5" }, { "-1", "2147483648", "1.5", "'x'" })
G.level = bounded({ "0.95", "0.5", "0.99" }, { "0", "1", "-1", "0/0", "1.5", "1/0" })
G.threshold = bounded({ "6", "0", "1", "2.5", "-1" }, { "0/0", "1/0", "-1/0", "'x'" })
G.seed = bounded({ "0", "1", "42", "-1", "math.maxinteger", "math.mininteger" }, { "1.5", "0/0", "'1'", "{}" })
G.bool = function(ctx) return chance(0.5) and "true" or "false" end
G.str = function(ctx) return ctx and ctx.wellformed and pick { '"fuzz"', '"x"', '"stream-1"' } or pick(STRINGS) end
G.len = function(ctx)
  local valid = { "1", "2", "3", "5", "{1,3}", "{2,2}", "{3,7}", "{1,12}" }
  local invalid = { "0", "-1", "{3,2}", "{0,5}", "{-1,3}", "{1,2,3}", "{'a',1}", "{}", "1.5", "{1.5,2}", "'3'", "{1}",
                    "{1,2147483648}", "1099511627776", "{1,math.maxinteger}", "{math.mininteger,1}", "math.maxinteger" }
  if ctx.wellformed or chance(0.75) then return pick(valid) end
  local e = chance(0.8) and pick(invalid) or any(ctx)
  if ctx.nohuge and (is_huge(e) or e:find("2147483648") or e:find("maxinteger") or e:find("mininteger")) then return "{3,2}" end
  return e
end
G.lenlist = function(ctx)
  local e = pick { "{8,9}", "{4}", "{1,2,3}", "{}", "{0}", "{-1}", "{'x'}", "{12,11,10}", "{1.5}", "{2147483648}", "{1099511627776}", "5", "'x'" }
  if ctx.nohuge and (e:find("2147483648") or e:find("1099511627776")) then return "{30}" end
  return e
end
G.range01 = function(ctx)
  return pick { "{0,1}", "{0.2,0.75}", "{1,0}", "{0/0,1}", "{}", "{'a'}", "{0,1,2}", "{-1/0,1/0}", "5" }
end
G.tensorlist = function(ctx)
  return pick { "{T1, T1}", "{T2, T2, T2}", "{T1, T2}", "{}", "{T1, 1}", "{TE, TE}", "{T3}", "{TN, TN}", "{TR32}", "{TR32, TR32}",
                "{dead(gcgap.tensor{1})}", "{STDOUT}" }
end
-- shapes of a rank above the limit (32), left out with GCGAP_FUZZ_SKIP=rank
local function rank_ok(e) return not (SKIPCAT.rank and (e:find("rep(1,33)", 1, true) or e:find("rep(1,200)", 1, true) or e:find("rep(1,5000)", 1, true))) end

G.ablate = function(ctx)
  if chance(0.5) then return pick(COMPS) end
  return pick { "{'L0.H0'}", "{'L0.H0','L0.MLP'}", "{}", "{1}", "{'L0.H0', 5}", "{'L9.MLP'}", "{'L0.H0','L0.H0'}", "{'L0.H0.z','L0.ATTN'}",
                "{'L0.H0','L0.H1','L0.MLP','L0.ATTN','L0.H0.z','L0.H1.z'}" }
end

G.ablists = function(ctx)
  return pick { "{'L0.H0'}", "{'L0.H0', {'L0.MLP', 'L0.H1'}}", "{}", "{{}}", "{1}", "{{'L0.H0', 5}}", "{'L9.MLP'}",
                "{{'L0.H0','L0.H0'}}", "{'L0.H0.z'}", "{true}", "{{'L0.H0'}, 'L0.H0', 'L0.H0'}", "{'L0.ATTN', {'L0.H1.z'}}" }
end

-- a metric: a name, the bare 'logit_diff' (refused), or TransformerLens's table, well formed or not
local LOGIT_DIFFS = {
  "{'logit_diff', answer = 3, wrong = 4}", "{'logit_diff', answer = 3, wrong = 4, pos = -1}", "{'logit_diff', answer = 3, wrong = 4, pos = 1}",
  "{'logit_diff', answer = {3, 4}, wrong = 5}", "{'logit_diff', answer = {{3}}, wrong = 5}", "{'logit_diff', answer = T1, wrong = T2}",
  "{'logit_diff', answer = 3, wrong = 4, pos = {1, 2}}", "{'logit_diff', answer = 1e9, wrong = 0}", "{'logit_diff', answer = 0/0, wrong = 1}",
  "{'logit_diff', answer = -1, wrong = 1}", "{'logit_diff', answer = 1.5, wrong = 1}", "{'logit_diff', answer = 3}", "{'logit_diff'}",
  "{'logit_diff', answer = 3, wrong = 4, pos = 0}", "{'logit_diff', answer = 3, wrong = 4, pos = math.mininteger}",
  "{'logit_diff', answer = {{3}}, wrong = 4, pos = -1}", "{'logit_diff', answer = 3, wrong = 4, zz = 1}", "{'margin', answer = 3, wrong = 4}",
  "{'logit_diff', answer = 'x', wrong = 4}", "{'logit_diff', answer = cyclic(), wrong = 4}", "{'logit_diff', answer = deep(40), wrong = 4}",
  "{'logit_diff', answer = TN, wrong = 4}", "{'logit_diff', answer = {[1] = 3, x = 2}, wrong = 4}", "{'logit_diff', [2] = 1, answer = 3, wrong = 4}",
  "{'logit_diff', answer = {{3}, {4, 5}}, wrong = 1}", "{'logit_diff', answer = {{}}, wrong = 1}", "{'logit_diff', answer = {{'x'}}, wrong = 1}",
  "{'logit_diff', answer = {3, {4}}, wrong = 1}", "{'logit_diff', answer = 3.0000001, wrong = 4}", "{'logit_diff', answer = 2^31, wrong = 4}",
  "{'logit_diff', answer = math.maxinteger, wrong = 4}", "{'logit_diff', answer = 3, wrong = 4, pos = math.maxinteger}",
  "{'logit_diff', answer = gcgap.zeros{268435456, 0}, wrong = 4}", "{'logit_diff', answer = gcgap.zeros{2, 0}, wrong = 4}",
  "{'logit_diff', answer = 3, wrong = 4, pos = {{1}}}", "{'logit_diff', answer = 3, wrong = 4, pos = gcgap.zeros{2, 2}}",
}
local METRIC_NAMES = { "'accuracy'", "'token_accuracy'", "'loss'", "'margin'", "'kl'", "'prob'", "'logit_diff'", "'bogus'" }
G.metric = function(ctx)
  if chance(0.6) then return pick(METRIC_NAMES) end
  return chance(0.9) and pick(LOGIT_DIFFS) or any(ctx)
end
G.metrics = function(ctx)
  local n, parts = R(4) - 1, {}
  for k = 1, n do parts[k] = chance(0.7) and pick(METRIC_NAMES) or pick(LOGIT_DIFFS) end
  return chance(0.9) and "{" .. table.concat(parts, ", ") .. "}" or any(ctx)
end

--- An options table for `spec` (a name in OPTSPEC): known keys with fitting or random
--- values, sometimes unknown keys and stray array items.
local function options(spec, ctx)
  local keys = OPTSPEC[spec]
  local names = {}
  for k in pairs(keys) do names[#names + 1] = k end
  table.sort(names)
  local parts, used = {}, {}
  local always = {}
  for _, k in ipairs(ALWAYS[spec] or {}) do used[k] = true; always[k] = true end
  for _, k in ipairs(names) do if chance(0.3) then used[k] = true end end
  for _, k in ipairs(names) do
    if used[k] then
      local kind = keys[k]
      local e
      if kind:sub(1, 7) == "choice:" then
        local choices = {}
        for c in kind:sub(8):gmatch("[^|]+") do choices[#choices + 1] = q(c) end
        e = (ctx.wellformed or chance(0.85)) and pick(choices) or (chance(0.5) and pick(STRINGS) or any(ctx))
      elseif ctx.wellformed or chance(0.9) or (ALWAYS[spec] and kind ~= "num" and kind ~= "str") then
        e = G[kind](ctx)
      else
        e = any(ctx)
      end
      -- an option that must be given (its default would run long) is never nil
      if e == "nil" and always[k] then
        local wctx = setmetatable({ wellformed = true }, { __index = ctx })
        e = G[kind](wctx)
      end
      parts[#parts + 1] = k .. "=" .. e
    end
  end
  if not ctx.wellformed and chance(0.1) then parts[#parts + 1] = pick { "zz=1", "steps_=1", "Steps=1", "[1]=1", "[true]=1", "[1.5]=2", "['']=0", "[M]=1", "['\\0']=1" } end
  if not ctx.wellformed and chance(0.05) then parts[#parts + 1] = "1" end
  if ctx.nozslice and spec == "causal" and used.means then
    for k = #parts, 1, -1 do if parts[k]:find("^zslice_defect=") then table.remove(parts, k) end end
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

function any(ctx)
  local r = R(100)
  if r <= 8 then return "nil"
  elseif r <= 12 then return G.bool()
  elseif r <= 24 then return int(ctx)
  elseif r <= 33 then return num(ctx)
  elseif r <= 47 then return G.str()
  elseif r <= 61 then return G.table(ctx)
  elseif r <= 68 then return filtered(FNS, ctx)
  elseif r <= 93 then
    local k = R(6)
    if k == 1 then return pick(TENSORS) elseif k == 2 then return pick(BATCHES) elseif k == 3 then return pick(TASKS)
    elseif k == 4 then return pick(MODELS) else return filtered(UDATA, ctx) end
  else return G.co() end
end

-- ------------------------------------------------------------------ signatures
-- The arguments each target expects (kinds of G, or "opts:<spec>"); "!" marks a position
-- that is always generated by its kind (never replaced by a random value). Targets not
-- listed get 0..4 random arguments.
local SIG = {
  ["gcgap.tensor"] = { "tabnum" }, ["gcgap.zeros"] = { "shape" }, ["gcgap.ones"] = { "shape" },
  ["gcgap.randn"] = { "shape", "int" }, ["gcgap.is_tensor"] = { "any" },
  ["gcgap.save_tensors"] = { "!path_w", "tensormap" }, ["gcgap.load_tensors"] = { "path_r" },
  ["gcgap.model"] = { "opts:model" }, ["gcgap.load"] = { "path_r" }, ["gcgap.batch"] = { "batch" },
  ["gcgap.means"] = { "model", "batch", "opts:means" }, ["gcgap.gap"] = { "!scorepair", "opts:gap" },
  ["gcgap.classify"] = { "scores", "opts:classify" }, ["gcgap.ood"] = { "model", "task", "!opts:ood" },
  ["gcgap.threads"] = { "!threads" }, ["gcgap.status"] = { "!status", "bool" }, ["gcgap.clock"] = {},
  ["gcgap.interrupted"] = {}, ["gcgap.components"] = { "opts:components" },
  ["gcgap.task.reverse"] = {}, ["gcgap.task.sort"] = {}, ["gcgap.task.new"] = { "opts:tasknew" },
  ["gcgap.score.gradient"] = { "model", "task", "!opts:gradient" }, ["gcgap.score.taylor"] = { "model", "task", "!opts:taylor" },
  ["gcgap.score.causal"] = { "model", "batch", "opts:causal" }, ["gcgap.score.patching"] = { "model", "!batchpair", "opts:patching" },
  ["gcgap.stats.spearman"] = { "!seqpair" }, ["gcgap.stats.kendall"] = { "!seqpair" },
  ["gcgap.stats.pearson"] = { "!seqpair" }, ["gcgap.stats.ranks"] = { "seqscores", "choice:average|ordinal" },
  ["gcgap.stats.permutation"] = { "!seqpair", "!opts:permutation" },
  ["gcgap.stats.bootstrap"] = { "!seqpair", "!opts:bootstrap" },
  ["gcgap.stats.mean_rho"] = { "records", "!opts:meanrho" },
  ["gcgap.stats.permutation_test"] = { "!seqpair", "!opts:resample" },
  ["gcgap.stats.sign_flip"] = { "tabnum", "!opts:resample" },
  ["S.pretty.format"] = { "any", "opts:pretty" }, ["S.json.encode"] = { "any", "str" }, ["S.json.decode"] = { "json" },
  ["S.experiment.preset"] = { "choice:default|paper-code|x", "table" }, ["S.experiment.cache_key"] = { "task", "int", "preset" },
  -- everything that writes takes its path from path_w (under the fuzzer's temporary prefix), so
  -- a run never writes into the folder it was started from
  ["gcgap.write_file"] = { "!path_w", "str" }, ["gcgap.mkdir"] = { "!path_w" }, ["gcgap.dir"] = { "path_r" },
  ["gcgap.read_file"] = { "path_r" }, ["gcgap.hook_points"] = { "model" }, ["gcgap.build"] = {},
  ["gcgap.load_npy"] = { "path_r" }, ["METH.tensor.save_npy"] = { "self", "!path_w" },
  ["gcgap.stack"] = { "tensorlist", "int" }, ["gcgap.blas"] = {}, ["gcgap.help"] = { "any" }, ["gcgap.hook_names"] = { "model" },
  ["gcgap.score.joint"] = { "model", "batch", "ablate", "opts:causal" },
  ["gcgap.score.ablations"] = { "model", "batch", "ablists", "opts:causal" },
  ["gcgap.score.interactions"] = { "model", "batch", "opts:causal" },
  ["gcgap.score.gate"] = { "model", "batch", "opts:estimator" }, ["gcgap.score.attribution"] = { "model", "batch", "opts:estimator" },
  ["gcgap.score.integrated"] = { "model", "batch", "opts:estimator" }, ["gcgap.score.shapley"] = { "model", "batch", "!opts:shapley" },
  ["gcgap.score.ladder"] = { "model", "batch", "!opts:ladder" },
  ["METH.tensor.slice"] = { "self", "dimarg", "int", "int" }, ["METH.tensor.index"] = { "self", "dimarg", "table" },
  ["METH.tensor.narrow"] = { "self", "dimarg", "int", "int" }, ["METH.tensor.select"] = { "self", "dimarg", "int" },
  ["METH.tensor.sub"] = { "self", "int", "int", "int", "int" }, ["METH.tensor.copy"] = { "self", "tensor" },
  ["METH.tensor.fill"] = { "self", "num" }, ["METH.tensor.maskedFill"] = { "self", "tensor", "num" },
  ["METH.tensor.indexCopy"] = { "self", "dimarg", "table", "tensor" }, ["gcgap.cat"] = { "tensorlist", "int" },
  ["METH.model.run_with_cache"] = { "self", "batch", "table" }, ["METH.model.run_with_hooks"] = { "self", "batch", "table" },
  ["S.experiment.write_file"] = { "!path_w", "str" }, ["S.experiment.train"] = { "etask", "int", "!preset", "!opts:etrain" },
  ["S.experiment.gap_and_classes"] = { "!scorepair", "preset" }, ["S.experiment.prune"] = { "model", "ablate", "means", "batch", "batch" },
  ["S.experiment.analyse"] = { "model", "etask", "int", "!preset", "opts:eanalyse" },
  ["S.experiment.run"] = { "etask", "int", "!preset", "!opts:erun" },
  ["S.report.by_task"] = { "records" }, ["S.report.summary"] = { "records" }, ["S.report.frequencies"] = { "records", "etask", "choice:raw|per_param" },
  ["S.report.csv"] = { "records" }, ["S.report.svg_rho"] = { "records", "str" }, ["S.report.svg_scatter"] = { "records", "etask", "choice:raw|per_param", "str" },
  ["S.report.svg_layers"] = { "records", "choice:raw|per_param", "!nlayers", "str" }, ["S.report.svg_pruning"] = { "records", "choice:raw|per_param", "str" },
  ["S.report.markdown"] = { "records", "opts:markdown" },
  -- methods (self first)
  ["METH.tensor.shape"] = { "self" }, ["METH.tensor.numel"] = { "self" }, ["METH.tensor.dim"] = { "self" },
  ["METH.tensor.sum"] = { "self", "dimarg" }, ["METH.tensor.mean"] = { "self", "dimarg" }, ["METH.tensor.norm"] = { "self", "dimarg" },
  ["METH.tensor.max"] = { "self", "dimarg" }, ["METH.tensor.argmin"] = { "self", "dimarg" }, ["METH.tensor.min"] = { "self", "dimarg" }, ["METH.tensor.argmax"] = { "self", "dimarg" },
  ["METH.tensor.matmul"] = { "!mmpair" }, ["METH.tensor.t"] = { "self" }, ["METH.tensor.reshape"] = { "self", "dims" },
  ["METH.tensor.clone"] = { "self" }, ["METH.tensor.get"] = { "self", "index" }, ["METH.tensor.totable"] = { "self" },
  ["METH.tensor.map"] = { "self", "fn" },
  ["METH.model.logits"] = { "self", "batch" }, ["METH.model.loss"] = { "self", "batch", "opts:abl" },
  ["METH.model.evaluate"] = { "self", "batch", "opts:evaluate" }, ["METH.model.accuracy"] = { "self", "batch", "opts:abl" },
  ["METH.model.grad_norms"] = { "self", "batch", "opts:gradnorm" }, ["METH.model.train"] = { "self", "tasklike", "!opts:train" },
  ["METH.model.save"] = { "self", "!path_w" }, ["METH.model.config"] = { "self" }, ["METH.model.params"] = { "self" },
  ["METH.model.param"] = { "self", "pname" }, ["METH.model.grad"] = { "self", "pname" },
  ["METH.model.set_param"] = { "self", "!nametensor" }, ["METH.model.copy"] = { "self" }, ["METH.model.components"] = { "self" },
  ["METH.model.hook"] = { "self", "comp", "fn" }, ["METH.model.clear_hooks"] = { "self" },
  ["METH.task.name"] = { "self" }, ["METH.task.batch"] = { "self", "opts:taskbatch" }, ["METH.task.sample"] = { "self", "rows" },
  ["METH.batch.size"] = { "self" }, ["METH.batch.rows"] = { "self" }, ["METH.batch.tokens"] = { "self" }, ["METH.batch.targets"] = { "self" },
  ["METH.hook.remove"] = { "self" }, ["METH.means.get"] = { "self", "comp" },
  -- metamethods
  ["MT.tensor.__add"] = { "tennum", "tennum" }, ["MT.tensor.__sub"] = { "tennum", "tennum" }, ["MT.tensor.__mul"] = { "tennum", "tennum" },
  ["MT.tensor.__div"] = { "tennum", "tennum" }, ["MT.tensor.__pow"] = { "tennum", "tennum" }, ["MT.tensor.__unm"] = { "tennum", "tennum" },
  ["MT.tensor.__len"] = { "self" }, ["MT.tensor.__eq"] = { "tennum", "tennum" }, ["MT.tensor.__tostring"] = { "self" },
  ["MT.tensor.__index"] = { "self", "key" },
}
for _, ty in ipairs { "model", "task", "batch", "hook", "means" } do
  SIG["MT." .. ty .. ".__tostring"] = { "self" }
  SIG["MT." .. ty .. ".__len"] = { "self" }
end
local SELF = { tensor = "tensor", model = "model", task = "task", batch = "batch", hook = "hook", means = "means" }

G.tabnum = function(ctx)
  if chance(0.3) then return pick { "1.5", "0/0", "1/0", "1e300", "-1e39", "3.4e38", "T2", "dead(gcgap.tensor{1})" } end
  return G.table(ctx)
end
G.shape = function(ctx)
  local list = { "3", "0", "{2,3}", "{}", "{0}", "{1,0,5}", "{2,2,2,2}", "{-1}", "-1", "{1.5}", "{0/0}", "{'2'}", "{{2}}", "1.5",
                 "{2^31}", "{65536,65536}", "{1e9}", "2147483648", "1099511627776", "{999999999,3}", "{1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1}",
                 "math.maxinteger", "{1099511627776, 0}", "rep(1,32)", "rep(1,33)", "rep(1,5000)" }
  local e = chance(0.85) and pick(list) or any(ctx)
  if not rank_ok(e) then e = "{2,3}" end
  if ctx.wellformed then e = pick { "3", "0", "{2,3}", "{}", "{0}", "{1,0,5}", "{2,2,2,2}", "{100,100}" } end
  if ctx.nohuge and (e:find("2^31", 1, true) or e:find("65536") or e:find("1e9") or e:find("2147483648") or e:find("1099511627776")
      or e:find("999999999") or e:find("maxinteger") or is_huge(e)) then return "{4,4}" end
  return e
end
G.tensormap = function(ctx)
  if ctx.nometaname then return pick { "{a=T1}", "{a=T1, b=T2, c=TE}", "{}", "{a=TN}", "{a=TBIG, b=T3}", "{['\"']=T0, ['\\\\']=T0}" } end
  return pick { "{a=T1}", "{a=T1, b=T2, c=TE}", "{}", "{[1]=T1}", "{a=1}", "{a=dead(gcgap.tensor{1})}", "{['']=T1}",
                "{['\\0']=T1, ['a\\0']=T2}", "{['\"']=T0, ['\\\\']=T0}", "{[('n'):rep(10000)]=T1}", "{a=TN}", "{__metadata__=T1}", "{['\\255']=T1}",
                "{a=TBIG, b=T3}", "{[1.5]=T1}" }
end
G.threads = function(ctx) return pick { "nil", "1", "0", "-1", "257", "math.maxinteger", "1.5", "'2'", "{}", "0/0", "1099511627776" } end
G.status = function(ctx) return pick { "nil", '"fuzz"', '"fuzz status line"', "1", "{}", "true", '""' } end
-- kinds that make two arguments at once (so that they fit each other)
G.seqpair = function(ctx)
  if not ctx.wellformed and chance(0.15) then return any(ctx) .. ", " .. any(ctx) end
  if chance(0.3) then local a = G.scores(ctx); return a .. ", " .. (chance(0.7) and a or G.scores(ctx)) end
  local n = pick { 0, 1, 2, 3, 5, 8, 20 }
  local function one()
    local t = {}
    for i = 1, n do t[i] = chance(0.05) and pick { "0/0", "1/0", "'x'", "true", "{}" } or tostring(R(-3, 3)) end
    if chance(0.1) then t[#t + 1] = "1" end
    return "{" .. table.concat(t, ",") .. "}"
  end
  return one() .. ", " .. one()
end
G.scorepair = function(ctx)
  if not ctx.wellformed and chance(0.15) then return any(ctx) .. ", " .. any(ctx) end
  local names = pick { { "L0.H0", "L0.H1", "L0.MLP" }, { "L0.H0", "L0.MLP", "L1.H0", "L1.MLP", "L1.H1" }, { "L0.H0" }, {}, { "a", "b", "c" },
                       { "L0.H0", "L0.H1", "L0.MLP", "L0.ATTN", "L0.H0.z", "L3.H3", "L10.MLP", "L2.H10" } }
  local function one()
    local t = {}
    for _, n in ipairs(names) do
      local v = chance(0.04) and pick { "0/0", "1/0", "'x'", "true" } or tostring(R(-3, 3)) .. (chance(0.3) and ".5" or "")
      t[#t + 1] = "[" .. q(n) .. "]=" .. v
    end
    if chance(0.05) then t[#t + 1] = "zz=1" end
    return "{" .. table.concat(t, ",") .. "}"
  end
  return one() .. ", " .. one()
end
G.batchpair = function(ctx)
  if not ctx.wellformed and chance(0.15) then return G.batch(ctx) .. ", " .. G.batch(ctx) end
  return pick { "HB, TR:batch{size=2,length=3,seed=9}", "B, B", "B2, TS:batch{size=3,length={2,5},seed=2}", "B, TS:batch{size=48,length={3,10},seed=1}",
                "B, TR:batch{size=48,length={3,10},seed=1}", "TR:batch{size=2,length=3,seed=1}, TS:batch{size=2,length=3,seed=4}",
                "{{101,5,102,5,103}}, {{101,7,102,7,103}}", "BL, TR:batch{size=1,length=8,seed=5}", "B, B2", "B, {{101,5,102}}",
                "TC:batch{size=2,length=2}, TC:batch{size=2,length=2,seed=3}", "TL:batch{size=2,length=3}, TL:batch{size=2,length=3,seed=7}" }
end
G.nametensor = function(ctx)
  if not ctx.wellformed and chance(0.2) then return G.pname(ctx) .. ", " .. G.tensor(ctx) end
  local n = pick { "embed.W_E", "pos_embed.W_pos", "blocks.0.ln1.w", "blocks.0.attn.W_Q", "blocks.0.attn.b_O", "blocks.0.mlp.W_in",
                   "blocks.0.mlp.b_out", "ln_final.b", "unembed.W_U", "blocks.0.attn.W_O", "blocks.1.ln2.w", "blocks.1.mlp.W_out" }
  local v = pick { "M:param('%s') * 2", "M:param('%s') * 0", "M:param('%s') + 1e30", "M:param('%s') * (0/0)", "M:param('%s'):clone()",
                   "M2:param('%s')", "M:param('%s') * 1e-3", "M:param('%s') * 1e38 * 10" }
  return q(n) .. ", " .. v:gsub("%%s", n)
end
G.mmpair = function(ctx)
  if not ctx.wellformed and chance(0.15) then return G.tensor(ctx) .. ", " .. G.tensor(ctx) end
  return pick { "T2, T2:t()", "T2, gcgap.ones{3}", "T1, gcgap.ones{3,4}", "T3, gcgap.randn({4,5},2)", "TW, gcgap.ones{8,3}",
                "gcgap.zeros{0,3}, gcgap.ones{3,2}", "gcgap.zeros{2,0}, gcgap.zeros{0,3}", "T2, gcgap.zeros{3,0}", "T1, T1",
                "TE, gcgap.zeros{0,4}", "TE, TE", "TBIG, TBIG", "TN, gcgap.ones{4,2}", "T0, T0", "T3, T1", "gcgap.zeros{2,3,0}, gcgap.zeros{0,2}",
                "T2:t(), T2", "gcgap.ones{1,1,1,1,3}, gcgap.ones{3,1}" }
end
G.evalfn = function(ctx) return chance(0.5) and pick { "F.evalpass", "F.num", "F.nan", "F.err", "F.str" } or G.fn(ctx) end
G.nlayers = function(ctx) return pick { "0", "1", "2", "4", "64", "-1", "1.5", "'x'", "nil", "0/0", "{}" } end
G.seqscores = function(ctx) return chance(0.5) and G.seq(ctx) or G.scores(ctx) end
G.etask = function(ctx) return (ctx.wellformed or chance(0.7)) and pick { '"reverse"', '"sort"', "TR", "TS", '"bogus"', "TC" } or any(ctx) end
G.tasklike = function(ctx) if ctx.wellformed then return pick { "TR", "TS", "TC", "TL", "F.rows" } end return chance(0.6) and pick(TASKS) or (chance(0.7) and filtered(FNS, ctx) or any(ctx)) end
G.tennum = function(ctx) if ctx.wellformed then return pick { "T1", "T2", "T3", "TBIG", "2", "0.5", "T0" } end return chance(0.75) and pick(TENSORS) or (chance(0.6) and num(ctx) or any(ctx)) end
G.dimarg = function(ctx) if ctx.wellformed then return pick { "nil", "1", "2", "3" } end return chance(0.5) and "nil" or (chance(0.7) and pick { "1", "2", "3", "0", "-1", "4" } or any(ctx)) end
G.key = function(ctx) return (ctx.wellformed or chance(0.6)) and pick { "1", "2", "0", "-1", "3", "101", "1.5", "'sum'", "'x'", "0/0" } or any(ctx) end
G.index = function(ctx)
  local n = pick { 0, 1, 1, 2, 2, 3, 4 }
  local t = {}
  for i = 1, n do t[i] = chance(0.85) and tostring(R(0, 4)) or int(ctx) end
  return table.concat(t, ", ")
end
G.dims = function(ctx)
  local e
  if chance(0.3) then
    e = pick { "{2,3}", "{-1}", "{3,-1}", "{}", "{-1,-1}", "{0,-1}", "{6}", "{'x'}", "{1.5}", "{1099511627776, 1099511627776, 0}",
               "{-1, 1099511627776, 1099511627776}", "{math.maxinteger, 2}", "{-2, -3}", "{2^31, 2^31}",
               "rep(1,32)", "rep(1,33)", "table.unpack(rep(1,33))", "table.unpack(rep(1,200))", "rep(1,5000)", "-1, table.unpack(rep(1,31))" }
    if not rank_ok(e) then e = "{2,3}" end
  else
    local n = pick { 0, 1, 2, 2, 3, 4 }
    local t = {}
    for i = 1, n do t[i] = chance(0.7) and pick { "1", "2", "3", "4", "6", "-1", "0", "24" } or int(ctx) end
    e = table.concat(t, ", ")
  end
  if ctx.nohuge and (e:find("1099511627776") or e:find("maxinteger") or e:find("mininteger") or e:find("2^31", 1, true)
      or e:find("2147483648") or e:find("4294967296") or e:find("9007199254740993") or e:find("1000000000")) then return "2, 3" end
  return e
end

-- metatable swaps: the victim, the metatable's type, the method (names filled in by collect)
local MNAMES = {}
local NO_SWAP_METHOD = { train = true, save = true, save_npy = true }   -- long defaults, or writes to a random path
G.victim = function(ctx)
  return pick { "STDOUT", "io.stderr", "closedfile()", "closedfile()", "LIGHT", "gcgap.tensor{1,2}", "gcgap.zeros{2,3}", "M:copy()",
                "TR:batch{size=1,length=1}", "gcgap.task.sort()", "gcgap.means(M, B)", "M:copy():hook('L0.H0', F.nil_)",
                "dead(gcgap.tensor{1})", "dead(M:copy())", "freshbox()" }
end
G.mtname = function(ctx) return q(pick { "tensor", "tensor", "model", "task", "batch", "hook", "means", "native" }) end
G.mname = function(ctx) return q(pick(MNAMES)) end
G.nativefn = function(ctx) return q(pick { "zeros", "tensor", "stack", "load_npy", "is_tensor", "model", "batch", "clock", "means" }) end
SIG["swap"] = { "!victim", "!mtname", "!mname", "any", "any" }
SIG["upswap"] = { "!nativefn", "!victim", "any", "any" }

-- ------------------------------------------------------------------ targets
local MT, METH = {}, {}
ENV.MT, ENV.METH = MT, METH
local TARGETS = {}

-- The fixture objects whose metatables are fuzzed, by type name.
local function fixture_objects()
  return { tensor = ENV.T1, model = ENV.M, task = ENV.TR, batch = ENV.B, hook = ENV.H, means = ENV.MU }
end

-- The method and metamethod names of every fuzzed type, for swap: all of them (MNAMES) and
-- each type's own (ENV.MNAMES_OF).
local function collect_method_names(objs)
  local names = {}
  ENV.MNAMES_OF = {}
  for tname in pairs(objs) do
    local own = {}
    for _, t in ipairs { METH[tname], MT[tname] } do
      for k, v in pairs(t) do
        if type(v) == "function" and type(k) == "string" and not NO_SWAP_METHOD[k] then names[k] = true; own[#own + 1] = k end
      end
    end
    table.sort(own)
    ENV.MNAMES_OF[tname] = own
  end
  for k in pairs(names) do MNAMES[#MNAMES + 1] = k end
  table.sort(MNAMES)
end

-- Adds a target once per function, unless skipped or outside --only.
local seen_targets = {}
local function add_target(expr, fn)
  if seen_targets[fn] then return end
  seen_targets[fn] = true
  if SKIP[expr] then return end
  if opt.only and not expr:find(opt.only) then return end
  TARGETS[#TARGETS + 1] = { expr = expr, fn = fn, sig = SIG[expr], calls = 0, errors = 0, time = 0 }
end

-- Every method (METH.type.name) and metamethod (MT.type.__name), types and names sorted.
local function collect_methods(objs)
  local tnames = {}
  for k in pairs(objs) do tnames[#tnames + 1] = k end
  table.sort(tnames)
  for _, tname in ipairs(tnames) do
    local keys = {}
    for k in pairs(METH[tname]) do keys[#keys + 1] = k end
    table.sort(keys)
    for _, k in ipairs(keys) do
      if type(METH[tname][k]) == "function" then add_target("METH." .. tname .. "." .. k, METH[tname][k]) end
    end
    keys = {}
    for k, v in pairs(MT[tname]) do if type(v) == "function" then keys[#keys + 1] = k end end
    table.sort(keys)
    for _, k in ipairs(keys) do add_target("MT." .. tname .. "." .. k, MT[tname][k]) end
  end
end

-- A table's functions as targets under `path`, its tables queued, and their metatables' functions.
local function collect_table(path, t, queue)
  local keys = {}
  for k in pairs(t) do if type(k) == "string" then keys[#keys + 1] = k end end
  table.sort(keys)
  for _, k in ipairs(keys) do
    local v = t[k]
    local p = k:match("^[%a_][%w_]*$") and (path .. "." .. k) or (path .. "[" .. q(k) .. "]")
    -- stdlib twins found under gcgap (gcgap.pretty) are named by their module
    if path == "gcgap" and k == "pretty" then p = "S.pretty" end
    if type(v) == "function" then
      add_target(p, v)
    elseif type(v) == "table" then
      queue[#queue + 1] = { p, v }
      local mt = getmetatable(v)
      if type(mt) == "table" then
        local mk = {}
        for kk, vv in pairs(mt) do if type(vv) == "function" and type(kk) == "string" then mk[#mk + 1] = kk end end
        table.sort(mk)
        for _, kk in ipairs(mk) do add_target("getmetatable(" .. p .. ")." .. kk, mt[kk]) end
      end
    end
  end
end

local function collect()
  -- userdata metatables, from real objects
  fixtures()
  local objs = fixture_objects()
  for tname, o in pairs(objs) do
    local mt = getmetatable(o)
    MT[tname] = mt
    METH[tname] = type(mt.__index) == "table" and mt.__index or mt.__methods
  end
  collect_method_names(objs)
  collect_methods(objs)
  -- the module, breadth first (gcgap.X before gcgap.core.X), then the stdlib modules
  local queue = { { "gcgap", gc } }
  for _, name in ipairs(STDLIB) do queue[#queue + 1] = { "S." .. name, S[name] } end
  local visited, qi = {}, 1
  while queue[qi] do
    local path, t = queue[qi][1], queue[qi][2]
    qi = qi + 1
    if not visited[t] then visited[t] = true; collect_table(path, t, queue) end
  end
  if not SKIPCAT.swap then add_target("swap", ENV.swap); add_target("upswap", ENV.upswap) end
end

-- gcgap.core twins are called as gcgap.X; canonical names for SIG lookups
local function canon(expr) return (expr:gsub("^gcgap%.core%.", "gcgap.")) end

local TABLE_WALKERS = { ["gcgap.tensor"] = true, ["gcgap.zeros"] = true, ["gcgap.ones"] = true, ["gcgap.randn"] = true, ["S.json.encode"] = true }
local HUGE_SENSITIVE = { ["METH.task.batch"] = true, ["METH.tensor.reshape"] = true, ["gcgap.randn"] = true, ["gcgap.zeros"] = true,
  ["gcgap.ones"] = true, ["gcgap.ood"] = true, ["gcgap.score.gradient"] = true, ["gcgap.score.taylor"] = true,
  ["METH.model.train"] = true, ["S.experiment.train"] = true, ["S.experiment.run"] = true, ["S.experiment.analyse"] = true }

local function ctx_for(t)
  local c = canon(t.expr)
  return {
    nohuge = SKIPCAT.huge and HUGE_SENSITIVE[c] or false,
    nocycle = SKIPCAT.cycles and TABLE_WALKERS[c] or false,
    nodeep = SKIPCAT.deep and TABLE_WALKERS[c] or false,
    noforeign = SKIPCAT.gc and c:find("__gc$") ~= nil,
    nowrap = SKIPCAT.coroutines,
    gelu8 = SKIPCAT.gelu,
    nozslice = SKIPCAT.zslice,
    noreentry = SKIPCAT.hookreentry,
    nonul = SKIPCAT.nulpath,
    nometaname = SKIPCAT.names,
  }
end

--- The argument expressions of one call of target t.
local function gen_args(t)
  local ctx = ctx_for(t)
  ctx.wellformed = chance(0.35)
  local sig = t.sig or SIG[canon(t.expr)]
  local out = {}
  -- __gc targets: one argument, mostly a fresh object (a fixture given to __gc is rebuilt
  -- after the call); foreign userdata (io.stdout, an open file) unless skipped
  if t.expr:find("__gc$") then
    return { pick(ctx.noforeign and { "gcgap.tensor{1}", "M:copy()", "B", "TR:batch{size=1,length=1}", "gcgap.means(M, B)", "1", "nil", "{}", "dead(gcgap.tensor{1})", "" }
                  or { "gcgap.tensor{1}", "M:copy()", "B", "TR:batch{size=1,length=1}", "gcgap.means(M, B)", "1", "nil", "{}", "STDOUT",
                       "io.stderr", "dead(gcgap.tensor{1})", "io.open(PATH.text)", "" }) }, ctx
  end
  if not sig then
    for i = 1, R(0, 4) do out[i] = any(ctx) end
    return out, ctx
  end
  local selftype = t.expr:match("^METH%.(%w+)%.") or t.expr:match("^MT%.(%w+)%.")
  for i, kind in ipairs(sig) do
    local forced = kind:sub(1, 1) == "!"
    if forced then kind = kind:sub(2) end
    local e
    if not forced and not ctx.wellformed and chance(0.07) then
      e = any(ctx)
    elseif kind == "self" then
      e = (ctx.wellformed or chance(0.95)) and G[SELF[selftype] or "udata"](ctx) or any(ctx)
    elseif kind == "any" then e = any(ctx)
    elseif kind:sub(1, 5) == "opts:" then
      local spec = kind:sub(6)
      e = (forced or ctx.wellformed or chance(0.85)) and options(spec, ctx) or (chance(0.5) and "nil" or any(ctx))
    elseif kind:sub(1, 7) == "choice:" then
      local choices = {}
      for c in kind:sub(8):gmatch("[^|]+") do choices[#choices + 1] = q(c) end
      e = (ctx.wellformed or chance(0.8)) and pick(choices) or any(ctx)
    else
      e = G[kind](ctx)
    end
    out[#out + 1] = e
  end
  -- a few extra or missing arguments (never dropping a forced position)
  local last_forced = 0
  for i, kind in ipairs(sig) do if kind:sub(1, 1) == "!" then last_forced = i end end
  if not ctx.wellformed then
    if chance(0.08) and #out > last_forced then table.remove(out) end
    if chance(0.05) then out[#out + 1] = any(ctx) end
  end
  return out, ctx
end

-- ------------------------------------------------------------------ the oracle
local function close(a, b)
  if a ~= a and b ~= b then return true end
  if a == b then return true end
  return math.abs(a - b) <= 1e-4 * math.max(1, math.abs(b))
end
local function shape_eq(a, b)
  if #a ~= #b then return false end
  for i = 1, #a do if a[i] ~= b[i] then return false end end
  return true
end
local function ref_data(t) return ENV.REF and ENV.REF[t] end
local function flat_of(x, out)
  if type(x) == "table" then for _, v in ipairs(x) do flat_of(v, out) end else out[#out + 1] = x end
  return out
end
local function tensor_values(t) return flat_of(t:totable(), {}) end

--- Checks the result of a successful call on a fixture tensor; returns a complaint or nil.
-- scipy's conventions, in Lua: average (or ordinal) ranks, Pearson, Spearman, Kendall's tau-b
local function lua_ranks(x, method)
  local idx = {}
  for i = 1, #x do idx[i] = i end
  table.sort(idx, function(a, b) return x[a] < x[b] or (x[a] == x[b] and a < b) end)
  local r = {}
  if method == "ordinal" then for k, i in ipairs(idx) do r[i] = k end return r end
  local k = 1
  while k <= #idx do
    local j = k
    while j < #idx and x[idx[j + 1]] == x[idx[k]] do j = j + 1 end
    for m = k, j do r[idx[m]] = (k + j) / 2 end
    k = j + 1
  end
  return r
end
local function lua_pearson(x, y)
  local n = #x
  if n < 2 or #y ~= n then return nil end
  local mx, my = 0, 0
  for i = 1, n do mx = mx + x[i]; my = my + y[i] end
  mx, my = mx / n, my / n
  local sxy, sxx, syy = 0, 0, 0
  for i = 1, n do local a, b = x[i] - mx, y[i] - my; sxy = sxy + a * b; sxx = sxx + a * a; syy = syy + b * b end
  if sxx <= 0 or syy <= 0 then return nil end
  return math.max(-1, math.min(1, sxy / math.sqrt(sxx * syy)))
end
local function lua_kendall(x, y)
  local n = #x
  if n < 2 or #y ~= n then return nil end
  local c, d, tx, ty = 0, 0, 0, 0
  for i = 1, n do
    for j = i + 1, n do
      local dx, dy = x[i] - x[j], y[i] - y[j]
      if dx == 0 and dy == 0 then
      elseif dx == 0 then tx = tx + 1
      elseif dy == 0 then ty = ty + 1
      elseif (dx > 0) == (dy > 0) then c = c + 1 else d = d + 1 end
    end
  end
  local den = math.sqrt((c + d + tx) * (c + d + ty))
  if den <= 0 then return nil end
  return (c - d) / den
end
local function plain_numbers(t)
  if type(t) ~= "table" or getmetatable(t) then return nil end
  local n = 0
  for k, v in pairs(t) do
    if math.type(k) ~= "integer" or type(v) ~= "number" or v ~= v or v == math.huge or v == -math.huge then return nil end
    n = n + 1
  end
  if n ~= #t or n == 0 then return nil end
  return t
end
local function stats_oracle(m, args, n, r)
  local x, y = plain_numbers(args[1]), plain_numbers(args[2])
  if m == "ranks" then
    if not x or not (n < 2 or args[2] == nil or args[2] == "average" or args[2] == "ordinal") then return nil end
    local e = lua_ranks(x, args[2] or "average")
    if type(r) ~= "table" or #r ~= #e then return "stats.ranks returned " .. type(r) .. " of the wrong length" end
    for i = 1, #e do if r[i] ~= e[i] then return string.format("stats.ranks[%d] is %s, expected %s", i, tostring(r[i]), tostring(e[i])) end end
    return nil
  end
  if not (x and y) or #x ~= #y then return nil end
  local e
  if m == "pearson" then e = lua_pearson(x, y)
  elseif m == "spearman" then e = lua_pearson(lua_ranks(x), lua_ranks(y))
  elseif m == "kendall" then e = lua_kendall(x, y)
  else return nil end
  if e == nil then
    if r ~= nil then return "stats." .. m .. " is " .. tostring(r) .. " where it is undefined (nil expected)" end
  elseif type(r) ~= "number" or math.abs(r - e) > 1e-9 then
    return "stats." .. m .. " is " .. tostring(r) .. ", expected " .. tostring(e)
  end
end

--- What was saved must load back: the same tensor names and values, the same model.
local function roundtrip_oracle(texpr, args, n)
  if texpr == "gcgap.save_tensors" and type(args[1]) == "string" and type(args[2]) == "table" then
    local ok, back = pcall(gc.load_tensors, args[1])
    if not ok then return "save_tensors wrote a file that load_tensors refuses: " .. tostring(back) end
    for name, t in pairs(args[2]) do
      local b = back[name]
      if not b then return "save_tensors: tensor " .. q(tostring(name)) .. " does not load back under its name" end
      local ok1, v1 = pcall(tensor_values, t)
      local ok2, v2 = pcall(tensor_values, b)
      if ok1 and ok2 then
        if #v1 ~= #v2 then return "save_tensors: " .. q(tostring(name)) .. " loads back with another size" end
        for k = 1, #v1 do
          if not (v1[k] == v2[k] or (v1[k] ~= v1[k] and v2[k] ~= v2[k])) then return "save_tensors: " .. q(tostring(name)) .. " loads back with other values" end
        end
      end
    end
    for name in pairs(back) do if args[2][name] == nil then return "load_tensors returns a tensor " .. q(name) .. " that was not saved" end end
  elseif texpr == "METH.model.save" and type(args[2]) == "string" then
    local ok, m2 = pcall(gc.load, args[2])
    if not ok then return "m:save wrote a file that gcgap.load refuses: " .. tostring(m2) end
    local b = gc.batch { { 101, 5, 102, 5, 103 } }
    -- hooks are not saved: compare a copy of the original without its hooks
    local okC, orig = pcall(function() local c = args[1]:copy(); c:clear_hooks(); return c end)
    if not okC then return nil end
    local okA, a1 = pcall(orig.logits, orig, b)
    local okB, a2 = pcall(m2.logits, m2, b)
    if okA ~= okB then return "a saved and loaded model " .. (okA and "cannot run a pass" or "runs where the original could not") end
    if okA then
      local v1, v2 = tensor_values(a1), tensor_values(a2)
      for k = 1, #v1 do
        if not (v1[k] == v2[k] or (v1[k] ~= v1[k] and v2[k] ~= v2[k])) then return "a saved and loaded model gives other logits" end
      end
    end
  end
end

--- The checks of issue 19: .npy files, the element policy of gcgap.tensor, and swaps.
local function hostile_oracle(texpr, args, n, res)
  local P = ENV.PATH
  if texpr == "gcgap.load_npy" and type(args[1]) == "string" then
    if args[1] == P.npy_ok then
      local ok, v = pcall(tensor_values, res[2])
      if not ok or #v ~= 6 or not shape_eq(res[2]:shape(), { 2, 3 }) then return "load_npy misread a valid file" end
      for k = 1, 6 do if v[k] ~= k then return "load_npy misread a valid file at " .. k end end
    else
      for name, path in pairs(P) do
        if path == args[1] and name:match("^npy_") and not (name == "npy_rank33" and SKIPCAT.rank) then
          return "load_npy accepted the invalid file " .. name
        end
      end
    end
  elseif texpr == "gcgap.tensor" and (type(args[1]) == "number" or (type(args[1]) == "table" and getmetatable(args[1]) == nil)) then
    local xs = type(args[1]) == "number" and { args[1] } or args[1]
    if #xs == 0 or type(xs[1]) ~= "number" then return nil end
    for _, x in ipairs(xs) do
      if type(x) ~= "number" then return nil end
      if x == x and math.abs(x) < math.huge and math.abs(f32(x)) == math.huge then
        return "gcgap.tensor kept " .. tostring(x) .. " as an infinity (finite numbers beyond float32 are errors)"
      end
    end
    local ok, v = pcall(tensor_values, res[2])
    if not ok or #v ~= #xs then return "gcgap.tensor made " .. (ok and #v or "?") .. " values from " .. #xs end
    for k, x in ipairs(xs) do
      if not (v[k] == f32(x) or (v[k] ~= v[k] and x ~= x)) then return "gcgap.tensor element " .. k .. " is " .. v[k] .. ", expected " .. f32(x) end
    end
  elseif texpr == "swap" and (io.type(args[1]) or args[1] == ENV.LIGHT) then
    -- a method (not a metamethod) given a foreign userdata as self must refuse it
    local methods = ENV.METH[args[2]]
    if methods and type(args[3]) == "string" and methods[args[3]] then
      return "the " .. args[2] .. " method " .. args[3] .. " accepted a foreign userdata as self"
    end
  end
end

-- A reduction of a whole tensor's values as the natives compute it (float32 results).
local function reduce_all(data, kind)
  if #data == 0 then return (kind == "sum" or kind == "norm") and 0 or 0 / 0 end
  if kind == "argmax" then
    local bi = 1
    for i, v in ipairs(data) do if v > data[bi] then bi = i end end
    return bi
  end
  local acc = (kind == "max" or kind == "min") and data[1] or 0
  for _, v in ipairs(data) do
    if kind == "sum" or kind == "mean" then acc = acc + v
    elseif kind == "norm" then acc = acc + v * v
    elseif kind == "max" then if v > acc then acc = v end
    elseif kind == "min" then if v < acc then acc = v end end
  end
  if kind == "mean" then return f32(acc / #data) end
  if kind == "norm" then return f32(math.sqrt(acc)) end
  return f32(acc)
end

-- t:sum/mean/norm/max/min/argmax of a fixture tensor of finite values, against reduce_all.
local function reduction_oracle(m, data, shape, args, n, r)
  local d = args[2]
  local dvalid = n >= 2 and math.type(d) == "integer" and d >= 1 and d <= #shape
  if dvalid and #shape >= 2 and m ~= "norm" then  -- norm has no dimension argument
    if type(r) ~= "userdata" then
      if m == "sum" or not SKIPCAT.dimarg then return "t:" .. m .. "(" .. d .. ") on a " .. #shape .. "-d tensor returned a " .. type(r) .. " (the dimension argument is ignored)" end
    elseif m == "sum" then
      local expect = {}
      for k = 1, #shape do if k ~= d then expect[#expect + 1] = shape[k] end end
      if not shape_eq(r:shape(), expect) then return "t:sum(" .. d .. ") has the wrong shape" end
      local s = 0; for _, v in ipairs(data) do s = s + v end
      local got = 0; for _, v in ipairs(tensor_values(r)) do got = got + v end
      if not close(got, s) then return "t:sum(" .. d .. ") sums to " .. got .. ", expected " .. s end
    end
  elseif n < 2 or args[2] == nil or m == "norm" then
    if m == "argmax" and #data == 0 then if r ~= nil then return "argmax of an empty tensor is " .. tostring(r) end
    elseif m == "argmax" then if r ~= reduce_all(data, "argmax") then return "argmax is " .. tostring(r) .. ", expected " .. reduce_all(data, "argmax") end
    elseif type(r) ~= "number" or not close(r, reduce_all(data, m)) then
      if not ((m == "max" or m == "min" or m == "mean") and #data == 0 and r ~= r) then
        return "t:" .. m .. "() is " .. tostring(r) .. ", expected " .. tostring(reduce_all(data, m))
      end
    end
  end
end

-- t:get(i, j, ...) and t[i] of a fixture tensor.
local function element_oracle(m, data, shape, args, n, r)
  if m == "get" and n == #shape + 1 then
    local off = 0
    for k = 1, #shape do
      local i = args[k + 1]
      if math.type(i) ~= "integer" or i < 1 or i > shape[k] then return nil end
      off = off * shape[k] + (i - 1)
    end
    if not close(r, data[off + 1]) then return "t:get is " .. tostring(r) .. ", expected " .. tostring(data[off + 1]) end
  elseif m == "__index" and math.type(args[2]) == "integer" and args[2] >= 1 and #shape >= 1 and args[2] <= shape[1] then
    local i = args[2]
    if #shape == 1 then
      if not close(r, data[i]) then return "t[" .. i .. "] is " .. tostring(r) .. ", expected " .. tostring(data[i]) end
    else
      local inner = #data // shape[1]
      local v = tensor_values(r)
      for k = 1, inner do if not close(v[k], data[(i - 1) * inner + k]) then return "t[" .. i .. "] has wrong values" end end
    end
  end
end

-- t + b, t - b, t * b, t / b with a float b, element by element in float32.
local function arithmetic_oracle(m, data, b, r)
  if b ~= b or math.abs(b) >= 1e30 then return nil end
  local v = tensor_values(r)
  for k = 1, #data do
    local a = data[k]
    local e = m == "__add" and a + b or m == "__sub" and a - b or m == "__mul" and a * b or a / b
    if math.abs(e) < 1e30 and not close(v[k], f32(e)) then return "t " .. m .. " " .. b .. " differs at " .. k end
  end
end

-- A tensor method or metamethod on a fixture tensor with known values.
local function tensor_oracle(m, args, n, r)
  local ref = ref_data(args[1])
  if not ref then return nil end
  local data, shape = ref.data, ref.shape
  local finite = true
  for _, v in ipairs(data) do if v ~= v or v == 1 / 0 or v == -1 / 0 then finite = false end end
  if m == "numel" then if r ~= #data then return "numel is " .. tostring(r) .. ", expected " .. #data end
  elseif m == "dim" then if r ~= #shape then return "dim is " .. tostring(r) .. ", expected " .. #shape end
  elseif m == "shape" then if type(r) ~= "table" or not shape_eq(r, shape) then return "wrong shape" end
  elseif m == "__len" then if r ~= (shape[1] or 0) then return "#t is " .. tostring(r) .. ", expected " .. (shape[1] or 0) end
  elseif (m == "sum" or m == "mean" or m == "norm" or m == "max" or m == "min" or m == "argmax") and finite then
    return reduction_oracle(m, data, shape, args, n, r)
  elseif m == "get" or m == "__index" then
    return element_oracle(m, data, shape, args, n, r)
  elseif m == "totable" or m == "clone" then
    local v = m == "clone" and tensor_values(r) or flat_of(r, {})
    if #v ~= #data then return m .. " has " .. #v .. " values, expected " .. #data end
    for k = 1, #data do if not close(v[k], data[k]) then return m .. " differs at " .. k end end
  elseif (m == "__add" or m == "__sub" or m == "__mul" or m == "__div") and math.type(args[2]) == "float" and finite then
    return arithmetic_oracle(m, data, args[2], r)
  end
  return nil
end

local function oracle(texpr, args, n, res)
  local rt = roundtrip_oracle(texpr, args, n) or hostile_oracle(texpr, args, n, res)
  if rt then return rt end
  local sm = texpr:match("^gcgap%.stats%.(%w+)$") or texpr:match("^gcgap%.core%.stats%.(%w+)$")
  if sm then return stats_oracle(sm, args, n, res[2]) end
  local m = texpr:match("^METH%.tensor%.(%w+)$") or texpr:match("^MT%.tensor%.(__%w+)$")
  return m and tensor_oracle(m, args, n, res[2]) or nil
end

--- The logits of the fixture models, as Lua numbers.
local function model_refs()
  local r = {}
  -- M2 first: a hook on M2 may change M's hooks (F.clear, F.unhook), never the reverse, so
  -- the fingerprint of M is taken after whatever M2's pass does to it
  for _, k in ipairs { "M2", "M" } do
    -- a fingerprint (the forward pass is deterministic, so equal means unchanged)
    local ok, lg = pcall(function() return ENV[k]:logits(k == "M" and ENV.B or ENV.B2) end)
    r[k] = ok and { lg:sum(), lg:norm(), lg:max(), lg:min(), lg:numel() } or false
  end
  return r
end
-- the calls that may change a fixture model on purpose (weights, hooks, finalizers)
local CHANGES_MODELS = { ["METH.model.train"] = true, ["METH.model.set_param"] = true, ["METH.model.hook"] = true,
  ["METH.model.clear_hooks"] = true, ["METH.hook.remove"] = true }
-- Tensor methods that write in place (Torch7's copy, fill, maskedFill, indexCopy): after one,
-- the fixtures are rebuilt instead of checked (a fixture may have been written on purpose).
local WRITES_TENSORS = { ["METH.tensor.copy"] = true, ["METH.tensor.fill"] = true, ["METH.tensor.maskedFill"] = true,
  ["METH.tensor.indexCopy"] = true }

--- Fixture tensors that no call but an in-place write may change, and fixture models whose
--- logits no call but the ones above may change: a native call that corrupts memory it
--- does not own is caught here, right after it.
local function fixtures_intact(check_models, full)
  if check_models and ENV.MODELREF then
    local now = model_refs()
    for k, ref in pairs(ENV.MODELREF) do
      local v = now[k]
      if ref and v then
        if #v ~= #ref then return "the logits of fixture " .. k .. " changed shape" end
        for j = 1, #v do
          if not (v[j] == ref[j] or (v[j] ~= v[j] and ref[j] ~= ref[j])) then return "the logits of fixture " .. k .. " changed" end
        end
      end
    end
  end
  for t, ref in pairs(ENV.REF) do
    local ok, v = true, nil
    if #ref.data > 100 and not full then
      -- big fixtures: a native fingerprint on most calls, every value on some
      if not ref.sum then
        local s = 0
        for _, x in ipairs(ref.data) do s = s + x end
        ref.sum = s
      end
      local s = ref.sum
      local okk, got = pcall(t.sum, t)
      if okk and math.abs(got - s) > 1e-3 * math.max(1, math.abs(s)) then return "a fixture tensor changed value (sum)" end
      ok = false
    else
      ok, v = pcall(tensor_values, t)
    end
    if ok then
      if #v ~= #ref.data then return "a fixture tensor changed size" end
      for k = 1, #v do
        local a, b = v[k], ref.data[k]
        if not (a == b or (a ~= a and b ~= b)) then return "a fixture tensor changed value" end
      end
    end
  end
end

-- ------------------------------------------------------------------ running one call
local function invoke(mode, fn, args, n)
  if mode == "call" then
    return table.pack(pcall(fn, table.unpack(args, 1, n)))
  elseif mode == "co.wrap" then
    return table.pack(pcall(coroutine.wrap(function() return fn(table.unpack(args, 1, n)) end)))
  elseif mode == "co.resume" then
    local co = coroutine.create(fn)
    local r = table.pack(coroutine.resume(co, table.unpack(args, 1, n)))
    local k = 0
    while coroutine.status(co) == "suspended" and k < 3 do
      r = table.pack(coroutine.resume(co, ENV.T1, "L0.H0")); k = k + 1
    end
    return r
  elseif mode == "hook" then
    local HM = SKIPCAT.hookreentry and ENV.HM or ENV.M
    local res, ran
    local ok, h = pcall(HM.hook, HM, "L0.H0", function()
      if ran then return nil end
      ran = true
      res = table.pack(pcall(fn, table.unpack(args, 1, n)))
      return nil
    end)
    if not ok then return { false, "hook mode: " .. tostring(h), n = 2 } end
    local pok, perr = pcall(HM.logits, HM, ENV.HB)
    pcall(h.remove, h)
    return res or { false, "hook never ran: " .. tostring(perr), n = 2 }
  end
  error("unknown mode " .. mode)
end

local compiled, ncompiled = {}, 0   -- a few hundred compiled argument lists (a big cache slows every collection)
local function evaluate(argstr)
  local f = compiled[argstr]
  if not f then
    local err
    f, err = load("return " .. argstr, "=args", "t", ENV)
    if not f then return nil, err end
    if #argstr < 200 and ncompiled < 500 then compiled[argstr] = f; ncompiled = ncompiled + 1 end
  end
  return table.pack(pcall(f))
end

local function target_of(line)
  -- "[n] mode target(args)"
  local n, mode, rest = line:match("^%[(%d+)%] (%S+) (.*)$")
  if not n then return nil end
  for _, t in ipairs(TARGETS) do
    local e = t.expr .. "("
    if rest:sub(1, #e) == e and rest:sub(-1) == ")" then return t, mode, rest:sub(#e + 1, -2), tonumber(n) end
  end
end

-- ------------------------------------------------------------------ main
collect()

if opt.list then
  print(string.format("%d targets (skip categories active: %s)", #TARGETS,
    next(SKIPCAT) and (function() local l = {} for k in pairs(SKIPCAT) do l[#l + 1] = k end table.sort(l) return table.concat(l, ",") end)() or "none"))
  for _, t in ipairs(TARGETS) do
    local sig = t.sig or SIG[canon(t.expr)]
    print(string.format("  %-36s %s", t.expr, sig and table.concat(sig, ", ") or "(0..4 random arguments)"))
  end
  print("never called:")
  local ks = {} for k in pairs(SKIP) do ks[#ks + 1] = k end table.sort(ks)
  for _, k in ipairs(ks) do print(string.format("  %-36s %s", k, SKIP[k])) end
  print("limited:")
  ks = {} for k in pairs(LIMITS) do ks[#ks + 1] = k end table.sort(ks)
  for _, k in ipairs(ks) do print(string.format("  %-36s %s", k, LIMITS[k])) end
  cleanup()
  os.exit(0)
end

if opt.replay then
  local lines = {}
  for l in io.lines(opt.replay) do lines[#lines + 1] = l end
  -- the run's skip categories (hook mode depends on them)
  local skip = (lines[1] or ""):match("skip: (%S*)")
  if skip and not os.getenv("GCGAP_FUZZ_SKIP") then
    for w in skip:gmatch("[^,%s]+") do
      if w == "all" then for _, k in ipairs(KNOWN_CATS) do SKIPCAT[k] = true end else SKIPCAT[w] = true end
    end
  end
  local last = opt.line or #lines
  while last > 0 and not lines[last]:match("^%[%d+%]") do last = last - 1 end
  if last == 0 then io.stderr:write("no call line in ", opt.replay, "\n"); os.exit(2) end
  local first = last
  while first > 1 and not lines[first - 1]:match("^%-%- fixtures") do first = first - 1 end
  if opt.from then first = opt.from end
  print(string.format("replaying lines %d..%d of %s", first, last, opt.replay))
  fixtures()
  for i = first, last do
    local l = lines[i]
    if l:match("^%-%- fixtures") then fixtures() end
    local t, mode, argstr = target_of(l)
    if t then
      print(l); io.stdout:flush()
      local a, err = evaluate(argstr)
      if not a then print("  (cannot parse: " .. err .. ")")
      elseif not a[1] then print("  (arguments raised: " .. tostring(a[2]) .. ")")
      else
        local args = table.move(a, 2, a.n, 1, {})
        local r = invoke(mode, t.fn, args, a.n - 1)
        unswap()
        print("  -> " .. tostring(r[1]) .. " " .. tostring(r[2]):sub(1, 200))
        io.stdout:flush()
        collectgarbage()
      end
    end
  end
  print("replay finished without a crash")
  cleanup()
  os.exit(0)
end

math.randomseed(opt.seed)
local logpath = opt.log or (TMP .. "-api.log")
local log = assert(io.open(logpath, "w"))
log:write("-- gcgap api fuzz, seed ", opt.seed, ", ", opt.calls, " calls, skip: ", os.getenv("GCGAP_FUZZ_SKIP") or "", "\n")
if not opt.quiet then io.stderr:write("api fuzz: logging to ", logpath, "\n") end

local errors, wrong, modes = 0, 0, {}
local seen_wrong, distinct_wrong = {}, {}
local t_start = os.clock()
local w_start = gc.clock()
local rebuild_next = false
for i = 1, opt.calls do
  if i % opt.rebuild == 1 or rebuild_next then
    fixtures()
    ENV.MODELREF = model_refs()
    rebuild_next = false
    log:write("-- fixtures #", FIXNO, "\n")
  end
  local t = TARGETS[R(#TARGETS)]
  local exprs = gen_args(t)
  local r = R(100)
  local mode = "call"
  if r <= 8 and not SKIPCAT.coroutines then mode = (r <= 4) and "co.wrap" or "co.resume"
  elseif r >= 81 then mode = "hook" end
  local nonempty = {}
  for _, e in ipairs(exprs) do if e ~= "" then nonempty[#nonempty + 1] = e end end
  local argstr = table.concat(nonempty, ", ")
  local line = string.format("[%d] %s %s(%s)", i, mode, t.expr, argstr)
  log:write(line, "\n")
  log:flush()
  local a, perr = evaluate(argstr)
  if not a then error("fuzzer bug: cannot compile arguments of line " .. line .. ": " .. perr) end
  local t0 = os.clock()
  local res
  if not a[1] then
    res = { false, a[2], n = 2 }          -- building an argument raised: counted as an error
  else
    local args = table.move(a, 2, a.n, 1, {})
    local n = a.n - 1
    res = invoke(mode, t.fn, args, n)
    unswap()
    if res[1] and mode == "call" then
      local complaint = oracle(t.expr, args, n, res)
      if complaint then
        wrong = wrong + 1
        log:write("-- WRONG: ", complaint, "\n"); log:flush()
        -- each kind of complaint once on stderr (all of them are in the log)
        local kind = t.expr .. ": " .. complaint:gsub("/tmp/%S+", "PATH"):gsub("%d+", "N"):gsub('"[^"]*"', '"..."'):gsub("'[^']*'", "'...'")
        if not seen_wrong[kind] then
          seen_wrong[kind] = true
          distinct_wrong[#distinct_wrong + 1] = line .. "\n    " .. complaint
          io.stderr:write("WRONG ANSWER: ", line:sub(1, 300), "\n  ", complaint:sub(1, 300), "\n")
        end
      end
    end
  end
  local dt = os.clock() - t0
  t.calls, t.time = t.calls + 1, t.time + dt
  if dt > (t.slowest or 0) then t.slowest, t.slowest_line = dt, line end
  modes[mode] = (modes[mode] or 0) + 1
  if not res[1] then
    errors = errors + 1; t.errors = t.errors + 1
    if opt.errors then
      local msg = tostring(res[2]):gsub("^[^:]*:%d+: ", ""):sub(1, 90)
      t.msgs = t.msgs or {}
      t.msgs[msg] = (t.msgs[msg] or 0) + 1
    end
  end
  if t.expr:find("__gc$") or WRITES_TENSORS[t.expr] then rebuild_next = true end
  -- a full collection after the call: memory the call corrupted is found now, while the
  -- call is the last line of the log, not thousands of calls later
  if opt.gc > 0 and i % opt.gc == 0 then collectgarbage() end
  local dirty = CHANGES_MODELS[t.expr] or t.expr:find("__gc$") or rebuild_next
  if opt.check > 0 and i % opt.check == 0 and not WRITES_TENSORS[t.expr] then
    local c = fixtures_intact(not dirty, i % 100 == 0)
    if c then
      wrong = wrong + 1
      log:write("-- WRONG: ", c, " (after call ", i, ")\n"); log:flush()
      io.stderr:write("WRONG: ", c, " after call ", i, " (see the log)\n")
      rebuild_next = true
    end
  end
  if dirty and not rebuild_next then ENV.MODELREF = model_refs() end
  if i % 1000 == 0 and not opt.quiet then
    io.stderr:write(string.format("\r%d calls, %d errors, %.0f calls/s ", i, errors, i / math.max(1e-9, gc.clock() - w_start)))
  end
end
local wall = gc.clock() - w_start
if not opt.quiet then io.stderr:write("\n") end
log:write("-- done\n")
log:close()

print(string.format("api fuzz: %d calls, %d errors (caught), 0 crashes, seed %d", opt.calls, errors, opt.seed))
local ml = {}
for k, v in pairs(modes) do ml[#ml + 1] = k .. " " .. v end
table.sort(ml)
print(string.format("  %.1f s wall (%.1f s cpu), %.0f calls/s; %d targets; modes: %s; wrong answers: %d; log %s",
  wall, os.clock() - t_start, opt.calls / math.max(wall, 1e-9), #TARGETS, table.concat(ml, ", "), wrong, logpath))
table.sort(TARGETS, function(x, y) return x.time > y.time end)
local top = {}
for k = 1, math.min(5, #TARGETS) do
  local t = TARGETS[k]
  top[#top + 1] = string.format("%s %.2fs/%d", t.expr, t.time, t.calls)
end
print("  most time: " .. table.concat(top, "; "))
local slow
for _, t in ipairs(TARGETS) do if t.slowest and (not slow or t.slowest > slow.slowest) then slow = t end end
if slow then print(string.format("  slowest call (%.3f s): %s", slow.slowest, slow.slowest_line:sub(1, 200))) end
local never = {}
for _, t in ipairs(TARGETS) do if t.calls > 0 and t.errors == t.calls then never[#never + 1] = t.expr end end
if #never > 0 and not opt.quiet then print("  always errored: " .. table.concat(never, ", ")) end
if opt.errors then
  table.sort(TARGETS, function(x, y) return x.expr < y.expr end)
  for _, t in ipairs(TARGETS) do
    print(string.format("%-34s %d calls, %d errors", t.expr, t.calls, t.errors))
    local l = {}
    for m, c in pairs(t.msgs or {}) do l[#l + 1] = { m, c } end
    table.sort(l, function(x, y) return x[2] > y[2] or (x[2] == y[2] and x[1] < y[1]) end)
    for k = 1, math.min(8, #l) do print(string.format("    %4d  %s", l[k][2], l[k][1])) end
  end
end
cleanup()
if wrong > 0 then os.exit(1) end
