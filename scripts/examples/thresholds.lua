-- A new Δ threshold over saved runs: reads the run records a paper run wrote
-- (report/runs/*.json by default) and counts Heroes and Bloats at thresholds 3..9,
-- without retraining or rescoring anything.
--   gcgap scripts/examples/thresholds.lua [runs-folder]     (default: report/runs, where paper.lua writes;
--                                                            the committed full run: results/default/runs)
local gc = require "gcgap"
local json = require "gcgap.json"
local dir = arg[1] or "report/runs"
local ok, names = pcall(gc.dir, dir)
if not ok then
  io.stderr:write("thresholds.lua: no run records: " .. names .. "\n(run gcgap scripts/paper.lua first, or pass its runs " ..
    "folder: gcgap scripts/examples/thresholds.lua results/default/runs)\n")
  os.exit(1)
end
local records = {}
for _, name in ipairs(names) do
  -- the main records are <task>-<seed>-<preset>.json (the others are decomposition variants)
  if name:match("^%a+%-%d+%-[%a-]+%.json$") and not name:match("%-on%-") then
    local f = assert(io.open(dir .. "/" .. name))
    records[#records + 1] = json.decode(f:read("a"))
    f:close()
  end
end
if #records == 0 then
  io.stderr:write("thresholds.lua: no run records in " .. dir .. " (run gcgap scripts/paper.lua first)\n")
  os.exit(1)
end
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
