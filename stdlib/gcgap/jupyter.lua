--- gcgap.jupyter: installs gcgap's Jupyter kernel ("gcgap (Lua)").
--
--   gcgap --install-kernel [--user | --prefix P] [--python PY]
--
-- Writes DATA/jupyter/kernels/gcgap/ (kernel.json and the kernel, gcgap_kernel.py) where DATA is
-- P/share with --prefix, else $XDG_DATA_HOME or ~/.local/share (--user, the default), and makes
-- DATA/gcgap/venv, a Python venv with the Jupyter packages from PyPI (J.packages), unless
-- --python names an interpreter that already has ipykernel. The kernel runs this gcgap.
local gc = require "gcgap"
local json = require "gcgap.json"
local J = {}

--- The packages of the kernel's venv: the kernel (ipykernel, jupyter_client) and what runs
-- notebooks headless (nbclient, nbformat), as in CI.
J.packages = { "ipykernel>=6.29,<8", "jupyter_client>=8,<9", "nbclient>=0.10,<1", "nbformat>=5.10,<6" }
J.name = "gcgap"
J.display_name = "gcgap (Lua)"

local function q(x) return "'" .. tostring(x):gsub("'", "'\\''") .. "'" end

local function parse(args)
  local o = { user = true }
  local i = 1
  while i <= #args do
    local a = args[i]
    if a == "--user" then o.user = true
    elseif a == "--prefix" then i = i + 1; o.prefix = args[i] or error("--install-kernel: '--prefix' needs a folder", 0); o.user = false
    elseif a == "--python" then i = i + 1; o.python = args[i] or error("--install-kernel: '--python' needs an interpreter", 0)
    else error("--install-kernel: unknown option '" .. a .. "' (--user, --prefix P, --python PY)", 0) end
    i = i + 1
  end
  return o
end

--- The data folder of an installation: P/share, or $XDG_DATA_HOME or ~/.local/share.
function J.data_dir(o)
  if o.prefix then return o.prefix .. "/share" end
  local xdg = os.getenv("XDG_DATA_HOME")
  if xdg and xdg ~= "" then return xdg end
  return (os.getenv("HOME") or error("--install-kernel: HOME is not set (use --prefix)", 0)) .. "/.local/share"
end

local function run(cmd, what)
  io.write(what, "\n")
  local ok = os.execute(cmd)
  if not ok then error("--install-kernel: failed: " .. cmd, 0) end
end

-- the venv's python, made (or completed) when missing
local function python_for(o, data)
  if o.python then return o.python end
  local venv = data .. "/gcgap/venv"
  local py = venv .. "/bin/python"
  if not os.execute(q(py) .. " -c 'import ipykernel, nbclient' >/dev/null 2>&1") then
    gc.mkdir(data .. "/gcgap")
    run("python3 -m venv " .. q(venv), "making the venv " .. venv)
    local pkgs = {}
    for i, p in ipairs(J.packages) do pkgs[i] = q(p) end
    run(q(py) .. " -m pip install --quiet --disable-pip-version-check " .. table.concat(pkgs, " "),
      "installing " .. table.concat(J.packages, ", ") .. " from PyPI")
  end
  return py
end

local function kernel_source()
  local path = package.searchpath("gcgap.jupyter.gcgap_kernel", (package.path:gsub("%.lua", ".py")))
  local f = path and io.open(path) or error("--install-kernel: gcgap_kernel.py is missing beside gcgap's stdlib", 0)
  local s = f:read("a"); f:close()
  return s
end

--- Installs the kernel; `o` = {exe = this gcgap, args = the command line after --install-kernel}.
function J.install(o)
  local opts = parse(o.args or {})
  local data = J.data_dir(opts)
  local dir = data .. "/jupyter/kernels/" .. J.name
  local py = python_for(opts, data)
  gc.mkdir(dir)
  gc.write_file(dir .. "/gcgap_kernel.py", kernel_source())
  gc.write_file(dir .. "/kernel.json", json.encode({
    argv = { py, dir .. "/gcgap_kernel.py", "-f", "{connection_file}" },
    display_name = J.display_name, language = "lua", interrupt_mode = "signal",
    env = { GCGAP_BIN = o.exe },
  }, " "))
  io.write(string.format("installed the kernel %q in %s\n", J.display_name, dir))
  io.write(opts.prefix and string.format("use it with JUPYTER_PATH=%s/jupyter jupyter lab (or nbclient)\n", data)
    or "start Jupyter and pick it in the launcher, or: jupyter console --kernel gcgap\n")
  return dir
end

return J
