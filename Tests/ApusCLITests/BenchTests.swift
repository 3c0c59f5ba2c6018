// Tests of `apus bench`'s suite loading, statistics, checksum checking and reports.
// Intended home: Tests/ApusCLITests/BenchTests.swift (needs only the ApusCLI target).
import Foundation
import Testing

@testable import ApusCLI
import WAT

private func measurement(checksum: Int64?, run: [Double], compile: [Double] = [], bytes: Int = 0) -> BenchMeasurement {
    var result = BenchMeasurement()
    result.checksum = checksum
    result.runCPU = run
    result.runWall = run
    result.compileCPU = compile
    result.compileWall = compile
    result.wasmBytes = bytes
    return result
}

private func program(_ name: String) -> BenchProgram {
    BenchProgram(name: name, category: "integer", tinySize: 1, realSize: 10, summary: "rounds")
}

private func column(_ id: String, unavailable: String? = nil) -> BenchColumn {
    BenchColumn(id: id, version: nil, unavailable: unavailable, isApus: id.hasPrefix("apus"))
}

/// Two programs; wasmtime is 2x and 8x native; wasmkit disagrees on the second checksum.
private func sampleResults() -> BenchResults {
    BenchResults(
        size: .tiny, clock: .cpu, reps: 3, interpreterReps: 3, programs: [program("a"), program("b")],
        columns: [column("native"), column("wasmtime"), column("wasmkit"), column("apus-baseline", unavailable: "not yet")],
        measurements: [
            "native": [measurement(checksum: 1, run: [1.0, 1.5, 2.0]), measurement(checksum: 2, run: [0.5])],
            "wasmtime": [
                measurement(checksum: 1, run: [2.0, 3.0], compile: [0.001, 0.002], bytes: 1000),
                measurement(checksum: 2, run: [4.0], compile: [0.003], bytes: 3000),
            ],
            "wasmkit": [measurement(checksum: 1, run: [30.0]), measurement(checksum: 99, run: [1.0])],
        ])
}

@Suite struct BenchSuiteTests {
    @Test func parsesManifestLines() throws {
        let programs = try BenchSuite.parseManifest("# comment\n\nfib  integer 18 40  Fibonacci index\n")
        #expect(programs == [BenchProgram(name: "fib", category: "integer", tinySize: 18, realSize: 40, summary: "Fibonacci index")])
    }

    @Test func rejectsMalformedManifestLines() {
        #expect(throws: BenchError.self) { try BenchSuite.parseManifest("fib integer eighteen 40\n") }
        #expect(throws: BenchError.self) { try BenchSuite.parseManifest("fib integer\n") }
    }

    @Test func repositoryManifestCoversTheIssue() throws {
        let here = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        guard let root = BenchSuite.findRoot(from: here.deletingLastPathComponent()) else {
            Issue.record("no benchmarks/benchmarks.txt above \(here.path)")
            return
        }
        let suite = try BenchSuite.load(root: root)
        #expect(suite.programs.count >= 12)
        #expect(Set(suite.programs.map(\.category)) == ["integer", "float", "memory", "calls", "simd"])
        for program in suite.programs {
            let source = root.appendingPathComponent("benchmarks/programs/\(program.name).c")
            #expect(FileManager.default.fileExists(atPath: source.path), "missing \(source.path)")
            #expect(program.tinySize < program.realSize)
        }
    }
}

@Suite struct BenchStatisticsTests {
    @Test func minAndMedian() {
        #expect(BenchStats([3, 1, 2]) == BenchStats([2, 1, 3]))
        #expect(BenchStats([3, 1, 2])?.median == 2)
        #expect(BenchStats([4, 1, 2, 3])?.median == 2.5)
        #expect(BenchStats([4, 1, 2, 3])?.min == 1)
        #expect(BenchStats([]) == nil)
    }

    @Test func geometricMeanOfRatios() throws {
        #expect(abs(try #require(geometricMean([2, 8])) - 4) < 1e-12)
        #expect(geometricMean([]) == nil)
    }
}

@Suite struct BenchResultsTests {
    @Test func nativeIsTheChecksumReference() {
        let results = sampleResults()
        #expect(results.referenceID == "native")
        #expect(results.problem("wasmtime", 1) == nil)
        #expect(results.problem("wasmkit", 0) == nil)
        #expect(results.problem("wasmkit", 1)?.contains("differs from native") == true)
        #expect(results.problems.count == 1)
    }

