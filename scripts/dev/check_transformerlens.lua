-- Writes gcgap checkpoints of several kinds, each with its logits on a batch, for
-- Tests/Fixtures/check_transformerlens_load.py (outside CI: it needs torch and
-- transformer-lens==3.9.0). Usage:
--   gcgap scripts/dev/check_transformerlens.lua DIR
--   for m in DIR/*.model.safetensors; do
--     python Tests/Fixtures/check_transformerlens_load.py "$m" "${m%.model.safetensors}.logits.safetensors"; done
local dir = assert(arg[1], "usage: gcgap scripts/dev/check_transformerlens.lua DIR")
local small = {n_layers = 2, n_heads = 2, d_model = 32, d_head = 16, d_mlp = 64}
local function with(base, extra)
  local t = {}
  for k, v in pairs(base) do t[k] = v end
  for k, v in pairs(extra) do t[k] = v end
  return t
end
local vocab50 = gcgap.task.new{name = "rev50", target = function(x)
  local y = {}
  for i = #x, 1, -1 do y[#y + 1] = x[i] end
  return y
end, values = {0, 39}, special = {pad = 40, start = 41, sep = 42, ["end"] = 43}}
local kinds = {
  { "protocol", {seed = 42}, gcgap.task.reverse(), 0 },
  { "learned-relu", with(small, {seed = 1, positions = "learned", act = "relu"}), gcgap.task.sort(), 300 },
  { "1layer-learned", with(small, {seed = 2, n_layers = 1, positions = "learned"}), gcgap.task.copy(), 0 },
  { "vocab50", with(small, {seed = 3, d_vocab = 50}), vocab50, 300 },
}
for _, k in ipairs(kinds) do
  local name, opts, task, steps = table.unpack(k)
  local m = gcgap.model(opts)
  if steps > 0 then m:train(task, {steps = steps, quiet = true, target = false, lengths = {2, 5}}) end
  local b = task:batch{size = 4, length = 5, seed = 9}
  local tokens = b:tokens()
  local n = tokens:shape()[2] - 1
  m:save(dir .. "/" .. name .. ".model.safetensors")
  gcgap.save_tensors(dir .. "/" .. name .. ".logits.safetensors", {logits = m:logits(b), tokens = tokens:narrow(2, 1, n)})
  print("wrote " .. name)
end
