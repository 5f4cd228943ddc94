import Foundation
import Testing
@testable import GCLua

/// The report's modules: every writer checks its records first and names the bad field (issue
/// 19, reproducer 9), each Markdown section is a function of its own, the paper's figures and
/// the statistics helpers have one home.
@Suite("Report modules")
struct ReportModulesTests {
    let lua: LuaState

    init() throws {
        lua = try gcgapState()
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        try lua.run("""
            local json = require "gcgap.json"
            records = {}
            for _, name in ipairs { "reverse-42-default.json", "reverse-123-default.json", "sort-42-default.json", "sort-456-default.json" } do
              local f = assert(io.open("\(root)/results/default/runs/" .. name))
              records[#records + 1] = json.decode(f:read("a")); f:close()
            end
            R = require "gcgap.report"
            """)
    }

    @Test(arguments: [
        ("R.svg_layers(records, 'raw', 2^31)", "report.svg_layers: n_layers must be a whole number in 1..64"),
        ("R.svg_layers(records, 'raw', 1/0)", "report.svg_layers: n_layers must be a whole number in 1..64"),
        ("R.csv({5})", "report.csv: record 1 is a number (a table expected)"),
        ("R.summary({{task = 'reverse', seed = 1, valid = true, rho = {raw = 'x'}}})", "report.summary: record 1: field 'rho.raw' is a string (a number expected)"),
        ("R.markdown({{seed = 1}})", "report.markdown: record 1: field 'task' is missing (a string expected)"),
        ("R.csv({{task = 'sort', seed = {}}})", "report.csv: record 1: field 'seed' is a table (a number or a string expected)"),
        ("R.svg_scatter({{task = 'sort', seed = 2, valid = true, rho = {}, G = 5}}, 'sort', 'raw')", "field 'G' is a number (a table expected)"),
        ("R.section('table1', 'x')", "report.section: records expected"),
        ("require('gcgap.verdict').rows({{task = 'sort', seed = 1, valid = true}})", "verdict.rows: record 1: field 'rho' is missing (a table expected)"),
        ("require('gcgap.ladder').svg({5})", "ladder.svg: record 1 is a number (a table expected)"),
    ])
    func malformedRecordsAreNamedErrors(code: String, message: String) {
        let msg = luaError(lua, "return " + code)
        #expect(msg?.contains(message) == true, "\(code): \(msg ?? "no error")")
    }

    /// Each section is a function; the report is their concatenation in report.order.
    @Test func theReportIsItsSections() throws {
        let out = try lua.evaluate("""
            local whole = R.markdown(records, {verdict = false})
            local parts, n = {}, 0
            for _, name in ipairs(R.order) do
              local s = R.section(name, records, {verdict = false})
              if s ~= "" then parts[#parts + 1] = s end
              n = n + 1
            end
            return n, whole == table.concat(parts, "\\n"), R.section("table1", records):match("^## Table 1") ~= nil
            """)
        #expect(out == ["12", "true", "true"])
    }

    /// The paper's figures and the resampling helpers have one home each.
    @Test func oneHomeForTheFiguresAndTheStatistics() throws {
        let out = try lua.evaluate("""
            local P, S = require "gcgap.paper", require "gcgap.resampling"
            local a, b = S.lcg(7, 20), S.lcg(7, 20)
            local same = true
            for _ = 1, 100 do same = same and a(10) == b(10) end
            return R.paper == P.text, require("gcgap.verdict").paper == P.claims, same,
                   S.percentile({1, 2, 3, 4}, 0.5), S.interval({3, 1, 2})[1]
            """)
        #expect(out == ["true", "true", "true", "2", "1"])
    }

    /// A resample count from a caller is checked: 2^63 resamples was a loop that ran until
    /// memory ran out (found by the API fuzzer once the stdlib's statistics joined it).
    @Test func resampleCountsAreChecked() throws {
        let S = "local S = require 'gcgap.resampling'; "
        for (call, arg) in [("S.mean_ci({1, 2}, 2^63)", "#2 to 'mean_ci'"), ("S.mean_ci({1, 2}, 0.5)", "#2 to 'mean_ci'"),
                            ("S.boot_runs({1, 2}, function(l) return #l end, -1, S.lcg(1, 20))", "#3 to 'boot_runs'")] {
            let message = luaError(lua, S + call) ?? "no error"
            #expect(message.contains("bad argument \(arg) (resamples: an integer in 1..10000000 expected"), "\(call): \(message)")
        }
        #expect(try lua.evaluate(S + "return S.mean_ci({1, 2, 3}, 200).n") == ["3"])
    }
}
