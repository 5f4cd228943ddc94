-- Compares two folders of run records (DIR/runs/*.json, as scripts/paper.lua writes them),
-- value for value, ignoring wall-clock times (`seconds`) and which build made them
-- (`build`). Exit 0 when every record in the first folder has an identical twin in the second.
-- --added-ok: the second's records may hold fields the first's lack (a newer record format);
-- every field of the first must still be there with the same value. The added fields are listed.
--   gcgap scripts/dev/compare_runs.lua [--added-ok] report-a/runs report-b/runs
local gc = require "gcgap"
local json = require "gcgap.json"
local added_ok = arg[1] == "--added-ok"
local a, b = arg[added_ok and 2 or 1], arg[added_ok and 3 or 2]
if not (a and b) then io.stderr:write("usage: gcgap scripts/dev/compare_runs.lua [--added-ok] DIR_A DIR_B\n"); os.exit(2) end
local ignored = { seconds = true, build = true }
local added = {}

local function read(path)
  local f = assert(io.open(path))
  local v = json.decode(f:read("a"))
  f:close()
  return v
end

-- the first difference between x and y, as a path, or nil
local function diff(x, y, path)
  if type(x) ~= type(y) then return path .. " (" .. type(x) .. " vs " .. type(y) .. ")" end
  if type(x) ~= "table" then
    if x ~= y and not (x ~= x and y ~= y) then return path .. " (" .. tostring(x) .. " vs " .. tostring(y) .. ")" end
    return nil
  end
  for k, v in pairs(x) do
    if not ignored[k] then
      local d = diff(v, y[k], path .. "." .. tostring(k))
      if d then return d end
    end
  end
  for k in pairs(y) do
    if not ignored[k] and x[k] == nil then
      if not added_ok then return path .. "." .. tostring(k) .. " (missing in the first)" end
      added[((path:match("%.json(.*)$") or path) .. "." .. tostring(k)):gsub("^%.", "")] = true
    end
  end
  return nil
end

local n, bad = 0, 0
for _, name in ipairs(gc.dir(a)) do
  if name:match("%.json$") then
    n = n + 1
    local ok, other = pcall(read, b .. "/" .. name)
    local d
    if ok then d = diff(read(a .. "/" .. name), other, name) else d = name .. ": missing in " .. b end
    if d then bad = bad + 1; print("differs: " .. d) end
  end
end
print(string.format("%d records compared, %d identical, %d differ", n, n - bad, bad))
local list = {}
for k in pairs(added) do list[#list + 1] = k end
table.sort(list)
if #list > 0 then print("fields only the second holds: " .. table.concat(list, " ")) end
os.exit(bad == 0 and n > 0 and 0 or 1)
