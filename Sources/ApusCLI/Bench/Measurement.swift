import Foundation

/// Which clock the table's times and ratios use. Every measurement records both.
public enum BenchClock: String, Sendable, CaseIterable {
    /// Process CPU time: robust on a machine shared with other work (the default).
    case cpu
    /// Wall-clock (monotonic) time.
    case wall
}

/// Times of one engine on one program: compilation and execution, each repeated.
public struct BenchMeasurement: Sendable {
    /// Size of the module compiled (0 for native code).
    public var wasmBytes: Int = 0
    public var compileWall: [Double] = []
    public var compileCPU: [Double] = []
    public var runWall: [Double] = []
    public var runCPU: [Double] = []
    /// `run(n)`'s result; nil when the engine failed.
    public var checksum: Int64?
    /// Why the engine failed (trap, load error, bad output); nil on success.
    public var error: String?

    public init() {}

    public static func failure(_ message: String) -> BenchMeasurement {
        var measurement = BenchMeasurement()
        measurement.error = message
        return measurement
    }

    public func compileTimes(_ clock: BenchClock) -> [Double] { clock == .cpu ? compileCPU : compileWall }
    public func runTimes(_ clock: BenchClock) -> [Double] { clock == .cpu ? runCPU : runWall }
}

/// Minimum and median of a sample.
public struct BenchStats: Sendable, Equatable {
    public var min: Double
    public var median: Double

    public init?(_ values: [Double]) {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        min = sorted[0]
        let middle = sorted.count / 2
        median = sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}

/// Geometric mean of positive values; nil when there are none.
public func geometricMean(_ values: [Double]) -> Double? {
    let positive = values.filter { $0 > 0 && $0.isFinite }
    guard !positive.isEmpty else { return nil }
    return exp(positive.map { log($0) }.reduce(0, +) / Double(positive.count))
}

/// Both clocks, read together.
struct ClockReading {
    var wall: Double
    var cpu: Double

    static func now() -> ClockReading {
        ClockReading(wall: read(CLOCK_MONOTONIC), cpu: read(CLOCK_PROCESS_CPUTIME_ID))
    }

    private static func read(_ clock: clockid_t) -> Double {
        var spec = timespec()
        clock_gettime(clock, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) * 1e-9
    }
}
