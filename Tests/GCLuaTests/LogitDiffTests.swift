import Testing
@testable import GCLua

/// TransformerLens's logit difference, `metric = {"logit_diff", answer =, wrong =, pos =}`:
/// the mean of logit(answer) − logit(wrong) at the positions named, equal to what one reads
/// off `m:logits` by hand; the old target-minus-largest-other metric is `margin`; every
/// malformed request is an error naming the option.
@Suite("TransformerLens's logit difference and the margin")
struct LogitDiffTests {
    /// A trained two-layer model and two batches of reversal, length 3: rows are
    /// START x1 x2 x3 SEP y1 y2 y3 END, so input position 5 (SEP) predicts y1 (token 6).
    static let setup = """
        task = gc.task.reverse()
        m = gc.model{n_layers = 2, n_heads = 2, d_model = 16, d_head = 8, d_mlp = 32, n_ctx = 24, seed = 3}
        m:train(task, {steps = 200, quiet = true, target = false, lengths = {2, 3}})
        clean, corrupt = task:batch{size = 8, length = 3, seed = 1}, task:batch{size = 8, length = 3, seed = 2}
        L, T = m:logits(clean), clean:tokens()
        y1, wrong1 = T:select(2, 6), corrupt:tokens():select(2, 6)
        """

    func state() throws -> LuaState {
        let lua = try gcgapState()
        try lua.run(LogitDiffTests.setup)
        return lua
    }

    @Test func isWhatTheLogitsSayAtOnePosition() throws {
        let lua = try state()
        let out = try lua.evaluate("""
            local want = 0
            for i = 1, 8 do want = want + L:get(i, 5, y1:get(i) + 1) - L:get(i, 5, wrong1:get(i) + 1) end
            want = want / 8
            local e = m:evaluate(clean, {metric = {"logit_diff", answer = y1, wrong = wrong1, pos = 5}})
            -- the same at pos = -4 (from each row's end: 8 input positions) and with lists of tokens
            local e2 = m:evaluate(clean, {metric = {"logit_diff", answer = y1:totable(), wrong = wrong1:totable(), pos = -4}})
            return math.abs(e.logit_diff - want) < 1e-5, e.logit_diff == e2.logit_diff, m:evaluate(clean).logit_diff == nil
            """)
        #expect(out == ["true", "true", "true"])
    }

    @Test func atEveryTargetPositionByDefault() throws {
        let lua = try state()
        let out = try lua.evaluate("""
            -- per target position (SEP, y1, y2, y3 predict y1, y2, y3, END): the target against token 0
            local answer = T:narrow(2, 6, 4)
            local want, n = 0, 0
            for i = 1, 8 do for k = 1, 4 do
              want = want + L:get(i, 4 + k, answer:get(i, k) + 1) - L:get(i, 4 + k, 1); n = n + 1
            end end
            local e = m:evaluate(clean, {metric = {"logit_diff", answer = answer, wrong = 0}})
            -- the margin is the target against the largest other logit
            local margin = 0
            for i = 1, 8 do for k = 1, 4 do
              local t, other = answer:get(i, k) + 1, -math.huge
              for j = 1, L:shape()[3] do if j ~= t then other = math.max(other, L:get(i, 4 + k, j)) end end
              margin = margin + L:get(i, 4 + k, t) - other
            end end
            return math.abs(e.logit_diff - want / n) < 1e-5, math.abs(e.margin - margin / n) < 1e-5
            """)
        #expect(out == ["true", "true"])
    }

    @Test func scoresPatchingCausalAndEstimators() throws {
        let lua = try state()
        let out = try lua.evaluate("""
            local metric = {"logit_diff", answer = y1, wrong = wrong1, pos = 5}
            local P, c, x = gc.score.patching(m, clean, corrupt, {metric = metric})
            local e = m:evaluate(clean, {metric = metric})
            local C, base, ablated = gc.score.causal(m, clean, {metric = metric})
            local ok = base == e.logit_diff and c == e.logit_diff
            for k, v in pairs(C) do ok = ok and v == base - ablated[k] end
            -- patching: the corrupted run (corrupt's tokens up to SEP, clean's after) with one
            -- component's clean output, against the corrupted run alone
            local rows, Tc, Tx = {}, clean:tokens(), corrupt:tokens()
            for i = 1, 8 do
              rows[i] = {}
              for j = 1, 9 do rows[i][j] = (j <= 5 and Tx or Tc):get(i, j) end
            end
            local mixed = gc.batch(rows)
            for _, k in ipairs{"L0.H1", "L1.H0", "L1.MLP"} do
              local patched = m:evaluate(mixed, {ablate = k, with = "resample", source = clean, metric = metric}).logit_diff
              ok = ok and math.abs(P[k] - (patched - x)) < 1e-9
            end
            -- many ablations at once carry it too, as m:evaluate does
            local rs, base2 = gc.score.ablations(m, clean, {"L0.H0", {"L1.H0", "L1.MLP"}}, {metric = metric})
            ok = ok and base2.logit_diff == e.logit_diff
                 and rs[2].logit_diff == m:evaluate(clean, {ablate = {"L1.H0", "L1.MLP"}, metric = metric}).logit_diff
            local ap = gc.score.attribution(m, clean, {metric = metric})
            local r = gc.score.ladder(m, clean, {metrics = {"loss", metric}, steps = 2, ablations = {"mean"}})
            for k, v in pairs(ap) do ok = ok and r.attribution.logit_diff[k] == v end
            return ok, r.metrics[2], x < c
            """)
        #expect(out == ["true", "logit_diff", "true"])
    }

