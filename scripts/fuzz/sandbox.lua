--- scripts/fuzz/sandbox.lua: the sandbox-escape fuzzer. Random scripts, each a handful of
-- attempts to reach what a sandboxed script must not (os, io, debug, package.loadlib,
-- string.dump, files outside its folder), run in gcgap.sandbox. Each attempt is made
-- under pcall inside the script; the script reports every forbidden function it got hold
-- of. After each script the fuzzer checks that nothing appeared outside the folder.
--
--   gcgap scripts/fuzz/sandbox.lua [--scripts N] [--seed S] [--dir D] [--quiet]
--
-- At the end: `sandbox fuzz: N scripts, A attempts, E escapes, W files outside, seed S`,
-- then the rate. Exit status 1 when an escape or a file outside was found (the script that
-- did it is printed: the reproducer).
local gc = require "gcgap"

local opts = { scripts = 300, seed = 1, dir = nil, quiet = false }
do
  local i = 1
  while i <= #arg do
    local a = arg[i]
    if a == "--quiet" then opts.quiet = true
    elseif a == "--scripts" or a == "--seed" or a == "--dir" then
      opts[a:sub(3)] = a == "--dir" and arg[i + 1] or assert(math.tointeger(tonumber(arg[i + 1])), a .. " needs an integer")
      i = i + 1
    else error("unknown option " .. a) end
    i = i + 1
  end
end
math.randomseed(opts.seed)

-- the folder layout: root/box (the sandbox's folder), root/outside (must stay empty),
-- root/box/link -> root/outside (a symbolic link a script may try to write through)
local root = opts.dir or os.tmpname() .. ".d"
os.execute("rm -rf '" .. root .. "' && mkdir -p '" .. root .. "/box' '" .. root .. "/outside' && ln -s '"
  .. root .. "/outside' '" .. root .. "/box/link' && echo secret > '" .. root .. "/secret.txt'")
local box, outside = root .. "/box", root .. "/outside"

-- expressions that would hand the script a forbidden function
local getters = {
  "os.execute", "os.remove", "os.getenv", "os.exit", "io.open", "io.popen", "io.lines", "io.output", "io.input",
  "debug and debug.getregistry", "debug and debug.sethook", "string.dump", "package.loadlib", "package.searchpath",
  "_G.os.execute", "_G['i'..'o'] and _G['i'..'o'].open", "rawget(_G, 'debug')", "rawget(os, 'execute')",
  "package.loaded.io and package.loaded.io.open", "package.loaded.os and package.loaded.os.execute",
  "package.loaded.debug", "package.loaded._G.debug", "getmetatable('').__index.dump",
  "require('io').open", "require('os').execute", "require('debug').getinfo", "select(2, pcall(require, 'debug'))",
  "(load('return io'))() and (load('return io'))().open", "(load('return os', 'x', 't', _G))().execute",
  "coroutine.wrap(function() return os.execute end)()", "gcgap.core and gcgap.core.os",
  "getmetatable(gcgap) and getmetatable(gcgap).__index", "package.loaded['gcgap.core'].io",
  "(function(...) return ... end)(os.execute)", "load and select(2, load('\\27Lua'))",
  "package.searchers[3]", "package.searchers[4]", "package.cpath ~= '' and package.cpath",
  "collectgarbage and io and io.stdout", "next(package.loaded, nil) and package.loaded.io and package.loaded.io.popen",
}

-- paths outside the folder, and ways of writing or reading them
local paths = {
  "../outside/a", outside .. "/b", "link/c", "./../outside/d", "x/../../outside/e", "//" .. outside .. "/f",
  "link/../../outside/g", root .. "/secret.txt", "../secret.txt", "/etc/passwd", "link", "../box/../outside/h",
  "sub/../../outside/i", outside, "/tmp/" .. "gcgap-sandbox-fuzz-escape",
}
local writers = {
  "gcgap.write_file(P, 'x')", "gcgap.mkdir(P)", "gcgap.mkdir(P .. '/deep/er')", "gcgap.zeros(2):save_npy(P)",
  "gcgap.save_tensors(P, {t = gcgap.zeros(2)})", "gcgap.model{seed = 1, n_layers = 1, n_heads = 1, d_model = 4, d_head = 4, d_mlp = 4}:save(P)",
  "gcgap.model{seed = 1, n_layers = 1, n_heads = 1, d_model = 4, d_head = 4, d_mlp = 4}:train(gcgap.task.reverse(), {steps = 1, checkpoint = P, quiet = true})",
}
local readers = { "gcgap.read_file(P)", "gcgap.load(P)", "gcgap.load_npy(P)", "gcgap.load_tensors(P)", "gcgap.dir(P)", "loadfile(P)", "dofile(P)" }

local function pick(t) return t[math.random(#t)] end

-- one random script: k attempts; it returns the list of what escaped
local function script()
  local lines, n = { "local got = {}" }, math.random(2, 8)
  for _ = 1, n do
    local r = math.random()
    if r < 0.5 then
      local g = pick(getters)
      lines[#lines + 1] = ("do local ok, v = pcall(function() return %s end) if ok and type(v) == 'function' then got[#got + 1] = %q end end")
        :format(g, g)
    else
      local op = (r < 0.8 and pick(writers) or pick(readers)):gsub("P", ("%q"):format(pick(paths)))
      lines[#lines + 1] = ("do local ok, v = pcall(function() return %s end) if ok and %s then got[#got + 1] = %q end end")
        :format(op, op:find("^gcgap%.read_file") and "v == 'secret\\n'" or "false", op)
    end
  end
  lines[#lines + 1] = "return table.concat(got, ' | ')"
  return table.concat(lines, "\n"), n
end

local function outside_files()
  local names = gc.dir(outside)
  local f = io.open("/tmp/gcgap-sandbox-fuzz-escape")
  if f then f:close(); names[#names + 1] = "/tmp/gcgap-sandbox-fuzz-escape" end
  return names
end

local t0, attempts, escapes, written, failed = gc.clock(), 0, 0, 0, 0
for k = 1, opts.scripts do
  local code, n = script()
  attempts = attempts + n
  local ok, got = pcall(gc.sandbox, code, { dir = box, limit_time = 20, limit_mem = 1 << 28 })
  if not ok then
    failed = failed + 1
    if failed <= 3 then print(("-- script %d failed as a whole (%s)"):format(k, tostring(got):sub(1, 200))) end
  elseif got ~= "" then
    escapes = escapes + 1
    print(("-- script %d escaped (%s):\n%s"):format(k, got, code))
  end
  local out = outside_files()
  if #out > 0 then
    written = written + #out
    print(("-- script %d wrote outside (%s):\n%s"):format(k, table.concat(out, ", "), code))
    os.execute("rm -rf '" .. outside .. "'/* /tmp/gcgap-sandbox-fuzz-escape")
  end
  if not opts.quiet and k % 50 == 0 then io.stderr:write(("\r%d/%d scripts"):format(k, opts.scripts)) end
end
if not opts.quiet then io.stderr:write("\n") end
local seconds = gc.clock() - t0
print(("sandbox fuzz: %d scripts (%d failed as a whole), %d attempts, %d escapes, %d files outside, seed %d"):format(
  opts.scripts, failed, attempts, escapes, written, opts.seed))
print(("%.1f scripts/s (%.1f s)"):format(opts.scripts / seconds, seconds))
if not opts.dir then os.execute("rm -rf '" .. root .. "'") end
os.exit(escapes == 0 and written == 0 and failed < opts.scripts // 10 and 0 or 1)
