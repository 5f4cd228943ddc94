-- Activation patching at one position: the corrupted run with the clean residual stream at
-- one position before layer 1; how many clean answer tokens (y1..y3) it then predicts.
local task = gcgap.task.reverse()
local m = gcgap.model{seed = 1, n_layers = 2, n_heads = 4, d_model = 64, d_head = 16, d_mlp = 128}
m:train(task, {steps = 3000, lr = 3e-3, lengths = {2, 4}, quiet = true})
local clean, corrupt = task:batch{size = 64, length = 3, seed = 11}, task:batch{size = 64, length = 3, seed = 12}
local _, cache = m:run_with_cache(clean, {names = {"L1.resid_pre"}})
local function clean_answers(pos)   -- rows: START x1 x2 x3 SEP y1 y2 y3 END; logits at 5..7 predict y1..y3
  local h = pos and m:hook("L1.resid_pre", function(out) out:select(2, pos):copy(cache["L1.resid_pre"]:select(2, pos)) end)
  local predicted, target, right = m:logits(corrupt):argmax(3), clean:tokens(), 0
  if h then h:remove() end
  for row = 1, 64 do for p = 5, 7 do right = right + (predicted:get(row, p) - 1 == target:get(row, p + 1) and 1 or 0) end end
  return right
end
print("clean answer tokens, of 192: none patched " .. clean_answers() .. ", x1 patched " .. clean_answers(2) .. ", x3 patched " .. clean_answers(4))
