--- gcgap.docs: the documentation of every public function and method, the one place the
-- API is documented. gcgap.help reads it for the REPL's help(f) and scripts/dev/api_doc.lua
-- turns it into docs/API.md.
--
-- An entry: name (the key help() looks up: "zeros", "score.causal", "model:train",
-- "experiment.run"), sig (how it is called), returns, text (1-4 sentences, the first a
-- summary: the overview shows it), opts ({key, default, meaning}, in the order the
-- implementation reads them), example (runs given the obvious prior lines: the prelude of
-- scripts/dev/doc_examples.lua, which runs every example in the tests), cost (for
-- what runs passes of a model).
-- Option rows shared by many functions, written once: the ablation options (read by one
-- native reader, GCLua's InterventionOptions) and the metric. Names come from the natives,
-- protocol numbers from gcgap.protocol.
local core = require "gcgap.core"
local P = require("gcgap.protocol").presets.default
local function num(x) return string.format("%.10g", x) end
local function list(t)
  local out = {}
  for i, v in ipairs(t) do out[i] = string.format("%.10g", v) end
  return "{" .. table.concat(out, ", ") .. "}"
end
local function list_of(names)
  local q = {}
  for i, v in ipairs(names) do q[i] = '"' .. v .. '"' end
  return "{" .. table.concat(q, ", ") .. "}"
end
local function choices(list)
  local q = {}
  for i, v in ipairs(list) do q[i] = '"' .. v .. '"' end
  return #q > 1 and table.concat(q, ", ", 1, #q - 1) .. " or " .. q[#q] or (q[1] or "")
end
local groups = {
  ablation = {
    { "ablation", '"mean"', choices(core.ablation_kinds) .. " (`with` is the same option: give one)" },
    { "with", '"mean"', "the same as `ablation`" },
    { "means", "nil", "means from gcgap.means (another set's μ); without it, mean ablation uses the set's own means" },
    { "per_position", "false", "with means computed here: one mean per position instead of one over all positions (with `means` given, an error)" },
    { "source", "nil", 'for "resample": a batch of the same row lengths whose outputs are patched in' },
  },
  metric = {
    { "metric", '"accuracy"', choices(core.metrics) .. ": exact match (the paper's), token accuracy, the loss, the margin (logit(target) − the largest other logit), TransformerLens's logit difference, KL from the clean prediction, or the probability of the right answer; effects are oriented so that larger = more damage (estimators of exact match and token accuracy differentiate the loss). " ..
      'The logit difference is a table, `{"logit_diff", answer = a, wrong = w [, pos = p]}`: the mean of logit(a) − logit(w), where a and w are a token, one token per sample (a list or 1-d tensor) or one per target position of each sample (a list of lists, which may differ in length, or a 2-d tensor); integers exactly; `pos` reads it at one input position of each sample (a number or one per sample, 1-based as in m:logits, negative from the sample\'s end: -1 its last), which must be a target position, instead of at every target position' },
  },
}
--- An entry's option rows: its own, then each named group's.
local function with_groups(rows, ...)
  local out = {}
  for _, r in ipairs(rows) do out[#out + 1] = r end
  for _, g in ipairs { ... } do
    for _, r in ipairs(groups[g]) do out[#out + 1] = r end
  end
  return out
end

return {
  groups = groups,
  sections = {
    { title = "Tensors", names = {
      "tensor", "zeros", "ones", "randn", "stack", "is_tensor",
      "tensor:shape", "tensor:numel", "tensor:dim", "tensor:get", "tensor:totable", "tensor:clone",
      "tensor:narrow", "tensor:select", "tensor:sub", "tensor:is_view", "tensor:copy", "tensor:fill", "tensor:maskedFill", "tensor:indexCopy", "cat",
      "tensor:reshape", "tensor:slice", "tensor:index", "tensor:t", "tensor:matmul", "tensor:map",
      "tensor:sum", "tensor:mean", "tensor:norm", "tensor:max", "tensor:min", "tensor:argmax", "tensor:argmin",
      "save_tensors", "load_tensors", "tensor:save_npy", "load_npy",
    } },
    { title = "Models and checkpoints", names = {
      "model", "load", "model:save", "model:config", "model:params", "model:param", "model:set_param",
      "model:grad", "model:copy", "model:components",
    } },
    { title = "Tasks and batches", names = {
      "task.reverse", "task.sort", "task.copy", "task.modadd", "task.histogram", "task.brackets", "task.induction", "task.names", "task.new", "task:name", "task:special", "task:batch", "task:sample",
      "batch", "batch:rows", "batch:tokens", "batch:size", "batch:targets",
    } },
    { title = "Training", names = { "model:train" } },
    { title = "Passes, hooks and ablation", names = {
      "model:logits", "model:loss", "model:evaluate", "model:accuracy", "model:grad_norms",
      "model:hook", "hook:remove", "model:clear_hooks", "hook_names", "hook_points", "model:run_with_cache", "model:run_with_hooks",
      "means", "means:get",
    } },
    { title = "Scores", names = { "ood", "score.gradient", "score.causal", "score.taylor", "score.patching", "score.joint", "score.ablations", "score.interactions" } },
    { title = "The estimator ladder (ladder = require \"gcgap.ladder\")", names = {
      "score.gate", "score.attribution", "score.integrated", "score.shapley", "score.ladder",
      "ladder.rhos", "ladder.table", "ladder.summary", "ladder.markdown", "ladder.svg",
    } },
    { title = "Statistics and the gap", names = {
      "stats.spearman", "stats.kendall", "stats.pearson", "stats.ranks", "stats.permutation", "stats.bootstrap",
      "stats.mean_rho", "stats.permutation_test", "stats.sign_flip",
      "gap", "classify",
    } },
    { title = "The experiment pipeline (E = require \"gcgap.experiment\")", names = {
      "experiment.preset", "experiment.train", "experiment.analyse", "experiment.run",
      "experiment.gap_and_classes", "experiment.prune", "experiment.cache_key", "experiment.write_file",
    } },
    { title = "Plots (plot = require \"gcgap.plot\")", names = { "plot.scatter", "plot.line", "plot.bar", "plot.heatmap", "plot.markdown" } },
    { title = "Known circuits and the study beyond the paper (circuits = require \"gcgap.circuits\", beyond = require \"gcgap.beyond\")", names = {
      "circuits.induction", "beyond.run_cell", "beyond.read_runs", "beyond.groups", "beyond.trajectory", "beyond.circuit",
      "beyond.cell_of", "beyond.write_report",
    } },
    { title = "Reports (report = require \"gcgap.report\")", names = {
      "verdict.rows", "verdict.noise", "verdict.markdown", "report.summary", "report.markdown", "report.section", "report.context", "report.provenance", "report.check", "report.csv", "report.by_task", "report.frequencies",
      "report.svg_rho", "report.svg_scatter", "report.svg_layers", "report.svg_pruning", "report.svg_joint", "report.svg_interactions",
      "report.diverging",
    } },
    { title = "Files and utilities", names = {
      "write_file", "read_file", "dir", "mkdir", "sandbox", "build", "json.encode", "json.decode", "pretty.format", "pretty.print",
      "status", "clock", "blas", "threads", "interrupted", "components", "help",
    } },
  },

  entries = {
    ---------------------------------------------------------------- Tensors
    { name = "tensor",
      sig = "gcgap.tensor(x)",
      returns = "tensor",
      text = "A float32 tensor from nested tables of numbers (rectangular, at most 32 levels deep), from a number (a 0-d tensor) or from another tensor (a copy). " ..
        "Tensors take + - * / ^ and unary minus with numbers or tensors of the same shape, of a shape that is a suffix of the other's (it repeats along the leading dimensions), or 0-d; " ..
        "== compares shape and values, #t is the size of the first dimension, and t[i] (1-based) is a number for a 1-d tensor and the i-th sub-tensor otherwise. " ..
        "A ragged table is an error that names the element; NaN and infinities are kept as they are (from a table or a number alike), and a finite number beyond float32's range is an error.",
      example = [=[local t = gcgap.tensor{{1, 2, 3}, {4, 5, 6}}
print(t[2][3], #t, (t * 2 + 1):sum())   --> 6.0  2  48.0]=] },
    { name = "zeros",
      sig = "gcgap.zeros(shape)",
      returns = "tensor",
      text = "A tensor of zeros; `shape` is a number (1-d) or a table of dimensions. " ..
        "At most 2^28 elements and 32 dimensions (zero dimensions are allowed).",
      example = [=[local z = gcgap.zeros{2, 3}
print(z:shape()[2])   --> 3]=] },
    { name = "ones",
      sig = "gcgap.ones(shape)",
      returns = "tensor",
      text = "A tensor of ones; `shape` is a number (1-d) or a table of dimensions.",
      example = [=[print(gcgap.ones(4):sum())   --> 4.0]=] },
    { name = "randn",
      sig = "gcgap.randn(shape [, seed])",
      returns = "tensor",
      text = "A tensor of standard normal values, fixed by an integer `seed` (default 0; stream \"randn\"). " ..
        "`shape` is a number or a table of dimensions; the same seed always gives the same values.",
      example = [=[local noise = gcgap.randn({64, 128}, 7) * 0.01]=] },
    { name = "stack",
      sig = "gcgap.stack(tensors [, d])",
      returns = "tensor",
      text = "Tensors of one shape stacked along a new dimension `d` (1-based, 1..rank+1, default 1). " ..
        "`tensors` is a list of at least one tensor; differing shapes are an error naming the first that differs; the result has at most 32 dimensions.",
      example = [=[local heads = {}
local WV = m:param("blocks.0.attn.W_V")                  -- [n_heads, d_model, d_head]
for h = 1, m:config().n_heads do heads[h] = WV[h] end
print(table.concat(gcgap.stack(heads, 3):shape(), "x"))   -- d_model x d_head x n_heads]=] },
    { name = "is_tensor",
      sig = "gcgap.is_tensor(x)",
      returns = "boolean",
      text = "True when `x` is a gcgap tensor.",
      example = [=[print(gcgap.is_tensor(gcgap.zeros(1)), gcgap.is_tensor({1}))   --> true  false]=] },
    { name = "tensor:shape",
      sig = "t:shape()",
      returns = "table of integers",
      text = "The dimensions of the tensor as a new table ({} for a 0-d tensor).",
      example = [=[local logits = m:logits(b)
local B, P, V = table.unpack(logits:shape())]=] },
    { name = "tensor:numel",
      sig = "t:numel()",
      returns = "integer",
      text = "The number of elements (1 for a 0-d tensor).",
      example = [=[print(gcgap.zeros{3, 4}:numel())   --> 12]=] },
    { name = "tensor:dim",
      sig = "t:dim()",
      returns = "integer",
      text = "The number of dimensions (0 for a tensor made from a number).",
      example = [=[print(gcgap.zeros{3, 4}:dim())   --> 2]=] },
    { name = "tensor:get",
      sig = "t:get(i, j, ...)",
      returns = "number",
      text = "The element at a full index, 1-based, one index per dimension. " ..
        "Too few or too many indices, or one out of range, is an error naming the dimension.",
      example = [=[local W = m:param("blocks.0.attn.W_V")   -- [n_heads, d_model, d_head]
print(W:get(1, 1, 1))]=] },
    { name = "tensor:totable",
      sig = "t:totable()",
      returns = "nested tables of numbers (a number for a 0-d tensor)",
      text = "The values as nested Lua tables, one level per dimension.",
      example = [=[local rows = gcgap.tensor{{1, 2}, {3, 4}}:totable()
print(rows[2][1])   --> 3.0]=] },
    { name = "tensor:clone",
      sig = "t:clone()",
      returns = "tensor",
      text = "An independent copy: a new tensor with its own storage (of a view: its window's values, no longer shared).",
      example = [=[local W2 = m:param("unembed.W_U"):clone()]=] },
    { name = "tensor:narrow",
      sig = "t:narrow(dim, start, length)",
      returns = "tensor (a view)",
      text = "Entries start..start+length-1 along dimension `dim` (1-based), as Torch7's narrow: a view that shares t's storage, so writing it (copy, fill, maskedFill, indexCopy) writes t. " ..
        "A view keeps its base's storage alive; arithmetic on a view makes a new tensor as on any other.",
      example = [=[local t = gcgap.zeros{3, 4}
t:narrow(2, 2, 2):fill(1)     -- columns 2 and 3 of t are 1 now]=] },
    { name = "tensor:select",
      sig = "t:select(dim, index)",
      returns = "tensor (a view)",
      text = "The slice at `index` along `dim` (1-based), that dimension removed, as Torch7's select: a view that writes through to t.",
      example = [=[local _, cache = m:run_with_cache(clean, {names = {"L1.resid_pre"}})
-- patch position 3 of the corrupted run with the clean run's residual stream
local logits = m:run_with_hooks(corrupted, {["L1.resid_pre"] = function(out)
  out:select(2, 3):copy(cache["L1.resid_pre"]:select(2, 3))
end})]=] },
    { name = "tensor:sub",
      sig = "t:sub(s1, e1 [, s2, e2, ...])",
      returns = "tensor (a view)",
      text = "Inclusive ranges s..e of the first dimensions, negative indices counting from the end (-1 is the last), as Torch7's sub: a view that writes through to t.",
      example = [=[local t = gcgap.zeros{4, 4}
t:sub(2, 3, -2, -1):fill(7)   -- rows 2..3, the last two columns]=] },
    { name = "tensor:is_view",
      sig = "t:is_view()",
      returns = "boolean",
      text = "Whether t is a view (narrow, select, sub) sharing another tensor's storage.",
      example = [=[print(gcgap.zeros{2, 2}:select(1, 1):is_view())   --> true]=] },
    { name = "tensor:copy",
      sig = "t:copy(src)",
      returns = "t",
      text = "Writes src's values into t in place (the same number of elements, taken in row-major order); through a view, into its base. " ..
        "In a hook, editing `out` in place and returning nothing replaces the output.",
      example = [=[local t = gcgap.zeros{2, 3}
t:select(1, 2):copy(gcgap.tensor{1, 2, 3})]=] },
    { name = "tensor:fill",
      sig = "t:fill(v)",
      returns = "t",
      text = "Sets every element of t (through a view, of its window) to the number v, in place.",
      example = [=[local t = gcgap.ones{2, 2}:fill(0.5)]=] },
    { name = "tensor:maskedFill",
      sig = "t:maskedFill(mask, v)",
      returns = "t",
      text = "Sets to v, in place, every element of t where `mask` (a tensor of t's shape) is not 0, as Torch7's maskedFill.",
      example = [=[local t = gcgap.tensor{1, -2, 3}
t:maskedFill(t:map(function(x) return x < 0 and 1 or 0 end), 0)   --> 1 0 3]=] },
    { name = "tensor:indexCopy",
      sig = "t:indexCopy(dim, index, src)",
      returns = "t",
      text = "For each k, the slice index[k] of t along `dim` := the slice k of src, in place, as Torch7's indexCopy; `index` is a list or a 1-d tensor of 1-based indices and src has t's shape with #index entries along dim.",
      example = [=[local t = gcgap.zeros{3, 2}
t:indexCopy(1, {3, 1}, gcgap.tensor{{1, 1}, {2, 2}})   -- row 3 := {1, 1}, row 1 := {2, 2}]=] },
    { name = "cat",
      sig = "gcgap.cat(tensors [, dim])",
      returns = "tensor",
      text = "The tensors joined along `dim` (default: the last), every other dimension equal, as Torch7's cat. gcgap.stack adds a new dimension instead.",
      example = [=[print(gcgap.cat({gcgap.ones{2, 1}, gcgap.zeros{2, 3}}):shape()[2])   --> 4]=] },
    { name = "tensor:reshape",
      sig = "t:reshape(d1, d2, ...) or t:reshape{d1, d2, ...}",
      returns = "tensor",
      text = "The same values in row-major order under another shape; one dimension may be -1 and is then inferred. " ..
        "The element count must stay the same, and a shape has at most 32 dimensions.",
      example = [=[local flat = m:param("blocks.0.attn.W_V"):reshape(-1)]=] },
    { name = "tensor:slice",
      sig = "t:slice(d, i [, j])",
      returns = "tensor",
      text = "The entries i..j (inclusive, 1-based) along dimension `d`, which stays (with j − i + 1 entries). " ..
        "As in string.sub, `j` defaults to -1 and negative indices count from the end; a range reaching past either end is cut to the dimension, and an empty range gives an empty dimension.",
      example = [=[local logits = m:logits(b)                       -- [batch, position, d_vocab]
local first8 = logits:slice(2, 1, 8)              -- the first 8 positions
local last = logits:slice(2, -1)                  -- the last position, [batch, 1, d_vocab]]=] },
    { name = "tensor:index",
      sig = "t:index(d, indices)",
      returns = "tensor",
      text = "The entries at a list of 1-based `indices` along dimension `d`, in that order (repeats allowed); the dimension stays, with #indices entries. " ..
        "An index out of range is an error.",
      example = [=[local W_U = m:param("unembed.W_U")                 -- [d_model, d_vocab]
local special = W_U:index(2, {gcgap.PAD + 1, gcgap.SEP + 1, gcgap.END + 1})   -- token id + 1]=] },
    { name = "tensor:t",
      sig = "t:t()",
      returns = "tensor",
      text = "The transpose of a 2-d tensor (other ranks are an error).",
      example = [=[local WU_T = m:param("unembed.W_U"):t()   -- [d_vocab, d_model]]=] },
    { name = "tensor:matmul",
      sig = "a:matmul(b)",
      returns = "tensor",
      text = "The matrix product through BLAS: [m,k]·[k,n], [k]·[k,n], [m,k]·[k], or a batch [..., m, k]·[k, n]. " ..
        "Mismatched inner dimensions are an error naming both shapes.",
      example = [=[local E = m:param("embed.W_E")            -- [d_vocab, d_model]
local direct = E:matmul(m:param("unembed.W_U"))   -- [d_vocab, d_vocab]]=] },
    { name = "tensor:map",
      sig = "t:map(fn)",
      returns = "tensor",
      text = "A new tensor of the same shape with `fn(x)` applied to every element (in row-major order). " ..
        "`fn` must return a number; anything else is an error.",
      example = [=[local relu = gcgap.tensor{-1, 2, -3}:map(function(x) return math.max(x, 0) end)]=] },
    { name = "tensor:sum",
      sig = "t:sum([d])",
      returns = "number, or a tensor with dimension d removed",
      text = "The sum of all elements as a number, or with a dimension `d` (1-based) the sums along it as a tensor. " ..
        "Sums are accumulated in double precision.",
      example = [=[local t = gcgap.tensor{{1, 2}, {3, 4}}
print(t:sum(), t:sum(1))   --> 10.0  tensor([4., 6.], shape=[2])]=] },
    { name = "tensor:mean",
      sig = "t:mean([d])",
      returns = "number, or a tensor with dimension d removed",
      text = "The mean of all elements as a number (NaN for an empty tensor), or with a dimension `d` (1-based) the means along it as a tensor.",
      example = [=[local out_mean = nil
local h = m:hook("L0.MLP", function(out) out_mean = out:mean(2) end)   -- [batch, d_model]
m:accuracy(b); h:remove()]=] },
    { name = "tensor:norm",
      sig = "t:norm()",
      returns = "number",
      text = "The Frobenius (L2) norm of all elements.",
      example = [=[m:grad_norms(b)
print(m:grad("blocks.0.mlp.W_out"):norm())]=] },
    { name = "tensor:max",
      sig = "t:max([d])",
      returns = "number; or values, indices (two tensors)",
      text = "The largest element as a number, or with a dimension `d` the largest values along it and their 1-based indices (first one on ties), as two tensors with dimension d removed. " ..
        "Without `d`, NaN when the tensor is empty or holds a NaN; with `d`, a NaN wins its lane and an empty dimension is an error.",
      example = [=[local logits = m:logits(b)                  -- [batch, position, d_vocab]
local best, token = logits:max(3)             -- both [batch, position]
print(token:get(1, 1) - 1)                    -- token ids are 0-based: subtract 1]=] },
    { name = "tensor:min",
      sig = "t:min([d])",
      returns = "number; or values, indices (two tensors)",
      text = "The smallest element as a number, or with a dimension `d` the smallest values along it and their 1-based indices, as two tensors with dimension d removed. " ..
        "NaN and empty tensors behave as for t:max.",
      example = [=[local t = gcgap.tensor{{3, 1}, {0, 5}}
local v, i = t:min(2)   --> tensor([1., 0.]), tensor([2., 1.])]=] },
    { name = "tensor:argmax",
      sig = "t:argmax([d])",
      returns = "integer or nil; or a tensor of indices",
      text = "The 1-based flat (row-major) index of the first largest element, nil for an empty tensor; with a dimension `d`, a tensor of 1-based indices along d (as the second result of t:max(d)). " ..
        "Indices of a vocabulary dimension are token id + 1.",
      example = [=[local pred = m:logits(b):argmax(3) - 1   -- predicted token ids, [batch, position]]=] },
    { name = "tensor:argmin",
      sig = "t:argmin([d])",
      returns = "integer or nil; or a tensor of indices",
      text = "The 1-based flat index of the first smallest element, nil for an empty tensor; with a dimension `d`, a tensor of 1-based indices along d.",
      example = [=[print(gcgap.tensor{4, 2, 2}:argmin())   --> 2]=] },
    { name = "save_tensors",
      sig = "gcgap.save_tensors(path, tensors)",
      returns = "nothing",
      text = "Writes a table {name = tensor, ...} as a float32 safetensors file (names sorted; metadata format = \"gcgap/tensors\"), through the atomic writer. " ..
        "Keys must be strings and values tensors; the folder must exist.",
      example = [=[local G = gcgap.score.gradient(m, task, {length = 8, batches = 2})
gcgap.save_tensors("wv.safetensors", {W_V = m:param("blocks.0.attn.W_V"), dW_V = m:grad("blocks.0.attn.W_V")})]=] },
    { name = "load_tensors",
      sig = "gcgap.load_tensors(path)",
      returns = "table {name = tensor}",
      text = "Reads every tensor of a safetensors file, whatever wrote it, as float32 tensors keyed by name (F64, F16, BF16 and integer or bool dtypes are converted). " ..
        "The file is read strictly: a truncated or malformed file is an error that says what is wrong.",
      example = [=[local T = gcgap.load_tensors("wv.safetensors")
print(T.W_V:shape()[1])]=] },

    { name = "tensor:save_npy",
      sig = "t:save_npy(path)",
      returns = "nothing",
      text = "Writes the tensor as a NumPy .npy file (format 1.0, little-endian float32, C order) through the atomic writer, for numpy.load.",
      example = [=[m:param("blocks.0.attn.W_V"):save_npy("W_V.npy")   -- numpy.load("W_V.npy").shape == (n_heads, d_model, d_head)]=] },
    { name = "load_npy",
      sig = "gcgap.load_npy(path)",
      returns = "tensor",
      text = "Reads a NumPy .npy file as a float32 tensor. " ..
        "It takes format versions 1.0, 2.0 and 3.0 in C order with little-endian float32, float64, float16, int64, int32 or int16, or int8, uint8 or bool (bytes 0 and 1) values. " ..
        "It is as strict as NumPy's own reader or stricter: other dtypes, Fortran order, a duplicate, missing or extra header key, text after the header's dict, a 3.0 header that is not UTF-8, " ..
        "more than 32 dimensions and a size that does not match the shape are errors.",
      example = [=[m:param("blocks.0.attn.W_V"):save_npy("W_V.npy")
local W = gcgap.load_npy("W_V.npy")
print(W == m:param("blocks.0.attn.W_V"))   --> true]=] },

    ---------------------------------------------------------------- Models and checkpoints
    { name = "model",
      sig = "gcgap.model([opts])",
      returns = "model",
      text = "A new transformer, initialised from `seed` as docs/protocol.md says (PyTorch's defaults: W_E ~ N(0,1), linear weights and biases ~ U(±1/√fan_in), LayerNorm 1 and 0). " ..
        "The defaults are the protocol's model: 4 layers of 4 heads, pre-LayerNorm, no positional embedding, 828,264 parameters. " ..
        "Unknown option names are errors that suggest the nearest one.",
      opts = {
        { "n_layers", "4", "layers, 1..64" },
        { "n_heads", "4", "heads per layer, 1..256" },
        { "d_model", "128", "residual width, 1..16384" },
        { "d_head", "32", "head width, 1..4096" },
        { "d_mlp", "512", "MLP hidden width, 1..65536" },
        { "n_ctx", "64", "longest input a row may have (a sample of length N reads 2N+2 tokens)" },
        { "d_vocab", "104", "vocabulary size (values 1..99 and PAD 100, START 101, SEP 102, END 103)" },
        { "act", '"gelu"', '"gelu" (exact, erf) or "relu"' },
        { "positions", '"none"', '"none" or "learned" (absolute, W_pos)' },
        { "eps", "1e-5", "LayerNorm epsilon (Adam's is m:train's eps)" },
        { "seed", "0", "fixes the initialisation" },
      },
      example = [=[local m = gcgap.model{seed = 42}                                    -- the protocol's model
local tiny = gcgap.model{n_layers = 1, n_heads = 2, d_model = 8, d_head = 4, d_mlp = 16, seed = 1}]=] },
    { name = "load",
      sig = "gcgap.load(path [, opts])",
      returns = "model",
      text = "Reads a model from a safetensors checkpoint with TransformerLens state-dict names, written by m:save or by TransformerLens (`state_dict()` with `safetensors.torch.save_file`). " ..
        "A file without gcgap's metadata does not record its activation, LayerNorm eps or positional embedding: state them with the options, otherwise GELU, 1e-5 and \"learned unless W_pos is all zero\" are assumed and each assumption is printed on stderr. " ..
        "An option that contradicts the file's metadata, `positions = \"none\"` with a non-zero W_pos, rotary positions, folded LayerNorm, missing or extra tensors, wrong shapes, and NaN, infinite or huge (> 1e10) values are all errors.",
      opts = {
        { "act", "from the file, else gelu", '"gelu" or "relu"' },
        { "positions", "from the file, else from W_pos", '"none" or "learned"' },
        { "eps", "from the file, else 1e-5", "LayerNorm epsilon" },
        { "quiet", "false", "do not print the assumptions on stderr" },
      },
      example = [=[m:save("reverse-42.safetensors")
local m2 = gcgap.load("reverse-42.safetensors")
local tl = gcgap.load("hooked.safetensors", {act = "relu", positions = "learned", eps = 1e-5})   -- a TransformerLens file]=] },
    { name = "model:save",
      sig = "m:save(path)",
      returns = "nothing",
      text = "Writes the model as a float32 safetensors file with TransformerLens state-dict names and the configuration (and seed) in the metadata, through the atomic writer. " ..
        "With positions \"none\", W_pos is written as zeros, so TransformerLens computes the same logits. " ..
        "The folder must exist; a path that is a folder or device is refused.",
      example = [=[gcgap.mkdir("models")
m:save("models/reverse-42.safetensors")]=] },
    { name = "model:config",
      sig = "m:config()",
      returns = "table",
      text = "The model's shape as a table: n_layers, n_heads, d_model, d_head, d_mlp, n_ctx, d_vocab, act, positions, eps, parameters (the count) and seed. " ..
        "seed is absent when unknown (a TransformerLens file without gcgap's metadata).",
      example = [=[local cfg = m:config()
print(cfg.n_layers, cfg.parameters)]=] },
    { name = "model:params",
      sig = "m:params()",
      returns = "list of strings",
      text = "The parameter names in TransformerLens state-dict order (embed.W_E, pos_embed.W_pos, blocks.0.ln1.w, ..., unembed.b_U).",
      example = [=[for _, name in ipairs(m:params()) do print(name, table.concat(m:param(name):shape(), "x")) end]=] },
    { name = "model:param",
      sig = "m:param(name)",
      returns = "tensor",
      text = "A copy of one parameter in TransformerLens layout: blocks.0.attn.W_V is [n_heads, d_model, d_head], W_O is [n_heads, d_head, d_model]. " ..
        "An unknown name is an error.",
      example = [=[local WV = m:param("blocks.0.attn.W_V")
print(WV[1]:norm())   -- head 0's W_V]=] },
    { name = "model:set_param",
      sig = "m:set_param(name, t)",
      returns = "nothing",
      text = "Overwrites one parameter with a tensor of exactly its shape. " ..
        "NaN or infinite values and a wrong shape are errors, and a hook cannot change its own model mid-pass.",
      example = [=[local name = "blocks.0.attn.W_V"
m:set_param(name, m:param(name) * 0.5)   -- e.g. another initialisation scheme]=] },
    { name = "model:grad",
      sig = "m:grad(name)",
      returns = "tensor",
      text = "The gradient of one parameter from the model's last backward pass, in TransformerLens layout (zeros before any). " ..
        "Backward passes are run by m:train (its last step), m:grad_norms, gcgap.score.gradient and gcgap.score.taylor (their last batch).",
      example = [=[m:grad_norms(b)
local dWV = m:grad("blocks.0.attn.W_V")   -- [n_heads, d_model, d_head]
print(dWV[1]:norm())]=] },
    { name = "model:copy",
      sig = "m:copy()",
      returns = "model",
      text = "An independent copy of the parameters, configuration and seed; hooks are not copied. " ..
        "A hook that needs a pass of a model (its own model cannot run one mid-pass) can use a copy.",
      example = [=[local pruned = m:copy()
pruned:set_param("blocks.0.mlp.W_out", gcgap.zeros(pruned:param("blocks.0.mlp.W_out"):shape()))
print(m:accuracy(ood.set), pruned:accuracy(ood.set))]=] },
    { name = "model:components",
      sig = "m:components()",
      returns = "list of strings",
      text = "The model's scored components in protocol order: L0.H0, L0.H1, ..., L0.MLP, L1.H0, ..., 20 for the protocol's model. " ..
        "m:hook and the `ablate` option also take the model's other hook points (gcgap.hook_names(m) lists them), such as L{l}.H{h}.z (a head's pre-W_O output) and L{l}.ATTN (a layer's whole attention output).",
      example = [=[for _, c in ipairs(m:components()) do print(c, C[c]) end]=] },

    ---------------------------------------------------------------- Tasks and batches
    { name = "task.reverse",
      sig = "gcgap.task.reverse()",
      returns = "task",
      text = "The reversal task: y = reverse(x), with values 1..99 drawn uniformly with replacement. " ..
        "A sample of length N is START x1 .. xN SEP y1 .. yN END, 2N+3 tokens.",
      example = [=[local task = gcgap.task.reverse()
local b = task:batch{size = 64, length = {3, 7}, seed = 42}]=] },
    { name = "task.sort",
      sig = "gcgap.task.sort()",
      returns = "task",
      text = "The sorting task: y is x in ascending order, values 1..99 drawn uniformly with replacement.",
      example = [=[local task = gcgap.task.sort()
print(table.concat(task:sample{{5, 3, 9}}:rows()[1], " "))   --> 101 5 3 9 102 3 5 9 103]=] },
    { name = "task.new",
      sig = "gcgap.task.new{target = fn [, name =] [, sample =] [, values =]}",
      returns = "task",
      text = "A task defined in Lua: `target(x)` gets an input list and returns the output list (it may have another length), and each sample is START x SEP target(x) END. " ..
        "Inputs are drawn uniformly from `values` unless `sample(n, seed)` is given, which must return n integers and gets a fresh integer seed from the batch's stream, so batches stay fixed by their seed. " ..
        "Values must be integers in 0..2^30-1 and within the model's d_vocab; the special tokens (PAD 100, START 101, SEP 102, END 103) cannot be values: a `values` range that holds one, or an input or target that holds one, is an error.",
      opts = {
        { "name", '"custom"', "the task's name (records, cache keys, E.run's file names)" },
        { "target", "required", "function(x) -> y, both lists of integers" },
        { "sample", "nil", "function(n, seed) -> x, a list of n integers; nil draws uniformly from values" },
        { "values", "{1, 99}", "{lo, hi}: the range the default sampler draws from" },
        { "special", "{pad = 100, start = 101, sep = 102, end = 103}", "the task's special tokens (any missing one keeps the protocol's): a model with another d_vocab runs a task whose values and special tokens fit it" },
      },
      example = [=[local add_one = gcgap.task.new{
  name = "add-one", values = {1, 98},
  target = function(x) local y = {} for i, v in ipairs(x) do y[i] = v + 1 end return y end,
}
local b = add_one:batch{size = 8, length = 5}]=] },
    { name = "task.copy",
      sig = "gcgap.task.copy()",
      returns = "task",
      text = "Copying: y = x, values 1..99 drawn with replacement (a token may repeat, so finding the current token's earlier occurrence is ambiguous).",
      example = [=[print(table.concat(gcgap.task.copy():sample{{5, 3, 9}}:rows()[1], " "))   --> 101 5 3 9 102 5 3 9 103]=] },
    { name = "task.modadd",
      sig = "gcgap.task.modadd()",
      returns = "task",
      text = "Modular addition as running sums: x is n digits 0..9 and y_i = (x_1 + ... + x_i) mod 10, a carried state.",
      example = [=[print(table.concat(gcgap.task.modadd():sample{{7, 5, 9}}:rows()[1], " "))   --> 101 7 5 9 102 7 2 1 103]=] },
    { name = "task.histogram",
      sig = "gcgap.task.histogram()",
      returns = "task",
      text = "Histogram (counting): x is n values 1..10 and y_i is how often x_i occurs in x. Trained on lengths 2..5, OOD at 6..8 (gcgap.protocol.tasks).",
      example = [=[print(table.concat(gcgap.task.histogram():sample{{4, 2, 4}}:rows()[1], " "))   --> 101 4 2 4 102 2 1 2 103]=] },
    { name = "task.brackets",
      sig = "gcgap.task.brackets()",
      returns = "task",
      text = "Balanced brackets (Dyck-1 depth): x is a prefix of a balanced string, 1 = \"(\" and 2 = \")\", drawn as a walk that never goes below depth 0; y_i is the depth after x_i, as the token 10 + depth.",
      example = [=[print(table.concat(gcgap.task.brackets():sample{{1, 1, 2}}:rows()[1], " "))   --> 101 1 1 2 102 11 12 11 103]=] },
    { name = "task.induction",
      sig = "gcgap.task.induction()",
      returns = "task",
      text = "Induction (repeated random tokens): x is n distinct tokens 1..99 and y repeats them, so the known induction circuit solves it " ..
        "(a previous-token head, then an induction head that attends to the token after the current one's earlier occurrence). " ..
        "E.analyse locates the two heads from attention patterns alone (gcgap.circuits.induction) and records where G and C rank them (record.circuit).",
      example = [=[local b = gcgap.task.induction():batch{size = 4, length = 6, seed = 1}]=] },
    { name = "task.names",
      sig = "gcgap.task.names()",
      returns = "list of strings",
      text = "The task library's names, in order: reverse, sort, copy, modadd, histogram, brackets, induction. gcgap.task[name]() makes one; E.run takes the name.",
      example = [=[for _, name in ipairs(gcgap.task.names()) do print(name, gcgap.task[name]():batch{size = 1, length = 4}:rows()[1][2]) end]=] },
    { name = "task:special",
      sig = "task:special()",
      returns = "{pad, start, sep, end}",
      text = "The task's special tokens (the protocol's 100..103 unless gcgap.task.new was given `special`).",
      example = [=[local t = gcgap.task.new{values = {1, 40}, special = {pad = 46, start = 47, sep = 48, ["end"] = 49}, target = function(x) return x end}
print(t:special().sep)   --> 48
local m = gcgap.model{d_vocab = 50, seed = 1}   -- a vocabulary of 50 runs this task]=] },
    { name = "task:name",
      sig = "task:name()",
      returns = "string",
      text = "The task's name (\"reverse\", \"sort\", or the name given to gcgap.task.new).",
      example = [=[print(gcgap.task.sort():name())   --> sort]=] },
    { name = "task:batch",
      sig = "task:batch([opts])",
      returns = "batch",
      text = "A batch of samples fixed by `seed` and `stream`: the same pair always gives the same batch. " ..
        "Each sample's length is drawn uniformly from `length`, then its values.",
      opts = {
        { "size", "64", "samples, 1..1000000" },
        { "length", "{3, 7}", "a length N or a range {lo, hi}, within 1..16384" },
        { "seed", "0", "integer seed" },
        { "stream", '"batch"', "the name of the random stream (different streams of one seed are independent)" },
      },
      example = [=[local b = task:batch{size = 200, length = 9, seed = 42, stream = "my-eval"}
print(b)   --> batch(200 rows, lengths 21..21, 2000 targets)]=] },
    { name = "task:sample",
      sig = "task:sample(inputs)",
      returns = "batch",
      text = "A batch built from inputs you choose: `inputs` is a list of input lists, and each row becomes START x SEP target(x) END. " ..
        "Values are not checked against the task's range; they must fit the model's vocabulary when the batch is used.",
      example = [=[local b = gcgap.task.reverse():sample{{1, 2, 3}, {42, 7, 7, 9}}
print(m:evaluate(b).correct[2])]=] },
    { name = "batch",
      sig = "gcgap.batch(rows)",
      returns = "batch",
      text = "A batch from token rows (a list of lists of non-negative integers), each a whole sample such as START x SEP y END. " ..
        "The positions that carry loss and decide accuracy are those from the first SEP on whose next token is not PAD, so every row needs a SEP. " ..
        "Native functions that take a batch also accept such rows directly.",
      example = [=[local b = gcgap.batch{{gcgap.START, 5, 9, gcgap.SEP, 9, 5, gcgap.END}}
print(m:evaluate(b).targets)   --> 3]=] },
    { name = "batch:rows",
      sig = "b:rows()",
      returns = "list of lists of integers",
      text = "The batch's token rows as Lua tables, unpadded (each whole sample, END included).",
      example = [=[for _, row in ipairs(b:rows()) do print(table.concat(row, " ")) end]=] },
    { name = "batch:tokens",
      sig = "b:tokens()",
      returns = "tensor [size, longest row]",
      text = "The rows right-padded with PAD to the longest row, as a tensor of token ids (END included, so one column wider than the model's input and m:logits).",
      example = [=[local tok = b:tokens()
print(tok:shape()[1] == b:size())]=] },
    { name = "batch:size",
      sig = "b:size()",
      returns = "integer",
      text = "The number of rows (also #b).",
      example = [=[print(b:size(), #b)]=] },
    { name = "batch:targets",
      sig = "b:targets()",
      returns = "integer",
      text = "The number of target positions: SEP and the y tokens of every row, the positions the loss averages over.",
      example = [=[print(task:batch{size = 10, length = 4}:targets())   --> 50]=] },

    ---------------------------------------------------------------- Training
    { name = "model:train",
      sig = "m:train(task_or_fn [, opts])",
      returns = "{steps, loss, accuracy, reached, seconds, history [, snapshots]}",
      text = "Trains the model in place with Adam on cross-entropy over the target positions, on batches from a task or from a function. " ..
        "A task's batches come from stream \"train\" of `seed`; `fn(step)` returns a batch or token rows for step = 1, 2, and so on. " ..
        "With a task, accuracy is checked every `eval_every` steps on `eval_size` samples drawn once (stream \"train-eval\"), or by calling `eval()` when given, and training stops once it reaches `target`; with a function and no `eval` there is no check and every step runs. " ..
        "The result has the steps run, the last step's loss, the last check's accuracy (nil if never checked), whether the target was reached, the seconds, and history = {{step, loss (mean since the last check), accuracy}, ...}; a status line shows progress on stderr when it is a terminal. " ..
        "Ctrl-C stops it with `interrupted!`, leaving the model as trained so far; a training loss that is not finite is an error.",
      opts = {
        { "checkpoint", "nil", "a file that keeps the run's state (parameters, Adam, step) every `checkpoint_every` steps; an existing one from the same run is resumed bit for bit (task runs only); it is read as strictly as a model checkpoint, and one of a later step than `steps` is an error" },
        { "checkpoint_every", "500", "steps between checkpoints" },
        { "snapshot_every", "nil", "keep a copy of the model every this many steps: the result gains snapshots = {{step =, model =}, ...} (at most 1000; not with checkpoint). E.analyse scores ρ at each (record.trajectory) when the preset's snapshot_every is set" },
        { "steps", num(P.train.steps), "maximum steps, 0..100000000" },
        { "lr", num(P.train.lr), "Adam learning rate (> 0)" },
        { "beta1", num(P.adam.beta1), "Adam beta1, in [0, 1)" },
        { "beta2", num(P.adam.beta2), "Adam beta2, in [0, 1)" },
        { "eps", num(P.adam.eps), "Adam epsilon (> 0)" },
        { "weight_decay", "0", "Adam weight decay (>= 0)" },
        { "batch", num(P.train.batch), "samples per step (with a task)" },
        { "lengths", list(P.train.lengths), "sample lengths: N or {lo, hi} (with a task)" },
        { "eval_every", num(P.eval_every), "steps between accuracy checks (0: never)" },
        { "eval_size", num(P.eval_size), "samples in the fixed check set" },
        { "target", num(P.train.target), "stop once a check reaches this accuracy; false runs every step" },
        { "seed", "the model's seed", "seed of the training and check data" },
        { "quiet", "false", "no status line" },
        { "label", '"train"', "the status line's label" },
        { "eval", "nil", "function() -> accuracy, used for the checks instead of the fixed set" },
      },
      example = [=[local r = m:train(gcgap.task.reverse(), {steps = 3000, quiet = true})
print(r.steps, r.accuracy, r.reached)
-- any batch source: a function of the step
m:train(function(step) return task:batch{size = 32, seed = step} end, {steps = 100, quiet = true})]=],
      cost = "up to `steps` forward and backward passes over `batch` samples plus Adam updates, and one forward pass over `eval_size` samples every `eval_every` steps." },

    ---------------------------------------------------------------- Passes, hooks and ablation
    { name = "model:logits",
      sig = "m:logits(b [, opts])",
      returns = "tensor [batch, longest input, d_vocab]",
      text = "The logits at every position of every row, the rows right-padded with PAD (a row of length L is read without its last token, so inputs are L-1 long). " ..
        "Hooks added with m:hook apply; takes the ablation options of m:accuracy.",
      opts = with_groups({
        { "ablate", "nil", "see m:accuracy" },
      }, "ablation"),
      example = [=[local logits = m:logits(task:sample{{4, 8, 15}})
print(logits:argmax(3):get(1, 5) - 1)   -- the token predicted at SEP (15 if the model reverses)]=],
      cost = "one forward pass." },
    { name = "model:loss",
      sig = "m:loss(b [, opts])",
      returns = "number",
      text = "The mean cross-entropy over every target token of the batch (not a mean of per-sample means), NaN when the batch has no targets. " ..
        "Takes the ablation options of m:accuracy.",
      opts = with_groups({
        { "ablate", "nil", "see m:accuracy" },
      }, "ablation"),
      example = [=[print(m:loss(b), m:loss(b, {ablate = "L0.MLP"}))]=],
      cost = "one forward pass (two with mean ablation and no `means`)." },
    { name = "model:evaluate",
      sig = "m:evaluate(b [, opts])",
      returns = "{loss, accuracy, token_accuracy, margin, prob, targets, correct [, logit_diff]}",
      text = "Loss and exact-match accuracy of a batch in one forward pass, with `token_accuracy` (the fraction of target tokens predicted right), `margin` (the mean over target tokens of the target's logit minus the largest other logit), `prob` (the mean probability of the right answer), `targets` (the count of target positions) and `correct` (one boolean per row). " ..
        "A row is correct when the argmax at every target position (y1 .. yN and END, teacher-forced) is right, which is the same event as a correct greedy decode. " ..
        'Takes the ablation options of m:accuracy; with `metric = {"logit_diff", answer =, wrong =}` the table also holds TransformerLens\'s `logit_diff`.',
      opts = with_groups({
        { "ablate", "nil", "see m:accuracy" },
        { "metric", "nil", 'only a `{"logit_diff", ...}` table (see gcgap.score.causal): it adds `logit_diff`; every other metric is in the result already' },
      }, "ablation"),
      example = [=[local e = m:evaluate(ood.set, {ablate = "L0.H0"})
local wrong = 0
for _, ok in ipairs(e.correct) do if not ok then wrong = wrong + 1 end end
print(e.accuracy, e.loss, wrong)]=],
      cost = "one forward pass (two with mean ablation and no `means`)." },
    { name = "model:accuracy",
      sig = "m:accuracy(b [, opts])",
      returns = "number",
      text = "The fraction of rows whose every target token is predicted exactly (teacher-forced argmax), optionally with components ablated together. " ..
        "`ablate` is a component name or a list of them; mean ablation replaces each output by its mean over `b` itself (every sample and position) unless `means` gives means from another set. " ..
        "\"resample\" needs `source`, a batch with rows of the same lengths whose outputs are patched in; hook points other than the scored components (L0.H0.z, L0.ATTN, L0.resid_pre ...) can be ablated with \"zero\" or \"resample\" only, since gcgap.means holds no mean for them, and attention patterns not at all.",
      opts = with_groups({
        { "ablate", "nil", "a component (hook point) name or a list of names, ablated together" },
      }, "ablation"),
      example = [=[local mu = gcgap.means(m, ood.set)
print(m:accuracy(ood.set), m:accuracy(ood.set, {ablate = {"L0.H0", "L0.H1"}, means = mu}))
print(m:accuracy(ood.set, {ablate = "L0.MLP", with = "zero"}))]=],
      cost = "an ablation of heads and MLPs resumes at its first ablated layer from a clean run of `b` (about half a pass on the protocol's model); " ..
        "the model keeps clean runs of its two latest batches (while its parameters stay the same), so the first ablation of a new batch costs a full pass more, " ..
        "and an ablation already run on a kept batch (zero or mean, the same means) is read back. The answers are the bits of a full pass either way. " ..
        "Other hook points, models with hooks of their own and batches over 16384 tokens: one full forward pass (two with mean ablation and no `means`)." },
    { name = "model:grad_norms",
      sig = "m:grad_norms(b [, opts])",
      returns = "table {component = norm}",
      text = "Per component, the norm of the loss gradient on one batch: ‖∂L/∂W_V[l,h]‖_F for a head (its d_model × d_head slice) and ‖∂L/∂W_out[l]‖_F for an MLP. " ..
        "It runs a backward pass, so m:grad afterwards reads this batch's gradients; gcgap.score.gradient is the mean of this over many batches.",
      opts = {
        { "norm", '"raw"', '"raw" (Frobenius norm) or "per-param" (divided by √entries: the RMS gradient)' },
        { "whole_wv", "false", "the public code's appendix defect: every head of a layer gets the whole W_V's norm" },
      },
      example = [=[local g = m:grad_norms(task:batch{size = 64, length = 8, seed = 1}, {norm = "per-param"})
print(g["L0.H0"], g["L0.MLP"])]=],
      cost = "one forward and one backward pass." },
    { name = "model:hook",
      sig = "m:hook(name, fn)",
      returns = "hook",
      text = "Calls `fn(out, name)` with the output at a hook point in every forward pass of the model (logits, loss, accuracy, training and scoring) until removed. " ..
        "`out` is a tensor [batch, longest input, width] (d_model; d_head for q, k, v and z; d_mlp for MLP.pre and MLP.post), zero-padded past each row's end (m:logits pads its rows with PAD tokens instead), or [batch, query, key] for an attention pattern; " ..
        "return a tensor of that shape (finite) to replace the output, or nil to leave it (patterns can only be read). " ..
        "Names are gcgap's (gcgap.hook_names(m)) or TransformerLens's for one activation (\"blocks.1.hook_mlp_out\", \"blocks.0.attn.hook_z[1]\"); a replaced head, z, ATTN or MLP output is a constant for backward passes, replacing any other point makes backward passes an error, and a hook cannot run a pass of its own model or change it (use m:copy()).",
      example = [=[local h = m:hook("L0.H0", function(out, name) return out * 0.5 end)
print(m:accuracy(b))
h:remove()
local seen = m:hook("L0.H1.pattern", function(p) print(table.concat(p:shape(), "x")) end)   -- batch x query x key
m:logits(b); seen:remove()]=] },
    { name = "hook:remove",
      sig = "h:remove()",
      returns = "boolean",
      text = "Removes the hook from its model; true if it was there, false when it was already removed (or the model is gone).",
      example = [=[local h = m:hook("L0.MLP", function(out) return out * 0 end)
print(m:accuracy(b)); print(h:remove(), h:remove())   --> true  false]=] },
    { name = "model:clear_hooks",
      sig = "m:clear_hooks()",
      returns = "nothing",
      text = "Removes every hook of the model (their handles' :remove() then return false).",
      example = [=[m:clear_hooks()]=] },
    { name = "hook_names",
      sig = "gcgap.hook_names(m)",
      returns = "list of strings",
      text = "Every hook point of a model, in the order a forward pass meets them. " ..
        "That is embed, then per layer L{l}.resid_pre, L{l}.ln1, L{l}.H{h}.q, .k, .v, .pattern, .z, the heads L{l}.H{h}, L{l}.ATTN, L{l}.resid_mid, L{l}.ln2, L{l}.MLP.pre, L{l}.MLP.post, L{l}.MLP, L{l}.resid_post, and finally ln_final. " ..
        "Any of them can be passed to m:hook and m:run_with_cache.",
      example = [=[for _, name in ipairs(gcgap.hook_names(m)) do io.write(name, " ") end
print()]=] },
    { name = "hook_points",
      sig = "gcgap.hook_points(m)",
      returns = "list of {name =, tl =, width =, replaceable =}",
      text = "The model's hook-point registry, derived from its configuration as TransformerLens derives its hook points from the model: every point in the order a forward pass meets them, " ..
        "with gcgap's name, TransformerLens's name (`blocks.0.attn.hook_q[1]`), the width of a row (d_model, d_head or d_mlp; 0 for an attention pattern) and whether a hook may replace it (patterns can only be read). " ..
        "gcgap.hook_names(m) is its names.",
      example = [=[for _, p in ipairs(gcgap.hook_points(m)) do print(p.name, p.tl, p.width) end]=] },
    { name = "model:run_with_cache",
      sig = "m:run_with_cache(b [, opts])",
      returns = "logits, cache",
      text = "Runs m:logits on `b` and records hook points, as TransformerLens's run_with_cache does. " ..
        "Returns the logits and a table name -> tensor (shapes as m:hook's `out`, rows padded with PAD). " ..
        "`names` takes gcgap names or TransformerLens names; a TransformerLens per-head name without a head (\"blocks.0.attn.hook_q\") gives all heads at once, [batch, position, head, width], and for hook_pattern [batch, head, query, key]. " ..
        "Its hooks are removed afterwards, also on error; hooks already on the model still apply.",
      opts = { { "names", "every hook point", "list of hook names to record" } },
      example = [=[local logits, cache = m:run_with_cache(b, {names = {"L0.resid_post", "blocks.0.attn.hook_pattern"}})
print(table.concat(cache["blocks.0.attn.hook_pattern"]:shape(), "x"))   -- batch x heads x query x key]=],
      cost = "one forward pass." },
    { name = "model:run_with_hooks",
      sig = "m:run_with_hooks(b, hooks)",
      returns = "logits",
      text = "Runs m:logits on `b` with `hooks`, a table {[name] = fn} of m:hook's names and functions, in place for this call only (removed afterwards, also on error). " ..
        "Hooks are added in the order of their sorted names. A TransformerLens name without a head (\"blocks.0.attn.hook_pattern\", \"blocks.1.attn.hook_z\") hooks every head: the function is called once per head with that head's tensor and its per-head name (\"blocks.0.attn.hook_pattern[2]\"). " ..
        "An unknown name is an error that suggests the closest hook names.",
      example = [=[local logits = m:run_with_hooks(b, {["L0.MLP"] = function(out) return out * 0 end})
m:run_with_hooks(b, {["blocks.0.attn.hook_pattern"] = function(p, name) print(name, p:shape()[2]) end})]=],
      cost = "one forward pass." },
    { name = "means",
      sig = "gcgap.means(m, set [, opts])",
      returns = "means",
      text = "The mean output μ_i of every scored component over every sample and position of `set`, to ablate with another set's means. " ..
        "Pass the result as the `means` option of gcgap.score.causal, m:accuracy, m:evaluate or m:loss. " ..
        "With per_position, one mean per position; positions past the longest row of `set` then use its last position's mean.",
      opts = {
        { "components", "the 20 components", "names of the outputs to average (any hook point but an attention pattern)" },
        { "z", "false", "also each head's pre-W_O output z_h (what the z-slice defect writes)" },
        { "per_position", "false", "one mean per position instead of one over all positions" },
      },
      example = [=[local mu = gcgap.means(m, task:batch{size = 512, length = 8, seed = 7})
local C = gcgap.score.causal(m, ood.set, {means = mu})]=],
      cost = "one forward pass over the set (in chunks of 256 rows)." },
    { name = "means:get",
      sig = "mu:get(name)",
      returns = "tensor [width], or [positions, width]",
      text = "One component's mean as a tensor ([positions, d_model] for per-position means). " ..
        "Means exist for the scored components only: a .z or .ATTN name is an error.",
      example = [=[local mu = gcgap.means(m, ood.set)
print(mu:get("L0.H0"):norm())]=] },

    ---------------------------------------------------------------- Scores
    { name = "ood",
      sig = "gcgap.ood(m, task [, opts])",
      returns = "{length, accuracies, set}",
      text = "The protocol's choice of the OOD length: the first length whose accuracy is within `range` (both ends included). " ..
        "Each length is tried in order on `size` samples fixed by `seed` (stream \"ood-N\"). " ..
        "`accuracies` lists {length =, accuracy =} for every length tried; `length` and `set` (that length's evaluation set, a batch) are nil when none qualifies.",
      opts = {
        { "lengths", list(P.ood.lengths), "lengths to try, in order" },
        { "range", list(P.ood.range), "{lo, hi}: the accepted accuracy" },
        { "size", num(P.set_size), "samples per length" },
        { "seed", "the model's seed", "fixes the evaluation sets" },
      },
      example = [=[local ood = gcgap.ood(m, task, {seed = 42})
if ood.length then print(ood.length, ood.set) else print(gcgap.pretty.format(ood.accuracies)) end]=],
      cost = "one forward pass over `size` samples per length tried." },
    { name = "score.gradient",
      sig = "gcgap.score.gradient(m, task, opts)",
      returns = "G, G_other, taylor (three tables {component = number})",
      text = "Gradient importance G: per component, the mean over `batches` fresh batches at the OOD length of ‖∂L/∂W_V[l,h]‖_F (a head) or ‖∂L/∂W_out[l]‖_F (an MLP). " ..
        "Returns both normalisations, the one asked for with `norm` first: raw (paper v1) and per-param, the norm divided by √(entries of the matrix) (paper v2). " ..
        "`length` is required; batches come from stream \"grad-N\" of `seed`. The third value is gradient × weight (as gcgap.score.taylor) from the same backward passes. Ctrl-C stops it.",
      opts = {
        { "norm", '"raw"', '"raw" or "per-param": which one is returned first' },
        { "whole_wv", "false", "the public code's appendix defect: every head gets the whole W_V's norm (and per-param divides by the whole matrix's entries)" },
        { "length", "required", "sample length N (the OOD length), or {lo, hi}" },
        { "batches", num(P.grad.batches), "batches to average over" },
        { "batch", num(P.grad.batch), "samples per batch" },
        { "seed", "the model's seed", "fixes the batches" },
        { "stream", '"grad-N"', "random stream name (N = the length)" },
      },
      example = [=[local G, Gp = gcgap.score.gradient(m, task, {length = ood.length, seed = 42})
print(G["L0.MLP"], Gp["L0.MLP"])]=],
      cost = "`batches` forward and backward passes over `batch` samples (50 × 64 by default)." },
    { name = "score.causal",
      sig = "gcgap.score.causal(m, set [, opts])",
      returns = "C, base, ablated",
      text = "Causal importance by ablation: for each component, the drop in exact-match accuracy on `set` when its output is replaced (mean ablation over `set` by default), C_i = base − ablated_i. " ..
        "Returns C and the ablated values as tables keyed by component, and the base (unablated) value; C_i is negative when removing a component helps. " ..
        "With `metric` the effect is measured otherwise, always oriented so that larger means more important: token accuracy, the margin and the logit difference as base − ablated, the loss as ablated − base, and KL as the mean KL divergence from the unablated prediction (base 0). " ..
        "`zslice_defect` applies to mean ablation only (an error otherwise) and changes nothing but where a head's mean is written: its z means come from `means` (made with {z = true}) or, without `means`, from `set` like every other mean. Ctrl-C stops it.",
      opts = with_groups({
        { "zslice_defect", "false", "the public code's head ablation: the mean of z_h written into a d_head slice of the attention output" },
        { "sets", "nil", "{[component] = batch}: a set of its own to ablate each component on (the base stays on `set`; the public code draws fresh samples per call); with the logit difference, one token and one position for all" },
        { "samples", "false", "also return a 4th value: per-sample exact match, {base = {...}, [component] = {...}} (for bootstraps)" },
      }, "metric", "ablation"),
      example = [=[local ood = gcgap.ood(m, task, {seed = 42})
local C, base = gcgap.score.causal(m, ood.set)
local Cz = gcgap.score.causal(m, ood.set, {ablation = "zero"})]=],
      cost = "1 + (number of components) forward passes over the set (21 for the protocol's model), plus one for the means when `means` is not given." },
    { name = "score.taylor",
      sig = "gcgap.score.taylor(m, task, opts)",
      returns = "table {component = number}",
      text = "First-order Taylor importance: per component, the mean over batches of |⟨∂L/∂W, W⟩| for its W_V[l,h] (a head) or W_out[l] (an MLP). " ..
        "The batches are those of gcgap.score.gradient (same options and stream), so `length` is required.",
      opts = {
        { "length", "required", "sample length N, or {lo, hi}" },
        { "batches", num(P.grad.batches), "batches to average over" },
        { "batch", num(P.grad.batch), "samples per batch" },
        { "seed", "the model's seed", "fixes the batches" },
        { "stream", '"grad-N"', "random stream name" },
      },
      example = [=[local T = gcgap.score.taylor(m, task, {length = ood.length, seed = 42})
print(gcgap.stats.spearman(T, C))]=],
      cost = "`batches` forward and backward passes over `batch` samples." },
    { name = "score.gate",
      sig = "gcgap.score.gate(m, set [, opts])",
      returns = "scores, value, differentiated",
      text = "Gate gradient: per component, −∂f/∂g at g = 1 for a scalar gate on its output (out = g·a), the first-order estimate of the effect of zero ablation, oriented like gcgap.score.causal (larger = more damage). " ..
        "`value` is the metric f at the unablated run and `differentiated` the metric actually differentiated: exact match and token accuracy have no gradient, so their estimate is the loss's. " ..
        "For \"kl\" every estimate is 0: the KL to the unablated prediction is flat there.",
      opts = with_groups({
        { "components", "the 20 components", "heads and MLPs to score" },
      }, "metric"),
      example = [=[local g = gcgap.score.gate(m, ood.set, {metric = "margin"})
print(gcgap.stats.spearman(g, gcgap.score.causal(m, ood.set, {metric = "margin", ablation = "zero"})))]=],
      cost = "1 forward pass and 1 backward pass (activations only)." },
    { name = "score.attribution",
      sig = "gcgap.score.attribution(m, set [, opts])",
      returns = "scores, value, differentiated",
      text = "Attribution patching with the ablation's own baseline: per component, Σ over positions of (b − a)·∂f/∂a, the first-order estimate of replacing its output a by b (its mean, for mean ablation, the paper's C), oriented as damage. " ..
        "Returns as gcgap.score.gate. Checked against finite differences and against PyTorch (Tests/Fixtures/make_estimator_reference.py).",
      opts = with_groups({
        { "components", "the 20 components", "heads and MLPs to score" },
      }, "metric", "ablation"),
      example = [=[local ap = gcgap.score.attribution(m, ood.set, {metric = "loss"})
local C = gcgap.score.causal(m, ood.set, {metric = "loss"})
print(gcgap.stats.spearman(ap, C))]=],
      cost = "1 forward pass and 1 backward pass (activations only), plus one forward pass for the means." },
    { name = "score.integrated",
      sig = "gcgap.score.integrated(m, set [, opts])",
      returns = "scores, {sum, total, error, steps, differentiated}",
      text = "Integrated gradients along the joint path from the unablated run to the ablated one: every component's output moves together, out_i = a_i + α(b_i − a_i) for α from 0 to 1, and component i gets ∫ ∂f/∂α_i dα (midpoint rule, `steps` points), oriented as damage. " ..
        "The scores add up to the effect of ablating every component at once (`total`, measured exactly); `error` = sum − total is the completeness error, which shrinks with more steps. " ..
        "With one component in `components` the path is its own, and its score converges to its exact ablation effect.",
      opts = with_groups({
        { "steps", "16", "points on the path" },
        { "components", "the 20 components", "the components that move" },
      }, "metric", "ablation"),
      example = [=[local ig, info = gcgap.score.integrated(m, ood.set, {metric = "loss", steps = 32})
print(info.sum, info.total, info.error)]=],
      cost = "`steps` forward and backward passes, and 2 more forward passes. Ctrl-C stops it." },
    { name = "score.shapley",
      sig = "gcgap.score.shapley(m, set [, opts])",
      returns = "scores, {se, total, permutations}",
      text = "Shapley values of the ablation game, by sampling: for each of `permutations` random orders (stream \"shapley\" of `seed`) the components are ablated one by one, and each is credited with the effect it adds. " ..
        "`scores` are the mean credits (oriented as damage; they add up to `total`, the effect of ablating all of them) and `se` their standard errors over permutations. Exact match is scored directly (no gradient is involved).",
      opts = with_groups({
        { "permutations", "10", "random orders" },
        { "seed", "the model's seed", "fixes the orders" },
        { "components", "the 20 components", "the players" },
      }, "metric", "ablation"),
      example = [=[local phi, info = gcgap.score.shapley(m, ood.set, {permutations = 20, metric = "loss"})
print(phi["L0.MLP"], info.se["L0.MLP"], info.total)]=],
      cost = "`permutations` × (number of components) forward passes: costly (400 passes for 20 permutations). Ctrl-C stops it." },
    { name = "score.ladder",
      sig = "gcgap.score.ladder(m, set [, opts])",
      returns = "table",
      text = "The whole estimator ladder in one call: under each metric of `metrics`, the gate gradient, attribution patching and integrated gradients toward the means, exact C by mean, zero and (with `source`) resample ablation, and optionally Shapley values. " ..
        "Returns {metrics, components, steps, base[metric], differentiated[metric], gate[metric], attribution[metric], integrated[metric], completeness[metric] = {sum, total, error, steps}, exact[ablation][metric], shapley[metric], shapley_se[metric], seconds}, every score table keyed by component and oriented as damage. " ..
        "Each exact pass serves every metric, and each backward pass every component. gcgap.ladder.rhos turns it into ρ with exact mean-ablation C.",
      opts = with_groups({
        { "metrics", list_of(core.ladder_metrics), 'the metrics: names, and at most one `{"logit_diff", ...}` table (see gcgap.score.causal)' },
        { "steps", "16", "integrated gradients' points" },
        { "shapley", "0", "Shapley permutations (0: none)" },
        { "seed", "the model's seed", "fixes Shapley's orders" },
        { "components", "the 20 components", "heads and MLPs to score" },
      }, "ablation"),
      example = [=[local ladder = require "gcgap.ladder"
local r = gcgap.score.ladder(m, ood.set, {source = task:batch{size = 200, length = ood.length, seed = 7}})
print(ladder.table(ladder.rhos(r)))]=],
      cost = "About 15 s for a protocol model on a 200-sample set: 21 forward passes per ablation kind, 1 + 16 forward passes, and one activation-only backward pass per distinct differentiated metric at each of those 17 points." },
    { name = "ladder.rhos",
      sig = "ladder.rhos(r)",
      returns = "table rho[row][metric]",
      text = "Spearman ρ of every estimate in a gcgap.score.ladder result with exact mean-ablation C under the same metric. Rows: G_raw, G_per_param and taylor (when r.G = {raw=, per_param=} and r.taylor are set), gate, attribution, integrated, shapley, exact_zero, exact_resample. " ..
        "Also metric_choice[metric] (ρ of mean-ablation C under the metric with the paper's exact-match C) and completeness[metric] (IG's error relative to the joint effect). KL's gate and attribution are left out: they are 0 by construction.",
      example = [=[local rho = ladder.rhos(r)
print(rho.attribution.loss, rho.integrated.loss)]=] },
    { name = "ladder.table",
      sig = "ladder.table(rho)",
      returns = "string",
      text = "One model's panel (from ladder.rhos) as a Markdown table: rows are estimates, columns metrics.",
      example = [=[print(ladder.table(ladder.rhos(r)))]=] },
    { name = "ladder.summary",
      sig = "ladder.summary(records [, opts])",
      returns = "list of per-task summaries",
      text = "Across run records that carry `ladder.rho` (the experiment pipeline's, preset field `ladder`): per task, each row's mean ρ per metric with a 95% bootstrap interval over runs (opts.resamples, default 1000), the metric-choice ρ, IG's median completeness error and the ladder's median time.",
      example = [=[for _, s in ipairs(ladder.summary(records)) do print(s.task, s.rows.attribution.loss.mean) end]=] },
    { name = "ladder.markdown",
      sig = "ladder.markdown(records [, opts])",
      returns = "string",
      text = "The report section: per task, the panel across runs with intervals and each estimate's cost, and where agreement breaks (quantity, non-linearity, interaction, the choice of ablation and metric), each conclusion drawn from the numbers it states.",
      example = [=[gcgap.write_file("report/ladder.md", ladder.markdown(records))]=] },
    { name = "ladder.svg",
      sig = "ladder.svg(records [, title])",
      returns = "string (SVG)",
      text = "The panel as a figure: per task a grid of estimates × metrics, each cell coloured by its mean ρ and labelled with it and its interval.",
      example = [=[gcgap.write_file("report/fig7-ladder.svg", ladder.svg(records))]=] },
    { name = "score.joint",
      sig = "gcgap.score.joint(m, set, components [, opts])",
      returns = "{base, joint, singles, sum, ratio, leave_one_out, components, metric}",
      text = "Ablates `components` together, each alone, and all but each one: `joint` is the effect of the whole set, `sum` the sum of the single effects, and `ratio` = joint / sum (> 1: super-additive, the members cover for one another; nil when the sum is not positive). " ..
        "Paper v3 reports that ablating the Bloats together does about 14 times the damage of their single ablations. " ..
        "Effects are oriented as in gcgap.score.causal (larger = more damage) under `metric`.",
      opts = with_groups({
        { "leave_one_out", "true", "also ablate all members but each one (k more passes)" },
      }, "ablation", "metric"),
      example = [=[local cl = gcgap.classify(gcgap.gap(G, C))
local j = gcgap.score.joint(m, ood.set, cl.bloats)
print(j.joint, j.sum, j.ratio)]=],
      cost = "2 + k forward passes over the set for k components (2 + 2k with leave_one_out), each resumed at the first ablated layer." },
    { name = "score.ablations",
      sig = "gcgap.score.ablations(m, set, lists [, opts])",
      returns = "results, base (m:evaluate tables)",
      text = "Many ablations of one set at once: `lists` holds component names or lists of names (each list ablated together), and results[i] is the evaluation of the set with lists[i] ablated ({loss, accuracy, token_accuracy, margin, prob, targets, correct}, as m:evaluate), `base` the unablated one. " ..
        "Every list resumes at its first ablated layer from one clean run of the set, on gcgap.threads() threads, and a list already evaluated on that run is read back: the same values as one m:evaluate(set, {ablate = list}) per list. " ..
        "Heads and MLPs with mean or zero ablation (other hook points and resample ablation: m:evaluate). The analysis prunes with it (E.analyse).",
      opts = with_groups({
        { "metric", "nil", 'only a `{"logit_diff", ...}` table (see gcgap.score.causal): every result then has `logit_diff` too' },
      }, "ablation"),
      example = [=[local r, base = gcgap.score.ablations(m, ood.set, {"L0.H0", {"L1.H2", "L3.MLP"}}, {means = mu})
print(base.accuracy, r[1].accuracy, r[2].accuracy)]=],
      cost = "one clean pass over the set (none when the model keeps one of it), then about half a pass per list on the protocol's model, spread over threads." },
    { name = "score.interactions",
      sig = "gcgap.score.interactions(m, set [, opts])",
      returns = "{components, singles, matrix}",
      text = "The pairwise interaction matrix: matrix[a][b] = effect of ablating a and b together − effect(a) − effect(b), 0 on the diagonal; negative entries mean redundancy (together they do less than the sum), positive ones synergy. " ..
        "`singles` holds each component's effect alone.",
      opts = with_groups({
        { "components", "the 20 components", "the components to pair" },
      }, "ablation", "metric"),
      example = [=[local I = gcgap.score.interactions(m, ood.set)
print(I.matrix["L1.H0"]["L1.H1"])]=],
      cost = "1 + n + n(n−1)/2 forward passes over the set (211 for 20 components)." },
    { name = "score.patching",
      sig = "gcgap.score.patching(m, clean, corrupted [, opts])",
      returns = "scores, clean_value, corrupted_value",
      text = "Activation patching: per component, what is recovered when its clean output is patched into the corrupted run, metric(patched) − metric(corrupted) (for the loss corrupted − patched; for KL, the KL to the clean prediction, corrupted − patched). " ..
        "The corrupted run reads `corrupted`'s tokens up to SEP and `clean`'s after it, and is scored against `clean`'s targets. " ..
        "Exact match rarely moves when one component is patched: per-token metrics (`token_accuracy`, `margin`, `loss`, or TransformerLens's `logit_diff` of the clean answer against the corrupted one) show partial recovery. The logit difference's tokens belong to `clean`'s rows. " ..
        "Returns the scores keyed by component and both baselines; the two batches must have rows of the same lengths.",
      opts = with_groups({}, "metric"),
      example = [=[local clean = task:batch{size = 200, length = 8, seed = 1}
local corrupted = task:batch{size = 200, length = 8, seed = 2}
local P, acc_clean, acc_corrupt = gcgap.score.patching(m, clean, corrupted)
local Pl = gcgap.score.patching(m, clean, corrupted, {metric = "margin"})
-- TransformerLens's logit difference at y1 (SEP, position 10, predicts token 11): clean answer against corrupted
local Pd = gcgap.score.patching(m, clean, corrupted, {metric = {"logit_diff", pos = 10,
  answer = clean:tokens():select(2, 11), wrong = corrupted:tokens():select(2, 11)}})]=],
      cost = "3 + (number of components) forward passes." },

    ---------------------------------------------------------------- Statistics
    { name = "stats.spearman",
      sig = "gcgap.stats.spearman(x, y)",
      returns = "number or nil",
      text = "Spearman's ρ as scipy.stats.spearmanr computes it: Pearson's correlation of average ranks (ties share their mean rank). " ..
        "`x` and `y` are two lists of numbers of the same length, or two tables keyed by the same component names (as G and C are). " ..
        "nil when undefined (either side constant, or fewer than 2 values), never 0; NaN or infinite values are errors.",
      example = [=[print(gcgap.stats.spearman(G, C))
print(gcgap.stats.spearman({1, 2, 3, 4}, {10, 30, 20, 40}))   --> 0.8]=] },
    { name = "stats.kendall",
      sig = "gcgap.stats.kendall(x, y)",
      returns = "number or nil",
      text = "Kendall's τ-b (scipy.stats.kendalltau's default), adjusted for ties; nil when undefined. " ..
        "Takes two lists or two tables keyed by the same names, as stats.spearman.",
      example = [=[print(gcgap.stats.kendall(G, C))]=] },
    { name = "stats.pearson",
      sig = "gcgap.stats.pearson(x, y)",
      returns = "number or nil",
      text = "Pearson's correlation of the values; nil when either side is constant or has fewer than 2 values. " ..
        "Takes two lists or two tables keyed by the same names, as stats.spearman.",
      example = [=[print(gcgap.stats.pearson({1, 2, 3}, {2, 4, 7}))]=] },
    { name = "stats.ranks",
      sig = "gcgap.stats.ranks(x [, method])",
      returns = "list, or table keyed like x",
      text = "Ascending ranks 1..n: ties share their mean rank (\"average\", scipy's rankdata default) or are broken by position (\"ordinal\"; for a table keyed by component names, by component order). " ..
        "A list gives a list, and a table keyed by names gives a table with the same keys.",
      example = [=[print(gcgap.pretty.format(gcgap.stats.ranks({3, 1, 3})))              --> {2.5, 1, 2.5}
print(gcgap.pretty.format(gcgap.stats.ranks({3, 1, 3}, "ordinal")))   --> {2, 1, 3}]=] },
    { name = "stats.permutation",
      sig = "gcgap.stats.permutation(x, y [, opts])",
      returns = "number or nil",
      text = "A two-sided permutation p-value for Spearman's ρ: the share of random shufflings of y whose |ρ| reaches the observed |ρ|, counting the observed one, (k+1)/(n+1). " ..
        "nil when ρ is undefined; the shuffles are fixed by `seed`.",
      opts = {
        { "permutations", "10000", "shufflings, 1..10000000" },
        { "seed", "0", "fixes the shufflings" },
      },
      example = [=[local p = gcgap.stats.permutation(G, C, {permutations = 10000, seed = 1})]=] },
    { name = "stats.mean_rho",
      sig = "gcgap.stats.mean_rho(records [, opts])",
      returns = "list of numbers",
      text = "The bootstrap distribution of the mean ρ over runs (records as E.analyse writes them: components, G, rho and, for the sample level, samples): " ..
        "each draw resamples the runs (seeds) and, within each drawn run, its evaluation samples to recompute C and ρ. " ..
        "Returns one mean per draw (draws where no run has a ρ are left out). Native: 10,000 draws over 60 runs take about a second.",
      opts = {
        { "norm", '"raw"', "G's normalisation: raw or per_param" },
        { "resamples", "10000", "draws, 1..10000000" },
        { "seed", "0", "fixes the draws (a xoshiro256** stream)" },
        { "seeds", "true", "resample the runs" },
        { "samples", "true", "resample each run's evaluation samples (runs without samples keep their ρ)" },
      },
      example = [=[local R = require "gcgap.resampling"
local draws = gcgap.stats.mean_rho(records, {norm = "raw", resamples = 10000, seed = 1})
print(R.mean(draws), table.unpack(R.interval(draws)))]=],
      cost = "resamples × runs × (samples + a ρ of the components)." },
    { name = "stats.permutation_test",
      sig = "gcgap.stats.permutation_test(a, b [, opts])",
      returns = "p, hits, resamples (or nil)",
      text = "One-sided permutation test of mean(a) − mean(b) > 0: the labels shuffled `resamples` times. p = (hits + 1)/(resamples + 1), so it is never below 1/(resamples + 1); " ..
        "when hits is 0 the p is only bounded: print it with require(\"gcgap.resampling\").format_p(p, hits, resamples) (\"p < 0.000100\").",
      opts = {
        { "resamples", "10000", "shuffles, 1..10000000" },
        { "seed", "0", "fixes the shuffles" },
      },
      example = [=[local p, hits, B = gcgap.stats.permutation_test({0.7, 0.8, 0.75}, {0.3, 0.4, 0.2})
print(require("gcgap.resampling").format_p(p, hits, B))]=] },
    { name = "stats.sign_flip",
      sig = "gcgap.stats.sign_flip(d [, opts])",
      returns = "p, hits, resamples (or nil)",
      text = "One-sided sign-flip test of mean(d) > 0 for paired differences d: every sign flipped by a fair coin `resamples` times. p = (hits + 1)/(resamples + 1), as stats.permutation_test.",
      opts = {
        { "resamples", "10000", "flips, 1..10000000" },
        { "seed", "0", "fixes the flips" },
      },
      example = [=[local p, hits, B = gcgap.stats.sign_flip({12.5, 30, -2, 18})]=] },
    { name = "stats.bootstrap",
      sig = "gcgap.stats.bootstrap(x, y [, opts])",
      returns = "low, high (or nil)",
      text = "A percentile bootstrap interval for Spearman's ρ, resampling the (x, y) pairs (the components, not the evaluation samples: E.analyse's record.bootstrap resamples those). " ..
        "Resamples where ρ is undefined are skipped; nil when none gives a ρ.",
      opts = {
        { "resamples", "2000", "bootstrap resamples, 1..10000000" },
        { "level", "0.95", "the interval's coverage, in (0, 1)" },
        { "seed", "0", "fixes the resamples" },
      },
      example = [=[local lo, hi = gcgap.stats.bootstrap(G, C, {resamples = 2000, level = 0.95})]=] },
    { name = "gap",
      sig = "gcgap.gap(G, C [, opts])",
      returns = "table {component = Δ}",
      text = "The rank gap Δ_i = Rank(G_i) − Rank(C_i), with ascending ranks 1..n over the components. " ..
        "G and C must be tables with the same keys; ties get their average rank by default, since many components tie at C = 0. " ..
        "Δ is computed even when G or C is constant (then it only mirrors the other: see E.gap_and_classes).",
      opts = { { "ranks", '"' .. P.ranks .. '"', '"average" or "ordinal" (ties broken by component order)' } },
      example = [=[local delta = gcgap.gap(G, C)
print(delta["L1.H0"])]=] },
    { name = "classify",
      sig = "gcgap.classify(delta [, opts])",
      returns = "{heroes, bloats, aligned}",
      text = "Hidden Heroes (Δ ≤ −threshold: more causal than gradient importance), Gradient Bloats (Δ ≥ threshold) and the aligned rest, as lists of names. " ..
        "Heroes are ordered from the most negative Δ and Bloats from the largest, ties and `aligned` in component order. " ..
        "The threshold must be non-negative.",
      opts = {
        { "threshold", num(P.threshold), "the |Δ| that makes a Hero or a Bloat" },
        { "strict", tostring(P.strict), "use < and > instead of ≤ and ≥ (the public code)" },
      },
      example = [=[local cl = gcgap.classify(gcgap.gap(G, C), {threshold = 6})
print(table.concat(cl.heroes, " "), table.concat(cl.bloats, " "))]=] },

    ---------------------------------------------------------------- The experiment pipeline
    { name = "experiment.preset",
      sig = "E.preset([name] [, overrides])",
      returns = "table",
      text = "A preset, the table of every choice E.train, E.analyse and E.run read: \"default\" (docs/protocol.md) or \"paper-code\" (the author's public code), with `overrides` applied. " ..
        "The copy is shallow, so a nested table (model, train, ood, grad) given in `overrides` replaces the whole table; an unknown field is an error. " ..
        "Give the preset a new `name` when you change an analysis field, since E.run's cached records are keyed by the name.",
      example = [=[local E = require "gcgap.experiment"
local p = E.preset("default", {name = "t4", threshold = 4, per_position = true})
local pc = E.preset("paper-code", {bootstrap = 0})]=] },
    { name = "experiment.train",
      sig = "E.train(task, seed, p [, opts])",
      returns = "model, training record",
      text = "Trains a model as preset `p` says (its model options plus `seed`, its train fields, layout, checks), or loads it from `opts.cache` when it was trained there before. " ..
        "`task` is a task or the name \"reverse\" or \"sort\". The training record is {steps, seconds, accuracy, reached, loss}; with a cache the model and record are saved as <cache>/<E.cache_key>.safetensors and .json (the folder is created).",
      opts = {
        { "cache", "nil", "folder of trained models" },
        { "label", "nil", "the status line's label" },
        { "quiet", "nil", "no status line" },
      },
      example = [=[local E = require "gcgap.experiment"
local p = E.preset("default")
local m, tr = E.train("reverse", 42, p, {cache = "report/cache"})
print(tr.steps, tr.accuracy)]=],
      cost = "a full training run (up to train.steps = 15000 steps) unless cached; loading is one file read." },
    { name = "experiment.analyse",
      sig = "E.analyse(m, task, seed, p [, opts])",
      returns = "record",
      text = "The whole measurement of one trained model as preset `p` says: OOD length, G (raw and per-param), C, ρ, Δ, classes, a bootstrap over the evaluation set, and pruning. " ..
        "The record is a plain table: task, seed, preset, components, ood = {length, accuracies}, valid (false, with a `note`, when there is no OOD length or G or C is constant; the record then stops after ood, or has no rho, delta and classes), G = {raw, per_param}, base_accuracy, C, rho, delta, classes (each {raw, per_param}), bootstrap = {resamples, rho_interval, hero_stability, bloat_stability} (with fixed sets, zslice_defect off and bootstrap > 0), pruning = {baseline = {ood, id}, raw = {heroes, bloats}, per_param}, samples (per-sample exact match strings, with keep_samples), joint = {raw = {heroes, bloats}, per_param} (with joint) and interactions = {components, singles, matrix} (with interactions, off by default), seconds. " ..
        "`opts.status(text)` is called at each stage.",
      opts = { { "status", "nil", "function(text) called with the stage's name" } },
      example = [=[local E = require "gcgap.experiment"
local p = E.preset("default")
local m = E.train("sort", 456, p, {cache = "report/cache"})
local r = E.analyse(m, "sort", 456, p)
if r.valid then print(r.rho.raw, table.concat(r.classes.raw.heroes, " ")) else print(r.note) end]=],
      cost = "up to 4 OOD passes over set_size samples, grad.batches forward and backward passes, 22 passes for the means and C, and 10 pruning passes (the bootstrap reuses C's per-sample results)." },
    { name = "experiment.run",
      sig = "E.run(task, seed, p [, opts])",
      returns = "record, cached",
      text = "One whole run: E.train, then E.analyse, with the record (plus `train`, the training record) written as JSON to <out>/<task>-<seed>-<preset name>.json. " ..
        "A record already there is read back instead (unless `fresh`), and `cached` is then true. " ..
        "The `out` folder must exist (E.run does not create it, and only fails when writing, after the analysis).",
      opts = {
        { "cache", "nil", "E.train's model cache folder" },
        { "out", "nil", "folder of run records (read back unless `fresh`)" },
        { "fresh", "nil", "redo the analysis even when a record exists" },
        { "label", "nil", "E.train's status label" },
        { "quiet", "nil", "no training status line" },
        { "status", "nil", "E.analyse's stage callback" },
      },
      example = [=[local E = require "gcgap.experiment"
gcgap.mkdir("report/runs")
local rec, cached = E.run("reverse", 42, E.preset("default"), {cache = "report/cache", out = "report/runs"})]=],
      cost = "E.train plus E.analyse, or one file read when the record exists." },
    { name = "experiment.gap_and_classes",
      sig = "E.gap_and_classes(G, C, p)",
      returns = "delta, classes, rho (or nothing)",
      text = "Δ, the classes and Spearman's ρ of one (G, C) pair with the preset's ranks, threshold and strict fields. " ..
        "Returns nothing (undefined) when G or C is constant, where the native gcgap.gap would still give a Δ.",
      example = [=[local delta, classes, rho = E.gap_and_classes(G, C, E.preset("default"))
if delta then print(rho, #classes.heroes) end]=] },
    { name = "experiment.prune",
      sig = "E.prune(m, picks, means, ood_set, id_set)",
      returns = "{components, ood, id}",
      text = "Mean-ablates the components in `picks` together and measures the accuracy on the OOD and the ID set, as the pipeline's pruning does. " ..
        "`means` (usually the OOD set's) is used for both sets; nil makes each set use its own means. An empty `picks` gives the unablated accuracies.",
      example = [=[local mu = gcgap.means(m, ood.set)
local id_set = task:batch{size = 200, length = {3, 7}, seed = 42, stream = "id"}
local r = E.prune(m, {"L0.H0", "L0.MLP"}, mu, ood.set, id_set)
print(r.ood, r.id)]=],
      cost = "two forward passes." },
    { name = "experiment.cache_key",
      sig = "E.cache_key(task, seed, p)",
      returns = "string",
      text = "The file name stem of a trained model in E.train's cache. " ..
        "It holds the task's name, the seed and every preset field that shapes training (layout, checks, lr, batch, lengths, steps, target, model options). " ..
        "`task` must be a task object (not a name); tasks of the same name share keys.",
      example = [=[print(E.cache_key(gcgap.task.reverse(), 42, E.preset("default")))]=] },
    { name = "experiment.write_file",
      sig = "E.write_file(path, text)",
      returns = "nothing",
      text = "The same function as gcgap.write_file (the one atomic writer), kept on the module for scripts that use E.",
      example = [=[E.write_file("report/notes.txt", "seed 42 done\n")]=] },

    ---------------------------------------------------------------- Plots
    { name = "plot.scatter",
      sig = "plot.scatter{x =, y = [, title, xlabel, ylabel, labels]}",
      returns = "figure",
      text = "A scatter of y against x with Spearman's ρ in the subtitle. x and y are lists of numbers, or tables keyed by name (G and C: the points are paired by component and labelled; labels = false leaves the labels off). " ..
        "A figure has fig:svg() (its SVG text) and fig:save(path); in the Jupyter kernel it shows inline.",
      example = [=[local plot = require "gcgap.plot"
plot.scatter{x = G, y = C, title = "G against C", xlabel = "G", ylabel = "C"}:save("gc.svg")]=] },
    { name = "plot.line",
      sig = "plot.line{x =, y = [, lo, hi, label] | series = {{label, x, y [, lo, hi, color]}, ...} [, title, xlabel, ylabel]}",
      returns = "figure",
      text = "Lines through points, one series or several, with 95% intervals drawn as error bars where lo and hi are given.",
      example = [=[require("gcgap.plot").line{x = {1, 2, 3}, y = {0.2, 0.5, 0.6}, lo = {0.1, 0.4, 0.5}, hi = {0.3, 0.6, 0.7}, title = "ρ along training"}]=] },
    { name = "plot.bar",
      sig = "plot.bar{labels =, values = [, lo, hi, title, xlabel, ylabel]}",
      returns = "figure",
      text = "Bars, one per label (values a list beside labels, or one table keyed by label, sorted), with optional intervals.",
      example = [=[require("gcgap.plot").bar{values = C, title = "C by component"}]=] },
    { name = "plot.heatmap",
      sig = "plot.heatmap{values = [, rows, cols, range, title, xlabel, ylabel]}",
      returns = "figure",
      text = "A heatmap of a matrix (a list of rows, or a 2-d tensor): in a diverging palette (blue, white, red) symmetric around 0, or over `range = {lo, hi}`, white to red when lo ≥ 0; each cell's value in its tooltip.",
      example = [=[local _, cache = m:run_with_cache(b, {names = {"L0.H0.pattern"}})
require("gcgap.plot").heatmap{values = cache["L0.H0.pattern"]:select(1, 1), title = "L0.H0, sample 1"}]=] },
    { name = "plot.markdown",
      sig = "plot.markdown(text)",
      returns = "markdown",
      text = "Markdown text, such as gcgap.ladder.table's or a report's table, that Jupyter shows rendered; print and the REPL show the text itself.",
      example = [=[local ladder = require "gcgap.ladder"
require("gcgap.plot").markdown(ladder.table(ladder.rhos(gcgap.score.ladder(m, set))))]=] },

    ---------------------------------------------------------------- Circuits and beyond
    { name = "circuits.induction",
      sig = "circuits.induction(m, task [, opts])",
      returns = "{induction = {head, score}, prev = {head, score}, scores = {induction = {...}, prev = {...}}, length}",
      text = "The induction circuit of a model trained on gcgap.task.induction(), located from attention patterns alone (no G, no C). " ..
        "A head's previous-token score is its mean attention from x_i to x_{i-1}; its induction score, from the repeated x_i after SEP to x_{i+1} in the first half (the token to copy next). " ..
        "The circuit: the head of highest induction score in a layer ≥ 1, and the head of highest previous-token score in an earlier layer (nil when there is none). " ..
        "E.analyse runs it for every task with an entry in gcgap.circuits and records where C and G rank the heads (record.circuit).",
      opts = { { "length", "7", "the sample length scored" }, { "size", "64", "samples" }, { "seed", "1", "seed of the samples (stream \"circuit\")" } },
      example = [=[local circuits = require "gcgap.circuits"
local found = circuits.induction(m, gcgap.task.induction(), {length = 7})
print(found.induction.head, found.prev and found.prev.head)]=] },
    { name = "beyond.run_cell",
      sig = "beyond.run_cell(cell, opts)",
      returns = "true or nil (as os.execute)",
      text = "Runs one cell of the study (an entry of beyond.cells: tasks at one model size) with scripts/paper.lua: opts.jobs shards at once, records in opts.out/cells/<name>/runs, models in opts.out/cache/<name>. " ..
        "opts: out, jobs, seeds (paper.lua's --seeds text), exe (the gcgap executable), script (the path of paper.lua). scripts/beyond.lua --run calls it for every cell.",
      example = [=[local B = require "gcgap.beyond"
B.run_cell(B.cell_of("L1"), {out = "beyond", jobs = 2, seeds = "1-10", exe = "gcgap", script = "scripts/paper.lua"})]=] },
    { name = "beyond.read_runs",
      sig = "beyond.read_runs(dir)",
      returns = "list of records",
      text = "The run records (*.json) of a folder, sorted by task then seed; an unreadable file is skipped, a missing folder gives {}.",
      example = [=[local runs = require("gcgap.beyond").read_runs("results/beyond/cells/tasks/runs")]=] },
    { name = "beyond.groups",
      sig = "beyond.groups(out [, paper_dir])",
      returns = "list of {cell, task, runs [, from]}",
      text = "Every cell's records by task; with paper_dir (a paper.lua report folder), that report's default-preset reverse and sort runs as the `paper` cell (beyond.paper_cell).",
      example = [=[for _, g in ipairs(require("gcgap.beyond").groups("results/beyond")) do print(g.cell.name, g.task, #g.runs) end]=] },
    { name = "beyond.trajectory",
      sig = "beyond.trajectory(group)",
      returns = "list of {progress, n, rho, acc, undefined}",
      text = "ρ along training of a group: each run's record.trajectory binned by the share of its steps (beyond.progress_bins bins), per bin the mean ρ (raw G) and OOD accuracy over runs with 95% bootstrap intervals ({mean, n, lo, hi}); `undefined` counts runs whose ρ was undefined there.",
      example = [=[local B = require "gcgap.beyond"
for _, x in ipairs(B.trajectory(B.groups("results/beyond")[1])) do print(x.progress, x.rho and x.rho.mean) end]=] },
    { name = "beyond.circuit",
      sig = "beyond.circuit(group)",
      returns = "rows, ranks",
      text = "The known-circuit check of a group: one row per run with a record.circuit ({seed, c = the circuit, classes}), and the C and G ranks of the induction and previous-token heads ({induction = {C = {...}, G = {...}}, prev = ...}).",
      example = [=[local rows, ranks = require("gcgap.beyond").circuit(group)]=] },
    { name = "beyond.cell_of",
      sig = "beyond.cell_of(name)",
      returns = "cell or nil",
      text = "The cell of that name in beyond.cells ({name, tasks, set, text, size [, base]}).",
      example = [=[print(require("gcgap.beyond").cell_of("L6").text)]=] },
    { name = "beyond.write_report",
      sig = "beyond.write_report(out [, opts])",
      returns = "number of runs",
      text = "Writes the study's report into `out` from its cells' records: report.md (headline table, plain words, ρ along training, the known circuit, figures), runs.csv, summary.json and three SVG figures. opts.paper: as beyond.groups' paper_dir.",
      example = [=[require("gcgap.beyond").write_report("results/beyond", {paper = "results/seeds30"})]=] },

    ---------------------------------------------------------------- Reports
    { name = "report.summary",
      sig = "report.summary(records)",
      returns = "list, one entry per task",
      text = "Per task (in the order tasks first appear) and normalisation, ρ statistics and class counts over the valid runs. " ..
        "Each entry is {task, runs, valid, invalid_seeds, raw = {mean, std, min, max, n, heroes, bloats, negative}, per_param = {...}}; std is the sample standard deviation (nil with fewer than 2 runs).",
      example = [=[local report = require "gcgap.report"
for _, s in ipairs(report.summary(records)) do print(s.task, s.raw.mean, s.raw.std, s.raw.n) end]=] },
    { name = "verdict.rows",
      sig = "V.rows(records [, opts])",
      returns = "rows, noise",
      text = "The paper's claims, answered: one row per claim of each version (v1, v2, v3) with the paper's figure, our statistic, a 95% interval, a test where one fits, and a word (reproduced, not reproduced, inconclusive) with its reason. " ..
        "Intervals for mean ρ come from a two-level bootstrap (seeds, and the evaluation samples within each seed, from the records' per-sample results); the rest from a bootstrap over runs; task gaps use a permutation test and Hero-vs-Bloat pruning a paired sign-flip test.",
      opts = {
        { "resamples", "1000", "bootstrap and permutation draws" },
        { "seed", "1", "fixes the draws" },
      },
      example = [=[local V = require "gcgap.verdict"
for _, r in ipairs(V.rows(records)) do print(r.version, r.claim, r.word) end]=],
      cost = "a few seconds for 60 runs at 1000 resamples (in Lua)." },
    { name = "verdict.noise",
      sig = "V.noise(records [, opts])",
      returns = "{[task] = {[norm] = {n, mean, interval, sd_both, sd_seeds, sd_samples}}}",
      text = "Where the noise in each task's mean ρ comes from: the spread of the bootstrap mean when seeds are resampled, when the samples within each seed are, and both. " ..
        "Takes the options of V.rows.",
      example = [=[local z = (require "gcgap.verdict").noise(records).sort.raw
print(z.sd_seeds, z.sd_samples)]=] },
    { name = "verdict.markdown",
      sig = "V.markdown(records [, opts])",
      returns = "string",
      text = "The Verdict section of a report (Markdown): the rows of V.rows, the noise table, and, when there are more runs than the paper's ten seeds, each verdict recomputed on the paper's ten seeds alone and which ones change. " ..
        "Takes the options of V.rows.",
      example = [=[io.write((require "gcgap.verdict").markdown(records))]=] },
    { name = "report.section",
      sig = "report.section(name, records [, opts])",
      returns = "string",
      text = "One section of the report's Markdown: \"header\", \"preliminary\", \"verdict\", \"table1\", \"invalid\", \"table3\", \"pruning\", \"seeds\", \"ladder\", \"decomposition\", \"figures\" or \"standing\" (report.order lists them in the report's order; report.sections holds the functions). " ..
        "Takes report.markdown's options. A section of your own is a function of (w, c) added to report.sections and named in report.order.",
      example = [=[print((require "gcgap.report").section("table1", records))]=] },
    { name = "report.context",
      sig = "report.context(records [, opts])",
      returns = "table",
      text = "What every report section reads: the records, the options, the summary, the settings the records were made with, how many seeds each task has and whether that is fewer than ten (preliminary), and the records grouped by task.",
      example = [=[local c = (require "gcgap.report").context(records); print(c.preliminary, c.p.threshold)]=] },
    { name = "report.check",
      sig = "report.check(records, who)",
      returns = "records",
      text = "Checks records before a writer reads them (every report writer calls it first): a list of tables, each with its task and seed, and a valid one with the fields the writers read (ρ, G, C, the classes, pruning's baseline, the OOD length), of their types. " ..
        "The error names the writer, the record and the field: `report.csv: record 3: field 'rho.raw' is a string (a number expected)`.",
      example = [=[(require "gcgap.report").check(records, "my_figure")]=] },
    { name = "report.provenance",
      sig = "report.provenance(records)",
      returns = "string",
      text = "Which gcgap made the records, as the report's second line says it: \"Records made by gcgap 0.1.0 (commit …), avx512 microkernel.\", or each build with its count when records of several builds are mixed; then which gcgap wrote the report (this process's gcgap.build()).",
      example = [=[print((require "gcgap.report").provenance(records))]=] },
    { name = "report.markdown",
      sig = "report.markdown(records [, opts])",
      returns = "string",
      text = "The reproduction's report as Markdown text, from run records. " ..
        "It has the Verdict (gcgap.verdict, with 10 or more seeds per task), Table 1 (ρ per task and normalisation beside each version's figures), the most frequent Heroes and Bloats, pruning (means over the runs that have Heroes or Bloats, with n), seed-by-seed tables with bootstrap intervals (in runs.csv past 40 runs), and optionally the decomposition and figures. " ..
        "With fewer than 10 seeds per task it says it is preliminary and sets no totals beside the paper's.",
      opts = {
        { "title", '"The Gradient-Causal Gap, reproduced by gcgap"', "the heading" },
        { "preset", '"?"', "the preset's name, for the text" },
        { "p", "nil", "the preset table, whose settings the text states (batches, threshold, ID set size)" },
        { "verdict", "true", "false leaves the Verdict section out" },
        { "resamples", "1000", "the verdict's bootstrap draws" },
        { "seconds", "nil", "time taken, for the text" },
        { "decomposition", "nil", "rows {label =, summary = {task = report.summary entry}}" },
        { "figures", "nil", "list of {file =, caption =} to link" },
      },
      example = [=[local report = require "gcgap.report"
gcgap.write_file("report/report.md", report.markdown(records, {preset = "default"}))]=] },
    { name = "report.svg_joint",
      sig = "report.svg_joint(records [, title])",
      returns = "string (SVG)",
      text = "v3's super-additivity as SVG text: per run with a joint raw-G Bloat ablation (`joint.raw.bloats`), the effect of ablating all its Bloats together against the sum of their single effects (points), with y = x and y = 14x, and the pooled ratio with n.",
      example = [=[gcgap.write_file("report/fig5-joint.svg", report.svg_joint(records))]=] },
    { name = "report.diverging",
      sig = "report.diverging(t)",
      returns = "string (\"#rrggbb\")",
      text = "The reports' diverging colour scale (ColorBrewer's RdBu): blue at t = −1, white at 0, red at +1, t clamped to [−1, 1]. Figures 6 and 7 colour their cells with it.",
      example = [=[print(report.diverging(0.5))   -- "#ef8a62"]=] },
    { name = "report.svg_interactions",
      sig = "report.svg_interactions(records, task [, title])",
      returns = "string (SVG)",
      text = "The pairwise interaction matrix of one task as an SVG heatmap: the mean over its valid runs of `interactions.matrix[a][b]` (points), diverging colours with a colour bar, components in `interactions.components` order.",
      example = [=[gcgap.write_file("report/fig6-interactions-sort.svg", report.svg_interactions(records, "sort"))]=] },
    { name = "report.csv",
      sig = "report.csv(records)",
      returns = "string",
      text = "The runs as CSV text, one line per run after a header. " ..
        "Columns: task, seed, preset, valid, train_steps, ood_length, base_accuracy, rho_raw, rho_per_param and the Heroes and Bloats of both normalisations (space-separated names).",
      example = [=[gcgap.write_file("report/runs.csv", report.csv(records))]=] },
    { name = "report.by_task",
      sig = "report.by_task(records)",
      returns = "order, groups",
      text = "The task names in the order they first appear, and a table task -> list of its records.",
      example = [=[local order, groups = report.by_task(records)
for _, t in ipairs(order) do print(t, #groups[t]) end]=] },
    { name = "report.frequencies",
      sig = "report.frequencies(records, task, norm)",
      returns = "heroes, bloats",
      text = "How often each component is a Hero and a Bloat over the valid runs of one task and normalisation (\"raw\" or \"per_param\"). " ..
        "Each result is a list of {component, count}, most frequent first (ties by name).",
      example = [=[local heroes = report.frequencies(records, "sort", "raw")
for _, hc in ipairs(heroes) do print(hc[1], hc[2]) end]=] },
    { name = "report.svg_rho",
      sig = "report.svg_rho(records [, title])",
      returns = "string (SVG)",
      text = "The paper's Figure 4 as SVG text: ρ of every valid run, one column per task and normalisation, each with its 95% bootstrap interval (when the record has one), our mean per column, and the paper's mean per version beside it (v1 and v3 raw G, v2 per-param G).",
      example = [=[gcgap.write_file("report/fig4-rho.svg", report.svg_rho(records))]=] },
    { name = "report.svg_scatter",
      sig = "report.svg_scatter(records, task, norm [, title])",
      returns = "string (SVG)",
      text = "The paper's Figure 1 as SVG text: rank of G against rank of C (average ranks, 1 = smallest) for every component of every valid run of one task, a colour per run, Heroes and Bloats marked, the class zones shaded when the runs' classes agree with their preset's threshold, and the mean ρ with n.",
      example = [=[gcgap.write_file("report/fig1-sort-raw.svg", report.svg_scatter(records, "sort", "raw"))]=] },
    { name = "report.svg_layers",
      sig = "report.svg_layers(records, norm, n_layers [, title])",
      returns = "string (SVG)",
      text = "The paper's Figure 2 as SVG text: Hero and Bloat counts per layer and task for one normalisation. " ..
        "`n_layers` must cover every layer named in the records.",
      example = [=[gcgap.write_file("report/fig2-layers-raw.svg", report.svg_layers(records, "raw", 4))]=] },
    { name = "report.svg_pruning",
      sig = "report.svg_pruning(records, norm [, title])",
      returns = "string (SVG)",
      text = "The paper's Figure 3 as SVG text: per run, the OOD accuracy change (points) from ablating its pruned Heroes together and its pruned Bloats together, the mean per group with n (runs without Heroes or Bloats left out and counted), and for raw G the paper's one-seed v1 figures.",
      example = [=[gcgap.write_file("report/fig3-pruning-raw.svg", report.svg_pruning(records, "raw"))]=] },
    ---------------------------------------------------------------- Files and utilities
    { name = "write_file",
      sig = "gcgap.write_file(path, text)",
      returns = "nothing",
      text = "Writes a string to a file atomically: the one writer every file gcgap writes goes through. " ..
        "It writes a temporary file in the same folder in full, fsyncs it and renames it over the target, so a reader sees the old file or the new one. " ..
        "It refuses to replace anything but a regular file (a symbolic link to one is followed), and every failure is an error with the OS's reason (\"No space left on device\") that leaves the old file whole. " ..
        "The path is used as its exact bytes (a NUL byte is refused) and its folder must exist; temporaries a killed gcgap left behind are removed.",
      example = [=[gcgap.mkdir("out")
gcgap.write_file("out/G.json", require("gcgap.json").encode(G, "  "))]=] },
    { name = "read_file",
      sig = "gcgap.read_file(path)",
      returns = "string",
      text = "Reads a whole file as a string (its exact bytes), the counterpart of gcgap.write_file. " ..
        "In a sandbox it is how a script reads the files it was given (and its folder's): io is not there.",
      example = [=[local records = require("gcgap.json").decode(gcgap.read_file("report/summary.json"))]=] },
    { name = "build",
      sig = "gcgap.build()",
      returns = "{version =, commit =, kernel =, lua =}",
      text = "Which gcgap this is: its version, the commit of the checkout its stdlib comes from (absent outside a git checkout), the matrix-product kernel (which fixes the last bits of every number) and the Lua version. " ..
        "Records and reports carry it, so that a colleague can check a shared result against the build that made it.",
      example = [=[print(gcgap.build().commit, gcgap.build().kernel)]=] },
    { name = "sandbox",
      sig = "gcgap.sandbox(code [, opts])",
      returns = "the chunk's results",
      text = "Runs a chunk of Lua text in a fresh sandboxed state, as `gcgap --sandbox DIR` runs a script, and returns its results (nil, booleans, numbers, strings and plain tables of them; anything else is an error). " ..
        "The chunk sees base, string, table, math, utf8, coroutine, os.clock/time/date and gcgap; no io, debug, package.loadlib or string.dump; text-only load; require of gcgap's modules only. " ..
        "It reads only the files in `read` and those under `dir`, writes and lists only under `dir` (its working folder; realpath-checked, never through a symbolic link), and stops at its limits, which stay tripped. " ..
        "An in-process sandbox guards against careless or curious scripts, not a determined attacker with a Lua VM exploit: see the README for running it under OS limits too.",
      opts = {
        { "dir", "required", "the folder the chunk writes in (created when missing)" },
        { "read", "{}", "files the chunk may read besides those under `dir`" },
        { "limit_mem", "nil", "bytes: the cap of the chunk's Lua heap and, separately, of the native memory it adds" },
        { "limit_time", "nil", "seconds of wall-clock time" },
      },
      example = [=[print(gcgap.sandbox("return 6 * 7", {dir = "/tmp/box", limit_time = 5}))]=] },
    { name = "dir",
      sig = "gcgap.dir(path)",
      returns = "list of names",
      text = "The names in a folder, sorted (without . and ..), as the exact bytes the system gives. " ..
        "An error names the OS's reason when the folder cannot be read.",
      example = [=[for _, name in ipairs(gcgap.dir("report/runs")) do print(name) end]=] },
    { name = "mkdir",
      sig = "gcgap.mkdir(path)",
      returns = "nothing",
      text = "Creates a folder and its parents, like mkdir -p; fine when it exists. " ..
        "An error with the OS's reason when a part cannot be created, or when the path exists and is not a folder.",
      example = [=[gcgap.mkdir("report/runs")]=] },
    { name = "json.encode",
      sig = "json.encode(value [, indent])",
      returns = "string",
      text = "JSON text of a Lua value: tables with keys 1..n (and empty tables) become arrays, other tables objects with their keys as sorted strings, so files diff cleanly. " ..
        "nil, json.null, NaN and infinities become null; `indent` (a string such as \"  \") pretty-prints. " ..
        "Cycles, nesting deeper than 200 levels, functions and userdata are errors.",
      example = [=[local json = require "gcgap.json"
print(json.encode({rho = 0.5, heroes = {"L1.H0"}}))   --> {"heroes":["L1.H0"],"rho":0.5}]=] },
    { name = "json.decode",
      sig = "json.decode(text)",
      returns = "value",
      text = "The Lua value of JSON text: objects and arrays become tables, integral numbers integers, and null the sentinel json.null (a table, so it is truthy: compare with json.null). " ..
        "Malformed text is an error with its position; nesting is limited to 200 levels.",
      example = [=[local json = require "gcgap.json"
local t = json.decode('{"rho": {"raw": 0.5}, "note": null}')
print(t.rho.raw, t.note == json.null)   --> 0.5  true
-- a saved run: json.decode(io.open("report/runs/reverse-42-default.json"):read("a"))]=] },
    { name = "pretty.format",
      sig = "gcgap.pretty.format(value [, opts])",
      returns = "string",
      text = "A readable text of any Lua value, as the REPL prints results. " ..
        "Tables print as constructors, nested to `depth` levels, at most `items` entries each with a count of what was left out, keys in a stable order. " ..
        "Short tables stay on one line; userdata print through their __tostring.",
      opts = {
        { "depth", "3", "nesting levels shown (deeper tables print as {...})" },
        { "items", "40", "entries shown per table" },
        { "width", "100", "line width before a table is split over lines" },
      },
      example = [=[print(gcgap.pretty.format(r, {depth = 2}))]=] },
    { name = "pretty.print",
      sig = "gcgap.pretty.print(...)",
      returns = "nothing",
      text = "Prints its arguments to stdout as the REPL does: each through pretty.format, tab-separated, then a newline.",
      example = [=[gcgap.pretty.print(G, base)]=] },
    { name = "status",
      sig = "gcgap.status([text [, force]])",
      returns = "nothing",
      text = "Shows `text` as a one-line status on stderr, redrawn in place, at most ten redraws a second unless `force`; with no text, ends the line (keeping it visible). " ..
        "Silent when stderr is not a terminal, so logs stay clean.",
      example = [=[for seed = 1, 3 do gcgap.status("seed " .. seed) end
gcgap.status()]=] },
    { name = "clock",
      sig = "gcgap.clock()",
      returns = "number",
      text = "Wall-clock time in seconds since the Unix epoch, with a fraction (os.clock is CPU time).",
      example = [=[local t0 = gcgap.clock()
m:accuracy(b)
print(string.format("%.3f s", gcgap.clock() - t0))]=] },
    { name = "blas",
      sig = "gcgap.blas()",
      returns = "{core, kernel, threads, config}",
      text = "The matrix-product kernels in use: `kernel`, the path gcgap's products take (\"avx512 microkernel\" on x86-64 CPUs with AVX-512F, \"avx2 microkernel\" on those with AVX2 and FMA, else \"OpenBLAS <core>\"; GCGAP_KERNEL=avx2 or GCGAP_KERNEL=openblas in the environment picks one), OpenBLAS's kernel family for this CPU (`core`, e.g. \"Haswell\" or \"Zen\"), its thread count (always 1) and its build configuration. " ..
        "Both microkernels compute each entry as one chain of fused multiply-adds in the order of the sum, so a seed fixes a run bit for bit for one build on every CPU that takes either; OpenBLAS sums in an order of its own per kernel family, so there the last bits (and, through training, later digits) differ.",
      example = [=[print(gcgap.blas().core, gcgap.blas().threads)]=] },
    { name = "threads",
      sig = "gcgap.threads([n])",
      returns = "integer",
      text = "The number of threads an analysis may use, after setting it to `n` (1..256) when given. " ..
        "G's batches and C's ablations (`score.gradient`, `score.causal` with its own ablations) are computed each alone, " ..
        "on a copy of the model per thread, and combined in their own order, so every count gives the same bits; " ..
        "a model with hooks of its own, custom ablation hooks, and training use one thread. " ..
        "The default is GCGAP_THREADS, or one per processor (the `gcgap` command; `paper.lua --jobs N` gives its workers 1 each). " ..
        "Matrix products always run on one thread.",
      example = [=[print(gcgap.threads())   --> 1
gcgap.threads(4)]=] },
    { name = "interrupted",
      sig = "gcgap.interrupted()",
      returns = "boolean",
      text = "True when a Ctrl-C is pending, and clears it. " ..
        "While Lua code runs, a Ctrl-C raises `interrupted!` at the next instruction (native loops stop between steps), so a script almost never sees true here: to clean up after a Ctrl-C, catch that error with pcall.",
      example = [=[local ok, err = pcall(function() m:train(task, {steps = 200, quiet = true}) end)
if not ok and tostring(err):find("interrupted!") then m:save("partial.safetensors") end
print(gcgap.interrupted())   --> false]=] },
    { name = "help",
      sig = "gcgap.help([x])",
      returns = "nothing",
      text = "Prints the documentation of a function, a name or a userdata, or with no argument an overview of every function. " ..
        "A function or a name (\"score.causal\", \"model:train\", or \"max\" when only one entry ends so) gives its signature, options, returns and example; a userdata gives its type and methods. " ..
        "It is help.help from require \"gcgap.help\", and the texts are those of docs/API.md (stdlib/gcgap/docs.lua).",
      example = [=[gcgap.help(gcgap.score.causal)
gcgap.help "model:train"
gcgap.help(m)]=] },
    { name = "components",
      sig = "gcgap.components([opts])",
      returns = "list of strings",
      text = "The component names of a model shape in protocol order, without building a model (m:components() gives a model's).",
      opts = {
        { "n_layers", "4", "layers, 1..64" },
        { "n_heads", "4", "heads per layer, 1..256" },
      },
      example = [=[print(table.concat(gcgap.components{n_layers = 2, n_heads = 2}, " "))   --> L0.H0 L0.H1 L0.MLP L1.H0 L1.H1 L1.MLP]=] },
  },
}