    @Test func failedEngineIsAProblem() {
        var results = sampleResults()
        results.measurements["wasmtime"]?[0] = .failure("trap: unreachable")
        #expect(results.problems.contains { $0.hasPrefix("a on wasmtime: error: trap") })
        #expect(results.runStats("wasmtime", 0) == nil)
    }

    @Test func unavailableEngineHasNoNumbersAndNoProblems() {
        let results = sampleResults()
        #expect(results.runStats("apus-baseline", 0) == nil)
        #expect(!results.problems.contains { $0.contains("apus") })
        #expect(results.ratio("apus-baseline", "native", 0) == nil)
    }

    @Test func ratiosUseMinTimesAndSkipDisagreeingCells() throws {
        let results = sampleResults()
        #expect(results.ratio("wasmtime", "native", 0) == 2)
        #expect(results.ratio("wasmtime", "native", 1) == 8)
        #expect(results.ratio("wasmkit", "native", 1) == nil)
        #expect(abs(try #require(results.ratioGeometricMean("wasmtime", "native")) - 4) < 1e-12)
        let pairs = results.ratioPairs.map { "\($0.numerator)/\($0.denominator)" }
        #expect(pairs == ["wasmtime/native", "wasmkit/native", "apus-baseline/native", "apus-baseline/wasmtime"])
    }

    @Test func compileThroughputIsBytesOverMinCompileTimes() throws {
        let throughput = try #require(sampleResults().compileThroughput("wasmtime"))
        #expect(throughput.bytes == 4000)
        #expect(abs(throughput.seconds - 0.004) < 1e-12)
        #expect(abs(throughput.megabytesPerSecond - 1.0) < 1e-9)
    }
}

@Suite struct BenchReportTests {
    @Test func textShowsRatiosGeomeanAndProblems() {
        let text = BenchReport.text(sampleResults())
        #expect(text.contains("wasmtime/native"))
        #expect(text.contains("apus-baseline/wasmtime"))
        #expect(text.contains("geomean       4.00"))
        #expect(text.contains("unavailable — not yet"))
        #expect(text.contains("PROBLEMS (1)"))
    }

    @Test func jsonHasRatiosAndEverySample() throws {
        let data = try BenchReport.json(sampleResults())
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let geomeans = try #require(object["geomean_ratios"] as? [String: Any])
        #expect(abs((geomeans["wasmtime/native"] as? Double ?? 0) - 4) < 1e-12)
        #expect(geomeans["apus-baseline/native"] is NSNull)
        let programs = try #require(object["programs"] as? [[String: Any]])
        #expect(programs.count == 2)
        #expect((object["problems"] as? [String])?.count == 1)
    }

    @Test func chartIsOneSVGWithABarPerRatio() {
        let svg = BenchChart.svg(sampleResults())
        #expect(svg.hasPrefix("<svg"))
        #expect(svg.hasSuffix("</svg>\n"))
        // wasmtime: 2 programs + geomean; wasmkit: program a only + its geomean.
        #expect(svg.components(separatedBy: "<title>").count - 1 == 5)
    }
}

@Suite struct ApusColumnTests {
    @Test func everyTierRunsWithAndWithoutCPUSpecificCode() {
        let ids = ApusEngine.variants().map(\.id)
        #expect(ids.contains("apus-baseline"))
        #expect(ids.contains("apus-baseline-generic"))
        #expect(ids.contains("apus-baseline-sse4"))
        #expect(ids.contains("apus-optimizing-sse4"))
        #expect(ApusEngine.variants().allSatisfy { $0.unavailableReason() == nil })
    }

    @Test func apusColumnsCompileAndRunTheBenchEntryPoint() throws {
        let bytes = try wat2wasm("""
            (module (func (export "run") (param i32) (result i64)
              (i64.mul (i64.extend_i32_s (local.get 0)) (i64.const -3))))
            """)
        for engine in ApusEngine.variants() {
            let compiled = try engine.compile(bytes)
            #expect(try engine.run(compiled, n: 14) == -42)
        }
        #expect(throws: (any Error).self) { try ApusEngine.variants()[0].compile([0, 1, 2]) }
    }
}
