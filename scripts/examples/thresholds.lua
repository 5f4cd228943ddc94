-- A new Δ threshold over saved runs: reads the run records a paper run wrote
-- (report/runs/*.json by default) and counts Heroes and Bloats at thresholds 3..9,
-- without retraining or rescoring anything.
--   gcgap scripts/examples/thresholds.lua [runs-folder]
local gc = require "gcgap"
local json = require "gcgap.json"
local dir = arg[1] or "report/runs"
local records = {}
local p = io.popen("ls '" .. dir .. "' 2>/dev/null")
for name in p:lines() do
  -- the main records are <task>-<seed>-<preset>.json (the others are decomposition variants)
  if not name:match("^%a+%-%d+%-[%a-]+%.json$") or name:match("%-on%-") then goto continue end
  local f = assert(io.open(dir .. "/" .. name))
  records[#records + 1] = json.decode(f:read("a"))
  f:close()
  ::continue::
end
p:close()
if #records == 0 then error("no run records in " .. dir .. " (run gcgap scripts/paper.lua first)", 0) end
print(string.format("%d runs from %s", #records, dir))
print(string.format("%-8s %-10s %s", "task", "G", "threshold: Heroes/Bloats"))
for _, task in ipairs{ "reverse", "sort" } do
  for _, norm in ipairs{ "raw", "per_param" } do
    local cells = {}
    for t = 3, 9 do
      local h, b = 0, 0
      for _, r in ipairs(records) do
        if r.task == task and r.valid then
          local cl = gc.classify(r.delta[norm], { threshold = t })
          h, b = h + #cl.heroes, b + #cl.bloats
        end
      end
      cells[#cells + 1] = string.format("%d: %d/%d", t, h, b)
    end
    print(string.format("%-8s %-10s %s", task, norm, table.concat(cells, "  ")))
  end
end
