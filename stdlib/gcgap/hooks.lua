--- gcgap.hooks: TransformerLens's habits on gcgap models.
--
--   m:run_with_cache(b [, {names = {...}}])   -> logits, cache   every hook point (or those named)
--   m:run_with_hooks(b, {[name] = fn, ...})    -> logits          hooks removed after the call
--   gcgap.hook_names(m)                        -> list            every hook point, in forward order
--
-- Names are gcgap's (`L1.resid_pre`, `L0.H1.q`, `L0.H1.pattern`, `L2.H3.z`, `L2.H3`, `L2.ATTN`,
-- `L1.MLP.pre`, `L1.MLP`, `embed`, `ln_final`) or TransformerLens's (`blocks.1.hook_resid_pre`,
-- `blocks.0.attn.hook_q`, `blocks.2.attn.hook_result[3]` ...). A TransformerLens per-head name
-- without a head gives all heads at once, as TransformerLens does: q, k, v, z and result as
-- [batch, pos, head, width], the pattern as [batch, head, query, key].
local core = require "gcgap.core"
local H = {}

local per_head_tl = { hook_q = "q", hook_k = "k", hook_v = "v", hook_z = "z", hook_result = "", hook_pattern = "pattern" }

--- Every hook point of a model, in the order a forward pass meets them: the model's own
-- registry (gcgap.hook_points, derived from its configuration).
function H.names(m)
  local out = {}
  for i, p in ipairs(core.hook_points(m)) do out[i] = p.name end
  return out
end

-- A TransformerLens all-heads name -> its per-head gcgap names and the dimension to stack on.
local function expand(m, name)
  local l, hook = name:match("^blocks%.(%d+)%.attn%.(hook_%a+)$")
  if not (l and per_head_tl[hook]) then return nil end
  local site, out = per_head_tl[hook], {}
  for h = 0, m:config().n_heads - 1 do
    out[#out + 1] = "L" .. l .. ".H" .. h .. (site == "" and "" or "." .. site)
  end
  return out, hook == "hook_pattern" and 2 or 3
end

local function check_model(m, fname)
  if not (type(m) == "userdata" and getmetatable(m) and getmetatable(m).__name == "model") then
    error("calling '" .. fname .. "' on bad self (model expected, got " .. type(m) .. ")", 3)
  end
end

--- Runs the model on `b` with hooks that record the named points; returns the logits and
-- a table name -> tensor. Every hook is removed afterwards, also on error.
function H.run_with_cache(m, b, opts)
  check_model(m, "run_with_cache")
  if opts ~= nil and type(opts) ~= "table" then
    error("bad argument #2 to 'run_with_cache' (table expected, got " .. type(opts) .. ")", 2)
  end
  opts = opts or {}
  for k in pairs(opts) do
    if k ~= "names" then error("bad argument #2 to 'run_with_cache' (unknown option '" .. tostring(k) .. "'; known: names)", 2) end
  end
  local wanted = opts.names or H.names(m)
  if type(wanted) ~= "table" then error("bad argument #2 to 'run_with_cache' (option 'names': list of hook names expected)", 2) end
  local recorded, handles, stacks = {}, {}, {}
  local ok, err = pcall(function()
    for i, name in ipairs(wanted) do
      if type(name) ~= "string" then error("bad argument #2 to 'run_with_cache' (option 'names': string expected at index " .. i .. ")", 0) end
      local parts, dim = expand(m, name)
      stacks[name] = parts and { parts = parts, dim = dim }
      for _, native in ipairs(parts or { name }) do
        if not recorded[native] then
          recorded[native] = false
          handles[#handles + 1] = m:hook(native, function(out) recorded[native] = out end)
        end
      end
    end
  end)
  local logits
  if ok then ok, err = pcall(m.logits, m, b) end
  if ok then logits = err end
  for _, h in ipairs(handles) do h:remove() end
  if not ok then error(err, 2) end
  local cache = {}
  for _, name in ipairs(wanted) do
    local st = stacks[name]
    if st then
      local list = {}
      for i, p in ipairs(st.parts) do list[i] = recorded[p] end
      cache[name] = core.stack(list, st.dim)
    else
      cache[name] = recorded[name]
    end
  end
  return logits, cache
end

--- Runs the model on `b` with `hooks` ({[name] = function(out, name) ... end}) in place for
-- this call only; returns the logits. A TransformerLens all-heads name (`blocks.0.attn.hook_z`,
-- `..hook_pattern`) hooks every head, the function called once per head.
function H.run_with_hooks(m, b, hooks)
  check_model(m, "run_with_hooks")
  if type(hooks) ~= "table" then error("bad argument #2 to 'run_with_hooks' (table expected, got " .. type(hooks) .. ")", 2) end
  local handles = {}
  local ok, err = pcall(function()
    local names = {}
    for name in pairs(hooks) do names[#names + 1] = name end
    table.sort(names, function(a, b) return tostring(a) < tostring(b) end)
    for _, name in ipairs(names) do
      if type(name) ~= "string" or type(hooks[name]) ~= "function" then
        error("bad argument #2 to 'run_with_hooks' (name = function pairs expected, got " .. type(name) .. " = " .. type(hooks[name]) .. ")", 0)
      end
      local parts = expand(m, name)
      if parts then
        -- a TransformerLens all-heads name: the function is called once per head, with that
        -- head's tensor and its per-head name ("blocks.0.attn.hook_pattern[1]"), heads in order
        for h, native in ipairs(parts) do
          local fn, tl = hooks[name], name .. "[" .. (h - 1) .. "]"
          handles[#handles + 1] = m:hook(native, function(out) return fn(out, tl) end)
        end
      else
        handles[#handles + 1] = m:hook(name, hooks[name])
      end
    end
    return m:logits(b)
  end)
  for _, h in ipairs(handles) do h:remove() end
  if not ok then error(err, 2) end
  return err
end

-- the methods, on every model
local methods = debug.getregistry()["gcgap.model"].__methods
methods.run_with_cache = H.run_with_cache
methods.run_with_hooks = H.run_with_hooks

return H
