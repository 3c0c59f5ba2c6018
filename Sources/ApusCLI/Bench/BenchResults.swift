import Foundation

/// One column of the results: an engine and whether it could run.
public struct BenchColumn: Sendable {
    public var id: String
    public var version: String?
    /// Why the engine could not run; nil when it ran.
    public var unavailable: String?
    public var isApus: Bool

    public init(id: String, version: String?, unavailable: String?, isApus: Bool) {
        self.id = id
        self.version = version
        self.unavailable = unavailable
        self.isApus = isApus
    }
}

/// Everything one `apus bench` run measured, and the derived numbers every report shows.
public struct BenchResults: Sendable {
    public var size: BenchSize
    public var clock: BenchClock
    public var reps: Int
    public var interpreterReps: Int
    public var programs: [BenchProgram]
    public var columns: [BenchColumn]
    /// Per column id: one measurement per program, in `programs` order (absent if unavailable).
    public var measurements: [String: [BenchMeasurement]]
    /// The column whose checksums every other column must reproduce (native when it ran).
    public var referenceID: String?

    public init(
        size: BenchSize, clock: BenchClock, reps: Int, interpreterReps: Int, programs: [BenchProgram],
        columns: [BenchColumn], measurements: [String: [BenchMeasurement]]
    ) {
        self.size = size
        self.clock = clock
        self.reps = reps
        self.interpreterReps = interpreterReps
        self.programs = programs
        self.columns = columns
        self.measurements = measurements
        let ran = columns.filter { $0.unavailable == nil }.map(\.id)
        referenceID = ran.contains("native") ? "native" : ran.first
    }

    public func measurement(_ columnID: String, _ programIndex: Int) -> BenchMeasurement? {
        guard let cells = measurements[columnID], cells.indices.contains(programIndex) else { return nil }
        return cells[programIndex]
    }

    /// Execution statistics of a cell that ran and reproduced the reference checksum.
    public func runStats(_ columnID: String, _ programIndex: Int) -> BenchStats? {
        guard problem(columnID, programIndex) == nil, let cell = measurement(columnID, programIndex) else {
            return nil
        }
        return BenchStats(cell.runTimes(clock))
    }

    public func compileStats(_ columnID: String, _ programIndex: Int) -> BenchStats? {
        guard problem(columnID, programIndex) == nil, let cell = measurement(columnID, programIndex) else {
            return nil
        }
        return BenchStats(cell.compileTimes(clock))
    }

    /// Why a cell has no valid result: the engine failed, or its checksum differs from the
    /// reference. Nil for a good cell or an unavailable column.
    public func problem(_ columnID: String, _ programIndex: Int) -> String? {
        guard let cell = measurement(columnID, programIndex) else { return nil }
        if let error = cell.error { return "error: \(error)" }
        guard let checksum = cell.checksum else { return "error: no checksum" }
        if let referenceID, referenceID != columnID,
            let expected = measurement(referenceID, programIndex)?.checksum, expected != checksum
        {
            return "checksum \(checksum) differs from \(referenceID)'s \(expected)"
        }
        return nil
    }

    /// Every failed or disagreeing cell, as "program on engine: why".
    public var problems: [String] {
        columns.flatMap { column in
            programs.indices.compactMap { index in
                problem(column.id, index).map { "\(programs[index].name) on \(column.id): \($0)" }
            }
        }
    }

    /// The ratios the reports show: every engine against native, and Apus against Wasmtime.
    public var ratioPairs: [(numerator: String, denominator: String)] {
        let ids = columns.map(\.id)
        var pairs: [(String, String)] = []
        if ids.contains("native") {
            pairs += ids.filter { $0 != "native" }.map { ($0, "native") }
        }
        if ids.contains("wasmtime") {
            pairs += columns.filter(\.isApus).map { ($0.id, "wasmtime") }
        }
        return pairs
    }

    /// Minimum execution time of `numerator` over that of `denominator` for one program.
    public func ratio(_ numerator: String, _ denominator: String, _ programIndex: Int) -> Double? {
        guard let top = runStats(numerator, programIndex)?.min, let bottom = runStats(denominator, programIndex)?.min,
            bottom > 0
        else { return nil }
        return top / bottom
    }

    /// Geometric mean of a ratio over the programs where both sides have a result.
    public func ratioGeometricMean(_ numerator: String, _ denominator: String) -> Double? {
        geometricMean(programs.indices.compactMap { ratio(numerator, denominator, $0) })
    }

    /// Compile throughput of a column: total wasm bytes over the sum of minimum compile times,
    /// in MB/s (10^6 bytes), with the totals it came from.
    public func compileThroughput(_ columnID: String) -> (megabytesPerSecond: Double, bytes: Int, seconds: Double)? {
        var bytes = 0
        var seconds = 0.0
        for index in programs.indices {
            guard let stats = compileStats(columnID, index), let cell = measurement(columnID, index),
                cell.wasmBytes > 0
            else { continue }
            bytes += cell.wasmBytes
            seconds += stats.min
        }
        guard bytes > 0, seconds > 0 else { return nil }
        return (Double(bytes) / seconds / 1e6, bytes, seconds)
    }
}
