// swift-tools-version:6.1
import PackageDescription

// The shared libraries (WasmFrontEnd, WasmCompiler, WasmRuntime) are written in the
// Embedded-Swift-compatible subset: they build here for the host and, via
// scripts/embedded-check, for the kernel target x86_64-unknown-none-elf.
let package = Package(
    name: "Apus",
    products: [
        .executable(name: "apus", targets: ["apus"]),
        .library(name: "WasmFrontEnd", targets: ["WasmFrontEnd"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swiftwasm/WasmKit", exact: "0.4.2"),
    ],
    targets: [
        // WebAssembly front end: binary decoding and validation (Embedded-compatible).
        .target(name: "WasmFrontEnd"),
        // Compiler: the VM ABI shared with the runtime, the baseline tier, one backend per ISA.
        .target(name: "WasmCompiler", dependencies: ["WasmFrontEnd"]),

        // Host tool commands (host only).
        .target(
            name: "ApusCLI",
            dependencies: [
                "WasmFrontEnd",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "WAT", package: "WasmKit"),
            ]
        ),
        .executableTarget(name: "apus", dependencies: ["ApusCLI"]),

        .testTarget(name: "WasmFrontEndTests", dependencies: ["WasmFrontEnd"]),
    ]
)
