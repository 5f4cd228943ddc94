-- Writes docs/API.md from stdlib/gcgap/docs.lua (the one place the API is documented).
--   gcgap scripts/dev/api_doc.lua [OUT]        default: docs/API.md beside this checkout
local help = require "gcgap.help"
local here = arg[0]:match("^(.*)/scripts/dev/[^/]*$") or "."
local out = arg[1] or (here .. "/docs/API.md")
local missing = help.missing()
if #missing > 0 then
  io.stderr:write("undocumented: " .. table.concat(missing, ", ") .. "\n")
end
gcgap.write_file(out, help.markdown() .. "\n")
print("wrote " .. out)