    @Test func eachContrastHasItsOwnCleanRunAndSetsTakeOneForAll() throws {
        let lua = try state()
        let out = try lua.evaluate("""
            -- the model keeps a clean run per batch and contrast: alternating contrasts each get their own base
            local A = {"logit_diff", answer = y1, wrong = wrong1, pos = 5}
            local B = {"logit_diff", answer = 3, wrong = 4}
            local ok = true
            for _, metric in ipairs{A, B, A, B} do
              local _, base = gc.score.causal(m, clean, {metric = metric})
              ok = ok and base == m:evaluate(clean, {metric = metric}).logit_diff
            end
            -- one token and one position for all fit every set
            local _, _, ablated = gc.score.causal(m, clean, {metric = {"logit_diff", answer = 3, wrong = 4, pos = -1},
                                                            sets = {["L0.H0"] = corrupt}})
            local alone = m:evaluate(corrupt, {ablate = "L0.H0", means = gc.means(m, clean),
                                               metric = {"logit_diff", answer = 3, wrong = 4, pos = -1}}).logit_diff
            -- per-target tokens as ragged lists, for samples of different lengths
            local mixed = task:batch{size = 2, length = {2, 4}, seed = 5}
            local r = mixed:rows()
            local answers = {}
            for i = 1, 2 do
              answers[i] = {}
              for k = 1, (#r[i] - 3) // 2 + 1 do answers[i][k] = 0 end
            end
            local e = m:evaluate(mixed, {metric = {"logit_diff", answer = answers, wrong = 1}})
            return ok, math.abs(ablated["L0.H0"] - alone) < 1e-12, #r[1] ~= #r[2], e.logit_diff == e.logit_diff
            """)
        #expect(out == ["true", "true", "true", "true"])
    }

