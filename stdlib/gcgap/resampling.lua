--- gcgap.resampling: the statistics helpers of the pipeline, the report, the verdict and the
-- ladder, written once: a seedable generator for resampling, mean and sd, percentiles,
-- percentile intervals, bootstrap over runs, Wilson's interval and how a p-value is printed.
-- (The permutation and sign-flip tests and the two-level bootstrap of mean ρ are native:
-- gcgap.stats.permutation_test, sign_flip, mean_rho.)
local R = {}

--- A generator of indices 1..k: a 64-bit LCG from `state`, its bits from `shift` up. The
-- resampling done in Lua (a run's bootstrap over its samples, bootstraps over runs) draws
-- from one of these and the native tests from xoshiro256** streams, so a seed fixes every result.
function R.lcg(state, shift)
  return function(k)
    state = (state * 6364136223846793005 + 1442695040888963407) & 0x7fffffffffffffff
    return (state >> shift) % k + 1
  end
end

function R.mean(xs)
  if #xs == 0 then return nil end
  local s = 0
  for _, x in ipairs(xs) do s = s + x end
  return s / #xs
end

--- The sample standard deviation (n − 1), nil below two values.
function R.sd(xs)
  local m = R.mean(xs)
  if not m or #xs < 2 then return nil end
  local v = 0
  for _, x in ipairs(xs) do v = v + (x - m) ^ 2 end
  return math.sqrt(v / (#xs - 1))
end

--- The q-th percentile of a sorted list: its element at round(q·n), within 1..n.
function R.percentile(sorted, q)
  if #sorted == 0 then return nil end
  return sorted[math.max(1, math.min(#sorted, math.floor(q * #sorted + 0.5)))]
end

--- The 95% percentile interval of a list (sorted on a copy).
function R.interval(xs)
  local s = {}
  for i, x in ipairs(xs) do s[i] = x end
  table.sort(s)
  return { R.percentile(s, 0.025), R.percentile(s, 0.975) }
end

--- Wilson's 95% interval of a proportion k/n.
function R.wilson(k, n)
  if n == 0 then return { 0, 1 } end
  local z, p = 1.96, k / n
  local d = 1 + z * z / n
  local c = (p + z * z / (2 * n)) / d
  local h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
  return { math.max(0, c - h), math.min(1, c + h) }
end

--- The most resamples any bootstrap or test draws: the native resamplers' limit
-- (gcgap.stats.max_resamples), which the Lua ones keep too.
R.max_resamples = require("gcgap.core").stats.max_resamples

--- A count of resamples from a caller, checked: an integer in 1..max_resamples (an endless
-- loop otherwise); the error blames argument `argn` of `fname` (`what` names the option or
-- argument, "resamples" by default).
function R.check_resamples(B, fname, argn, what)
  if type(B) ~= "number" or B ~= B or B < 1 or B > R.max_resamples or B ~= math.floor(B) then
    error(string.format("bad argument #%d to '%s' (%s: an integer in 1..%d expected, got %s)",
      argn, fname, what or "resamples", R.max_resamples, tostring(B)), 3)
  end
end
local check_resamples = R.check_resamples

--- Bootstrap over runs of a statistic f(list of runs) -> number (nil results dropped): its
-- 95% percentile interval.
function R.boot_runs(runs, f, B, rand)
  check_resamples(B, "boot_runs", 3)
  local out = {}
  for _ = 1, B do
    local pick = {}
    for j = 1, #runs do pick[j] = runs[rand(#runs)] end
    local v = f(pick)
    if v then out[#out + 1] = v end
  end
  return R.interval(out)
end

--- The mean with a 95% percentile bootstrap interval (`resamples`, a fixed stream):
-- {mean, n, lo, hi}.
function R.mean_ci(xs, resamples)
  check_resamples(resamples or 1000, "mean_ci", 2)
  local n = #xs
  if n == 0 then return nil end
  local m = R.mean(xs)
  if n < 2 then return { mean = m, n = n } end
  local rand = R.lcg(12345, 20)
  local means = {}
  for b = 1, resamples or 1000 do
    local t = 0
    for _ = 1, n do t = t + xs[rand(n)] end
    means[b] = t / n
  end
  table.sort(means)
  return { mean = m, n = n, lo = R.percentile(means, 0.025), hi = R.percentile(means, 0.975) }
end

--- A p-value with its resolution: "p = 0.0123", or "p < 0.0001" when no resample reached
-- the observed statistic (hits = 0), since (0 + 1)/(B + 1) is the floor of B resamples, not a
-- measured p.
function R.format_p(p, hits, B)
  if p == nil then return "p undefined" end
  if hits == 0 then
    local floor = 1 / (B + 1)
    local digits = math.max(4, math.ceil(-math.log(floor, 10)) + 1)
    return string.format("p < %." .. digits .. "f", floor)
  end
  return string.format("p = %.4f", p)
end

return R
