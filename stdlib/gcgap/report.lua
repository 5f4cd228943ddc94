--- gcgap.report: tables and figures from run records (see gcgap.experiment).
--
--   report.summary(records)           per task: ρ mean ± std, range, Hero/Bloat counts
--   report.markdown(records, opts)    the report as Markdown text
--   report.svg_*(...)                 SVG figures (plain text, no dependencies)
--   report.csv(records)               one line per run
--
-- Its parts: gcgap.report.data (summary, CSV, frequencies), gcgap.svg (the toolkit),
-- gcgap.report.figures and gcgap.report.effects (the SVG figures), gcgap.report.markdown (the text), gcgap.paper
-- (the paper's figures).
local M = {}
for _, part in ipairs { "gcgap.report.figures", "gcgap.report.effects", "gcgap.report.markdown" } do
  for k, v in pairs(require(part)) do M[k] = v end
end
-- the data module's public face (the rest are its helpers for the figures and the text)
local D = require "gcgap.report.data"
for _, k in ipairs { "by_task", "summary", "frequencies", "csv", "norm_label" } do M[k] = D[k] end
-- every writer checks its records first (report.data.check names the bad field)
for _, k in ipairs { "summary", "frequencies", "csv", "by_task", "markdown", "section", "context", "provenance",
                     "svg_rho", "svg_scatter", "svg_layers", "svg_pruning", "svg_joint", "svg_interactions" } do
  local f = M[k]
  M[k] = function(first, ...)
    if k == "section" then D.check((...), "report.section") else D.check(first, "report." .. k) end
    if k == "svg_layers" then D.check_layers(select(2, ...), "report.svg_layers") end
    return f(first, ...)
  end
end
M.check = D.check
M.paper = require("gcgap.paper").text
M.diverging = require("gcgap.svg").diverging

return M
