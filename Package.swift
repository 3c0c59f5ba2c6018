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
        .library(name: "WasmCompiler", targets: ["WasmCompiler"]),
        .library(name: "WasmRuntime", targets: ["WasmRuntime"]),
        .library(name: "WASIPreview1", targets: ["WASIPreview1"]),
        .library(name: "Ext2FileSystem", targets: ["Ext2FileSystem"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swiftwasm/WasmKit", exact: "0.4.2"),
    ],
    targets: [
        // Shared libraries (Embedded-compatible) ------------------------------------------
        // WebAssembly front end: binary decoding and validation.
        .target(name: "WasmFrontEnd"),
        // Compiler: the VM ABI shared with the runtime, the baseline tier, one backend per ISA.
        .target(name: "WasmCompiler", dependencies: ["WasmFrontEnd"]),
        // Runtime: engine, modules, stores, instances, linking, traps; the Platform protocol.
        .target(name: "WasmRuntime", dependencies: ["WasmFrontEnd", "WasmCompiler"]),
        // WASI preview 1 on top of the runtime; the system below it (files, clocks, random,
        // console) is a protocol: hosted Linux in HostedPlatform, an in-memory one for the kernel.
        .target(name: "WASIPreview1", dependencies: ["WasmRuntime"]),
        // Spec-script execution shared by `apus wast` and the kernel (`run=spec`): the command
        // model, the runtime executor, the front-end checks, results and the spec bundle format.
        .target(name: "WasmSpecRunner", dependencies: ["WasmFrontEnd", "WasmRuntime"]),
        // ext2 on a block device (no dependencies): the host tests and the file-system
        // program in userspace/ compile the same sources (docs/STORAGE.md).
        .target(name: "Ext2FileSystem"),

        // Hosted (Linux) platform -------------------------------------------------------
        // C glue for what Swift cannot express: CPUID, signal context access, thread-locals.
        .target(name: "CHostedPlatform"),
        .target(name: "HostedPlatform", dependencies: ["WasmRuntime", "WASIPreview1", "CHostedPlatform"]),

        // Host tool ------------------------------------------------------------------------
        .target(
            name: "ApusCLI",
            dependencies: [
                "WasmFrontEnd", "WasmCompiler", "WasmRuntime", "WASIPreview1", "HostedPlatform", "WasmSpecRunner",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "WAT", package: "WasmKit"),
                .product(name: "WasmKit", package: "WasmKit"),
            ]
        ),
        .executableTarget(name: "apus", dependencies: ["ApusCLI"]),

        // Tests ----------------------------------------------------------------------------
        .testTarget(
            name: "WasmFrontEndTests",
            dependencies: ["WasmFrontEnd", .product(name: "WAT", package: "WasmKit")]
        ),
        .testTarget(name: "WasmCompilerTests", dependencies: ["WasmCompiler", "HostedPlatform"]),
        .testTarget(
            name: "WasmRuntimeTests",
            dependencies: ["WasmRuntime", "HostedPlatform", .product(name: "WAT", package: "WasmKit")]
        ),
        .testTarget(name: "WASIPreview1Tests", dependencies: ["WASIPreview1", "HostedPlatform"]),
        .testTarget(name: "ApusCLITests", dependencies: ["ApusCLI"]),
        .testTarget(name: "Ext2FileSystemTests", dependencies: ["Ext2FileSystem"]),
    ]
)
