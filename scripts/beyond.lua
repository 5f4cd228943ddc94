-- scripts/beyond.lua: beyond the paper. Does gradient importance predict causal importance
-- on other tasks, at other sizes, and along training?
--
--   gcgap scripts/beyond.lua --run [--jobs N] [--out DIR] [--seeds LIST] [--cells a,b]
--   gcgap scripts/beyond.lua [--out DIR] [--paper DIR]      (the report from the records)
--
-- --run trains and analyses every cell (a set of tasks at one model size) with
-- scripts/paper.lua, N worker processes per cell (records in DIR/cells/<cell>/runs, models in
-- DIR/cache/<cell>); an interrupted run resumes. Without --run, the report is written from the
-- records: DIR/report.md, runs.csv, summary.json and SVG figures. --paper DIR adds the
-- paper's two tasks at the protocol's size from another report's records (e.g. results/seeds30).
local gc = require "gcgap"
local B = require "gcgap.beyond"

local opts = { out = "beyond", jobs = 1, run = false, seeds = "1-10", cells = nil, paper = nil }
local USAGE = [==[
usage: gcgap scripts/beyond.lua [--run [--jobs N]] [--out DIR] [--seeds LIST] [--cells a,b] [--paper DIR]

  --run            train and analyse every cell (resumes), then write the report
  --jobs N         worker processes per cell (default 1)
  --out DIR        the study's folder (default: beyond)
  --seeds LIST     seeds per cell, as paper.lua takes them (default 1-10)
  --cells LIST     only these cells (default: all; see the list below)
  --paper DIR      a paper.lua report whose reverse and sort records join the protocol-size cell
]==]

local i = 1
while i <= #arg do
  local a = arg[i]
  local function value() i = i + 1; return arg[i] or error("beyond.lua: " .. a .. " needs a value", 0) end
  if a == "--run" then opts.run = true
  elseif a == "--jobs" then opts.jobs = math.tointeger(tonumber(value())) or error("beyond.lua: --jobs needs an integer", 0)
  elseif a == "--out" then opts.out = value()
  elseif a == "--seeds" then opts.seeds = value()
  elseif a == "--cells" then opts.cells = {}; for c in value():gmatch("[^,]+") do opts.cells[c] = true end
  elseif a == "--paper" then opts.paper = value()
  elseif a == "-h" or a == "--help" then
    io.write(USAGE, "\ncells:\n")
    for _, c in ipairs(B.cells) do io.write(string.format("  %-8s %s: %s\n", c.name, table.concat(c.tasks, ","), c.text)) end
    os.exit(0)
  else io.stderr:write("beyond.lua: unknown option " .. a .. "\n\n" .. USAGE); os.exit(2) end
  i = i + 1
end

if opts.run then
  for _, cell in ipairs(B.cells) do
    if not opts.cells or opts.cells[cell.name] then
      io.write(string.format("cell %s (%s)\n", cell.name, cell.text))
      local ok = B.run_cell(cell, { out = opts.out, jobs = opts.jobs, seeds = opts.seeds, exe = arg[-1] or "gcgap",
                                    script = arg[0]:gsub("beyond%.lua$", "paper.lua") })
      if not ok then io.stderr:write("beyond.lua: cell " .. cell.name .. " failed\n"); os.exit(1) end
    end
  end
end
if not B.write_report then os.exit(0) end
local t0 = gc.clock()
local written = B.write_report(opts.out, { paper = opts.paper })
print(string.format("report: %s/report.md (%d runs, %.0f s)", opts.out, written, gc.clock() - t0))
