import Foundation
@testable import GCLua

/// A Lua state with the gcgap.core module preloaded, as `gcgap` and `gc`.
func gcgapState() throws -> LuaState {
    let lua = try LuaState()
    GCGapModule.install(lua)
    let stdlib = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("stdlib").path
    try lua.run("package.path = '\(stdlib)/?.lua;\(stdlib)/?/init.lua;' .. package.path; gcgap = require 'gcgap.core'; gc = gcgap")
    return lua
}

/// A fresh temporary folder.
func temporaryFolder() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gcgap-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.path
}

/// The error message of a Lua chunk expected to fail.
func luaError(_ lua: LuaState, _ code: String) -> String? {
    do { _ = try lua.evaluate(code, name: "=t"); return nil } catch { return "\(error)" }
}
