// swift-tools-version:6.0
// gcgap: the Gradient-Causal Gap, reproduced and extensible from Lua.
//
// Layers, bottom to top:
//   CBLAS, CLua, CReadline  system libraries (OpenBLAS, Lua 5.4, GNU readline), one shim header each
//   CKernels                C kernels of the training step (sgemm microkernel, GELU, Adam)
//   CLuaShim                C wrappers for Lua's macros, the error trampoline, SIGINT handling
//   GCCore                  pure-Swift numeric core: tensors, the transformer, training, checkpoints,
//                           tasks, scorers, statistics. Knows nothing of Lua.
//   GCLua                   the binding layer: a Lua state, the error boundary, userdata for core types.
//   gcgap                   the command line and the readline REPL.
//   stdlib/                 Lua modules shipped with the tool (the experiment pipeline lives there).
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release)),
]

let package = Package(
    name: "gcgap",
    products: [
        .executable(name: "gcgap", targets: ["gcgap"]),
        .library(name: "GCCore", targets: ["GCCore"]),
        .library(name: "GCLua", targets: ["GCLua"]),
    ],
    targets: [
        .systemLibrary(name: "CLua", path: "Sources/CLua", pkgConfig: "lua5.4",
                       providers: [.apt(["liblua5.4-dev"])]),
        .systemLibrary(name: "CReadline", path: "Sources/CReadline", pkgConfig: "readline",
                       providers: [.apt(["libreadline-dev"])]),
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .target(name: "CLuaShim", dependencies: ["CLua"], path: "Sources/CLuaShim"),
        // hand-written kernels of the training step (AVX2 sgemm microkernel, GELU, Adam);
        // no FMA contraction outside the explicit FMA of the microkernel
        .target(name: "CKernels", path: "Sources/CKernels",
                cSettings: [.unsafeFlags(["-O3", "-ffp-contract=off"])]),
        .target(name: "GCCore", dependencies: ["CBLAS", "CKernels"], path: "Sources/GCCore",
                swiftSettings: swiftSettings),
        .target(name: "GCLua", dependencies: ["GCCore", "CLua", "CLuaShim"], path: "Sources/GCLua",
                swiftSettings: swiftSettings),
        .executableTarget(name: "gcgap", dependencies: ["GCLua", "GCCore", "CLua", "CLuaShim", "CReadline"],
                          path: "Sources/gcgap", swiftSettings: swiftSettings),
        .executableTarget(name: "gcgap-bench", dependencies: ["GCCore", "CBLAS", "CKernels"], path: "Sources/gcgap-bench",
                          swiftSettings: swiftSettings),
        .testTarget(name: "GCCoreTests", dependencies: ["GCCore", "CKernels"], path: "Tests/GCCoreTests"),
        .testTarget(name: "GCGapCLITests", dependencies: [], path: "Tests/GCGapCLITests"),
        .testTarget(name: "GCLuaTests", dependencies: ["GCLua", "GCCore", "CLua", "CLuaShim"],
                    path: "Tests/GCLuaTests"),
    ],
    swiftLanguageModes: [.v5]
)
