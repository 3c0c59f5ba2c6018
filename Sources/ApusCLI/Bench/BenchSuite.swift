import Foundation

/// One benchmark program of the suite, as listed in `benchmarks/benchmarks.txt`.
public struct BenchProgram: Equatable, Sendable {
    /// File stem: `benchmarks/programs/NAME.c`, `out/bench/build/wasm/NAME.wasm`.
    public var name: String
    /// `integer`, `float`, `memory`, `calls` or `simd` (free-form: only shown in reports).
    public var category: String
    /// The `n` passed to `run(n)` by `--quick` (correctness only).
    public var tinySize: Int32
    /// The `n` for measurement (at least ~0.5 s natively).
    public var realSize: Int32
    /// What `n` means for this program.
    public var summary: String

    public init(name: String, category: String, tinySize: Int32, realSize: Int32, summary: String) {
        self.name = name
        self.category = category
        self.tinySize = tinySize
        self.realSize = realSize
        self.summary = summary
    }
}

/// Which sizes a run uses.
public enum BenchSize: String, Sendable {
    case tiny, real
}

/// The list of benchmark programs and where their built artifacts live.
public struct BenchSuite: Sendable {
    public var programs: [BenchProgram]
    /// Repository root (holds `benchmarks/` and `out/`).
    public var root: URL

    public var buildDirectory: URL { root.appendingPathComponent("out/bench/build") }

    /// The module built by benchmarks/build; `simd`: the one built with `-O3 -msimd128`
    /// (auto-vectorised to WebAssembly SIMD).
    public func wasmPath(_ program: BenchProgram, simd: Bool = false) -> URL {
        buildDirectory.appendingPathComponent((simd ? "wasm-simd/" : "wasm/") + program.name + ".wasm")
    }

    public func nativePath(_ program: BenchProgram) -> URL {
        buildDirectory.appendingPathComponent("native/\(program.name)")
    }

    /// Parses the manifest format: `name category tiny real summary…`, `#` comments.
    public static func parseManifest(_ text: String) throws -> [BenchProgram] {
        var programs: [BenchProgram] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 4, let tiny = Int32(fields[2]), let real = Int32(fields[3]) else {
                throw BenchError.badManifest(line: index + 1, text: line)
            }
            programs.append(
                BenchProgram(
                    name: String(fields[0]), category: String(fields[1]), tinySize: tiny, realSize: real,
                    summary: fields.dropFirst(4).joined(separator: " ")))
        }
        return programs
    }

    /// Loads `benchmarks/benchmarks.txt` under `root`.
    public static func load(root: URL) throws -> BenchSuite {
        let manifest = root.appendingPathComponent("benchmarks/benchmarks.txt")
        let text = try String(contentsOf: manifest, encoding: .utf8)
        return BenchSuite(programs: try parseManifest(text), root: root)
    }

    /// The repository root: the nearest directory at or above `start` holding the manifest.
    public static func findRoot(from start: URL) -> URL? {
        var directory = start.standardizedFileURL
        while true {
            if FileManager.default.fileExists(
                atPath: directory.appendingPathComponent("benchmarks/benchmarks.txt").path)
            {
                return directory
            }
            let parent = directory.deletingLastPathComponent()
            if parent.path == directory.path { return nil }
            directory = parent
        }
    }
}

/// Errors that stop a benchmark run before any measurement.
public enum BenchError: Error, CustomStringConvertible {
    case badManifest(line: Int, text: String)
    case noRoot(String)
    case buildFailed(Int32)
    case unknownName(kind: String, name: String, known: [String])

    public var description: String {
        switch self {
        case .badManifest(let line, let text): return "benchmarks.txt line \(line) is malformed: \(text)"
        case .noRoot(let start): return "no benchmarks/benchmarks.txt at or above \(start) (use --root)"
        case .buildFailed(let status): return "benchmarks/build failed with status \(status)"
        case .unknownName(let kind, let name, let known):
            return "unknown \(kind) '\(name)'; known: \(known.joined(separator: ", "))"
        }
    }
}
