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
M.paper = require("gcgap.paper").text
M.diverging = require("gcgap.svg").diverging

return M
