--- gcgap: the Gradient-Causal Gap toolkit.
--
-- `require "gcgap"` returns the native module (`gcgap.core`: tensors, models, tasks,
-- training, checkpoints) with the Lua-level modules of the stdlib on top. In the REPL and
-- in scripts it is also the global `gcgap`.
local core = require "gcgap.core"

local M = {}
for k, v in pairs(core) do M[k] = v end
M.core = core
M.pretty = require "gcgap.pretty"
M.hook_names = require("gcgap.hooks").names -- also adds m:run_with_cache and m:run_with_hooks
M.help = function(x) return require("gcgap.help").help(x) end

return M