    @Test func malformedRequestsAreErrorsNamingTheOption() throws {
        let lua = try state()
        let cases: [(String, String)] = [
            ("gc.score.causal(m, clean, {metric = 'logit_diff'})",
             "bad argument #3 to 'causal' (option 'metric': 'logit_diff' alone: TransformerLens's logit difference needs its tokens: {\"logit_diff\", answer = ..., wrong = ...}; the target's logit minus the largest other is 'margin')"),
            ("gc.score.causal(m, clean, {metric = {'logit_diff', answer = 3}})", "option 'metric': wrong: missing"),
            ("gc.score.causal(m, clean, {metric = {'logit_diff', answer = {1, 2}, wrong = 3}})",
             "option 'metric': answer: 2 tokens for 8 samples (one per sample expected)"),
            ("gc.score.causal(m, clean, {metric = {'logit_diff', answer = 3, wrong = 4, pos = 2}})",
             "option 'metric': pos: position 2 of row 1 has no target (its target positions are 5..8)"),
            ("gc.score.causal(m, clean, {metric = {'logit_diff', answer = 3, wrong = 4, pos = 0}})", "position 0 of row 1 has no target"),
            ("gc.score.causal(m, clean, {metric = {'logit_diff', answer = 300, wrong = 4}})",
             "option 'metric': the logit difference's answer or wrong token 300 is outside the vocabulary 0..103"),
            ("gc.score.causal(m, clean, {metric = {'logit_diff', answer = 0/0, wrong = 4}})", "option 'metric': answer: integer expected, got "),
            ("gc.score.causal(m, clean, {metric = {'logit_diff', answer = -2, wrong = 4}})", "answer: token -2 is negative"),
            ("gc.score.causal(m, clean, {metric = {'logit_diff', answer = T, wrong = 4}})",
             "answer: 9 values a sample, more than the 4 target positions of any sample"),
            ("gc.score.causal(m, clean, {metric = {'logit_diff', answer = T:narrow(2, 1, 3), wrong = 4}})",
             "answer: row 1 has 3 tokens for its 4 target positions"),
            ("gc.score.causal(m, clean, {metric = {'logit_diff', answer = T:narrow(2, 6, 4), wrong = 4, pos = 5}})",
             "answer: one token per sample expected when a position is given"),
            ("gc.score.causal(m, clean, {metric = {'logit_diff', answer = gc.zeros{1 << 28, 0}, wrong = 4}})",
             "answer: 268435456 rows for 8 samples"),
            ("gc.score.causal(m, clean, {metric = {'logit_diff', answer = 3.0000001, wrong = 4}})", "answer: integer expected, got 3.0000001"),
            ("gc.score.causal(m, clean, {metric = {'logit_diff', answer = {3, 3, 3, 3, 3, 3, 3, 3.5}, wrong = 4}})",
             "answer: integer expected at [8], got 3.5"),
            ("gc.score.causal(m, clean, {metric = {'logit_diff', answer = 3, wrong = 4, pos = 5.0000001}})", "pos: integer expected, got 5.0000001"),
            ("gc.score.causal(m, clean, {metric = {'logit_diff', answer = 2^31, wrong = 4}})", "answer: token 2147483648 is out of range"),
            ("gc.score.causal(m, clean, {metric = {'logit_diff', answer = math.maxinteger, wrong = 4}})", "is out of range"),
            ("gc.score.causal(m, clean, {metric = {'logit_diff', answer = 3, wrong = 4, pos = math.mininteger}})",
             "pos: position -9223372036854775808 of row 1 has no target"),
            ("gc.score.causal(m, clean, {metric = {'logit_diff', answer = y1, wrong = 4, pos = 5}, sets = {['L0.H0'] = corrupt}})",
             "bad argument #3 to 'causal' (option 'sets': tokens or positions per sample belong to one set's rows"),
            ("gc.score.causal(m, clean, {metric = {'logit_diff', answer = gc.tensor{1/0, 1, 1, 1, 1, 1, 1, 1}, wrong = 4}})",
             "answer: integers expected, got inf"),
            ("gc.score.causal(m, clean, {metric = {'logit_diff', answer = gc.tensor(2^25), wrong = 4}})",
             "answer: 33554432 is beyond the integers a float32 tensor holds exactly"),
            ("gc.score.causal(m, clean, {metric = {'logit_diff', answer = y1, wrong = 4}, sets = {['L0.H0'] = task:batch{size = 2, length = 3}}})",
             "option 'sets': tokens or positions per sample belong to one set's rows"),
            ("m:evaluate(clean, {metric = 'kl'})", "option 'metric': every metric is in the result; the option takes only"),
            ("gc.score.ablations(m, clean, {'L0.H0'}, {metric = 'loss'})", "bad argument #4 to 'ablations' (option 'metric': every metric is in the result"),
            ("gc.score.causal(m, clean, {metric = {'logit_diff', answer = 3, wrong = 4, posn = 5}})",
             "unknown key posn in {\"logit_diff\", answer = ..., wrong = ...} (known: answer, wrong, pos)"),
            ("gc.score.causal(m, clean, {metric = {'margin', answer = 3, wrong = 4}})", "with \"logit_diff\" first"),
            ("gc.score.causal(m, clean, {metric = {'logit_diff', answer = 'x', wrong = 4}})",
             "answer: a token, a list, a list of lists or a tensor expected, got string"),
            ("gc.score.ladder(m, clean, {metrics = {{'logit_diff', answer = 3, wrong = 4}, {'logit_diff', answer = 3, wrong = 5}}})",
             "bad argument #3 to 'ladder' (option 'metrics': one logit_diff per call)"),
            ("gc.score.ladder(m, clean, {metrics = {'logit_diff'}})", "option 'metrics': entry 1: 'logit_diff' alone"),
            ("gc.score.gate(m, clean, {metric = 'bogus'})", "option 'metric': metric name ('accuracy', 'token_accuracy', 'loss', 'margin', 'kl', 'prob') or"),
        ]
        for (code, expected) in cases {
            let message = luaError(lua, code) ?? "no error"
            #expect(message.contains(expected), "\(code): \(message)")
        }
        // after every error the state works
        #expect(try lua.evaluate("return m:evaluate(clean).margin == m:evaluate(clean).margin") == ["true"])
    }
}
