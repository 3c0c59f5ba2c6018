import Foundation

/// Renders `BenchResults` as a text table, JSON and an SVG chart.
public enum BenchReport {
    // MARK: Text

    public static func text(_ results: BenchResults) -> String {
        var lines: [String] = []
        let clockName = results.clock == .cpu ? "process CPU time" : "wall time"
        lines.append(
            "apus bench — \(results.size.rawValue) sizes, \(clockName), \(results.reps) repetition(s)"
                + (results.interpreterReps != results.reps ? " (\(results.interpreterReps) for interpreters)" : ""))
        let ran = results.columns.filter { $0.unavailable == nil }
        for column in results.columns {
            let detail = column.unavailable.map { "unavailable — \($0)" } ?? (column.version ?? "")
            lines.append("  \(pad(column.id, 24)) \(detail)")
        }

        lines.append("")
        lines.append("Execution time, milliseconds: min / median")
        var header = pad("program", 14) + pad("n", 10)
        for column in ran { header += pad(column.id, 22) }
        lines.append(header)
        for (index, program) in results.programs.enumerated() {
            var row = pad(program.name, 14) + pad(String(n(program, results.size)), 10)
            for column in ran {
                if let stats = results.runStats(column.id, index) {
                    row += pad(milliseconds(stats.min) + " / " + milliseconds(stats.median), 22)
                } else {
                    row += pad(results.problem(column.id, index) != nil ? "FAILED" : "-", 22)
                }
            }
            lines.append(row)
        }

        let pairs = results.ratioPairs
        if !pairs.isEmpty {
            lines.append("")
            lines.append("Ratios of min execution time (lower is faster for the first engine)")
            let titles = pairs.map { "\($0.numerator)/\($0.denominator)" }
            let widths = titles.map { $0.count + 2 }
            func row(_ label: String, _ cells: [String]) -> String {
                pad(label, 14) + zip(cells, widths).map { pad($0, $1) }.joined()
            }
            lines.append(row("program", titles))
            for index in results.programs.indices {
                lines.append(
                    row(results.programs[index].name,
                        pairs.map { ratio(results.ratio($0.numerator, $0.denominator, index)) }))
            }
            lines.append(row("geomean", pairs.map { ratio(results.ratioGeometricMean($0.numerator, $0.denominator)) }))
        }

        let compilers = ran.filter { column in results.programs.indices.contains { results.compileStats(column.id, $0) != nil } }
        if !compilers.isEmpty {
            lines.append("")
            lines.append("Compilation, milliseconds: min / median (module bytes)")
            lines.append(pad("program", 14) + pad("bytes", 8) + compilers.map { pad($0.id, 22) }.joined())
            for (index, program) in results.programs.enumerated() {
                let bytes = compilers.compactMap { results.measurement($0.id, index)?.wasmBytes }.first { $0 > 0 }
                var row = pad(program.name, 14) + pad(bytes.map(String.init) ?? "-", 8)
                for column in compilers {
                    if let stats = results.compileStats(column.id, index) {
                        row += pad(milliseconds(stats.min) + " / " + milliseconds(stats.median), 22)
                    } else {
                        row += pad("-", 22)
                    }
                }
                lines.append(row)
            }
            lines.append("")
            lines.append("Compile throughput (all modules: total bytes / sum of min compile times)")
            for column in compilers {
                if let throughput = results.compileThroughput(column.id) {
                    lines.append(
                        "  \(pad(column.id, 24)) \(String(format: "%.3f", throughput.megabytesPerSecond)) MB/s"
                            + "  (\(throughput.bytes) bytes in \(milliseconds(throughput.seconds)) ms)")
                }
            }
        }

        lines.append("")
        let problems = results.problems
        if problems.isEmpty {
            let others = ran.count - 1
            lines.append(
                "Checksums: \(others) engine(s) reproduced \(results.referenceID ?? "-")'s checksum"
                    + " on all \(results.programs.count) programs.")
        } else {
            lines.append("PROBLEMS (\(problems.count)):")
            lines += problems.map { "  " + $0 }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: JSON

    public static func json(_ results: BenchResults) throws -> Data {
        var programs: [[String: Any]] = []
        for (index, program) in results.programs.enumerated() {
            var cells: [String: Any] = [:]
            for column in results.columns {
                guard let cell = results.measurement(column.id, index) else { continue }
                var entry: [String: Any] = [
                    "checksum": cell.checksum.map { String($0) as Any } ?? NSNull(),
                    "problem": results.problem(column.id, index) ?? NSNull(),
                    "run": timings(wall: cell.runWall, cpu: cell.runCPU),
                ]
                if cell.wasmBytes > 0 { entry["wasm_bytes"] = cell.wasmBytes }
                if !cell.compileWall.isEmpty || !cell.compileCPU.isEmpty {
                    entry["compile"] = timings(wall: cell.compileWall, cpu: cell.compileCPU)
                }
                cells[column.id] = entry
            }
            var ratios: [String: Any] = [:]
            for pair in results.ratioPairs {
                ratios["\(pair.numerator)/\(pair.denominator)"] =
                    results.ratio(pair.numerator, pair.denominator, index) ?? NSNull()
            }
            programs.append([
                "name": program.name, "category": program.category, "n": Int(n(program, results.size)),
                "what_n_means": program.summary, "results": cells, "ratios": ratios,
            ])
        }
        var geomeans: [String: Any] = [:]
        for pair in results.ratioPairs {
            geomeans["\(pair.numerator)/\(pair.denominator)"] =
                results.ratioGeometricMean(pair.numerator, pair.denominator) ?? NSNull()
        }
        var throughput: [String: Any] = [:]
        for column in results.columns {
            if let value = results.compileThroughput(column.id) { throughput[column.id] = value.megabytesPerSecond }
        }
        let engines: [[String: Any]] = results.columns.map { column in
            [
                "id": column.id, "version": column.version ?? NSNull(),
                "unavailable": column.unavailable ?? NSNull(),
            ]
        }
        let root: [String: Any] = [
            "size": results.size.rawValue,
            "clock": results.clock.rawValue,
            "ratio_statistic": "min",
            "reps": results.reps,
            "interpreter_reps": results.interpreterReps,
            "reference": results.referenceID ?? NSNull(),
            "engines": engines,
            "programs": programs,
            "geomean_ratios": geomeans,
            "compile_throughput_mb_per_s": throughput,
            "problems": results.problems,
        ]
        return try JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys])
    }

    private static func timings(wall: [Double], cpu: [Double]) -> [String: Any] {
        var result: [String: Any] = ["wall_seconds": wall, "cpu_seconds": cpu]
        if let stats = BenchStats(wall) { result["wall_min"] = stats.min; result["wall_median"] = stats.median }
        if let stats = BenchStats(cpu) { result["cpu_min"] = stats.min; result["cpu_median"] = stats.median }
        return result
    }

    // MARK: Helpers

    static func n(_ program: BenchProgram, _ size: BenchSize) -> Int32 {
        size == .tiny ? program.tinySize : program.realSize
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    static func milliseconds(_ value: Double) -> String {
        let ms = value * 1000
        return ms >= 100 ? String(format: "%.0f", ms) : String(format: "%.3g", ms)
    }
    static func ratio(_ value: Double?) -> String { value.map { String(format: "%.2f", $0) } ?? "-" }
}
