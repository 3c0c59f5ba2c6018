import Testing
import WasmCompiler
import WasmFrontEnd
@testable import WasmRuntime

/// Tiered execution: baseline code that counts, tier-up of hot functions through the redirect
/// slot, and on-stack replacement at loop headers.
@Suite struct TieredExecutionTests {
    /// Compilation on the thread that runs out (deterministic), unless `background`.
    static func tiered(threshold: Int, _ strategy: BoundsCheckStrategy = .guardRegion, background: Bool = false) -> Fixture {
        Fixture(boundsChecks: strategy) {
            $0.tier = .tiered
            $0.tierUpThreshold = threshold
            $0.backgroundTierUp = background
        }
    }

    static func waitForBackgroundCompiles(_ tierUp: TierUp) {
        var spins = 0
        while tierUp.isCompiling && spins < 10_000_000 { spins += 1 }
    }

    /// A loop carrying every kind of state: parameters, declared locals of each type, an
    /// operand below the loop (the first 1000 pushed before it) and a loop parameter (the second).
    static let loops = """
        (module (memory 1)
          (func $sum (export "sum") (param $n i32) (result i64)
            (local $i i32) (local $total i64) (local $f f64) (local $g f32)
            i64.const 1000 i64.const 1000
            (loop $again (param i64) (result i64)
              local.set $total
              (i32.store (i32.const 16) (local.get $i))
              (local.set $f (f64.add (local.get $f) (f64.const 0.5)))
              (local.set $g (f32.add (local.get $g) (f32.const 2)))
              (local.set $total (i64.add (local.get $total) (i64.extend_i32_u (i32.load (i32.const 16)))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              local.get $total
              (br_if $again (i32.lt_u (local.get $i) (local.get $n))))
            i64.add
            (i64.trunc_f64_s (local.get $f)) i64.add
            (i64.trunc_f32_s (local.get $g)) i64.add)
          (func $fib (export "fib") (param i32) (result i32)
            (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
              (then (local.get 0))
              (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                             (call $fib (i32.sub (local.get 0) (i32.const 2))))))))
        """

    static func expectedSum(_ n: Int64) -> Int64 {
        // 1000 + (1000 + Σi) + ⌊n/2⌋ + 2n
        1000 + 1000 + n * (n - 1) / 2 + n / 2 + 2 * n
    }

    @Test(arguments: [BoundsCheckStrategy.guardRegion, .explicit])
    func onStackReplacementContinuesTheRunningLoop(strategy: BoundsCheckStrategy) throws {
        let fixture = Self.tiered(threshold: 100, strategy)
        let instance = try fixture.instantiate(Self.loops)
        let sum = try #require(instance.function("sum"))
        // One call: the loop runs 100 iterations in baseline code, then continues in the
        // on-stack-replacement entry.
        #expect(try sum.call([.i32(10_000)]) == [.i64(UInt64(Self.expectedSum(10_000)))])
        let tierUp = try #require(instance.module.tierUp)
        #expect(tierUp.osrEntryCount == 1)
        #expect(tierUp.isOptimized(definedIndex: 0))
        // Later calls enter the optimised function through the redirect.
        #expect(try sum.call([.i32(5)]) == [.i64(UInt64(Self.expectedSum(5)))])
        #expect(try sum.call([.i32(1)]) == [.i64(UInt64(Self.expectedSum(1)))])
    }

    @Test func backgroundCompilationReachesARunningLoop() throws {
        let instance = try Self.tiered(threshold: 100, background: true).instantiate(Self.loops)
        let sum = try #require(instance.function("sum"))
        // The loop asks every 100 iterations; the compile thread's entry arrives while it runs.
        #expect(try sum.call([.i32(3_000_000)]) == [.i64(UInt64(Self.expectedSum(3_000_000)))])
        let tierUp = try #require(instance.module.tierUp)
        Self.waitForBackgroundCompiles(tierUp)
        #expect(tierUp.isOptimized(definedIndex: 0))
        #expect(tierUp.osrEntryCount == 1)
        #expect(try sum.call([.i32(7)]) == [.i64(UInt64(Self.expectedSum(7)))])
    }

    @Test func hotRecursiveFunctionTiersUpMidRecursion() throws {
        let instance = try Self.tiered(threshold: 50).instantiate(Self.loops)
        let fib = try #require(instance.function("fib"))
        // The first call's recursion crosses the threshold: older activations finish in
        // baseline code while newer calls already run optimised code.
        #expect(try fib.call([.i32(20)]) == [.i32(6765)])
        let tierUp = try #require(instance.module.tierUp)
        #expect(tierUp.isOptimized(definedIndex: 1))
        #expect(try fib.call([.i32(15)]) == [.i32(610)])
    }

    @Test func zeroThresholdOptimisesAtTheFirstEntry() throws {
        let instance = try Self.tiered(threshold: 0).instantiate(Self.loops)
        let sum = try #require(instance.function("sum"))
        for n in [1, 2, 3, 77] as [Int64] {
            #expect(try sum.call([.i32(UInt32(n))]) == [.i64(UInt64(Self.expectedSum(n)))])
        }
        let tierUp = try #require(instance.module.tierUp)
        #expect(tierUp.isOptimized(definedIndex: 0))
        #expect(tierUp.osrEntryCount == 1)
    }

    @Test func trapsInOptimisedCodeKeepTheirBacktrace() throws {
        let instance = try Self.tiered(threshold: 0).instantiate("""
            (module
              (func $divide (export "divide") (param i32 i32) (result i32)
                (local $k i32)
                (loop $l (local.set $k (i32.add (local.get $k) (i32.const 1)))
                  (br_if $l (i32.lt_u (local.get $k) (i32.const 10))))
                local.get 0 local.get 1 i32.div_s)
              (func $outer (export "outer") (result i32)
                i32.const 1 i32.const 0 call $divide))
            """)
        let outer = try #require(instance.function("outer"))
        for _ in 0..<2 {
            do {
                _ = try outer.call([])
                Issue.record("expected a trap")
            } catch {
                #expect(error.kind == .integerDivideByZero)
                #expect(error.backtrace.first?.functionName == "divide")
                #expect(error.backtrace.last?.functionName == "outer")
            }
        }
    }

    @Test func vectorLoopsTierUpAndEnterByOnStackReplacement() throws {
        let instance = try Self.tiered(threshold: 0).instantiate("""
            (module
              (func (export "lanes") (param i32) (result i32)
                (local $v v128) (local $i i32)
                (loop $l
                  (local.set $v (i32x4.add (local.get $v) (i32x4.splat (local.get 0))))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br_if $l (i32.lt_u (local.get $i) (i32.const 10))))
                (i32x4.extract_lane 2 (local.get $v))))
            """)
        let lanes = try #require(instance.function("lanes"))
        #expect(try lanes.call([.i32(3)]) == [.i32(30)])
        #expect(try lanes.call([.i32(4)]) == [.i32(40)])
        let tierUp = try #require(instance.module.tierUp)
        #expect(tierUp.isOptimized(definedIndex: 0))
        #expect(tierUp.osrEntryCount == 1)
    }

    /// Nested loops: the inner loop gets hot first, so on-stack replacement enters it in the
    /// middle of an outer iteration. The outer loop's code before the inner loop must still run
    /// on the outer loop's later iterations (an entry straight to the inner header once lost it).
    /// `$stacked` keeps an operand pushed inside the outer loop below the inner one.
    static let nestedLoops = """
        (module
          (func (export "nested") (param $n i32) (result i64)
            (local $i i32) (local $j i32) (local $k i32) (local $acc i64) (local $row i64)
            (loop $outer
              (local.set $row (i64.extend_i32_u (i32.mul (local.get $i) (i32.const 3))))
              (local.set $j (i32.const 0))
              (loop $inner
                (local.set $k (i32.const 0))
                (loop $innermost
                  (local.set $row (i64.add (local.get $row) (i64.extend_i32_u (local.get $k))))
                  (local.set $k (i32.add (local.get $k) (i32.const 1)))
                  (br_if $innermost (i32.lt_u (local.get $k) (i32.const 3))))
                (local.set $row (i64.add (local.get $row) (i64.extend_i32_u (local.get $j))))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br_if $inner (i32.lt_u (local.get $j) (local.get $n))))
              (local.set $acc (i64.add (i64.mul (local.get $acc) (i64.const 31)) (local.get $row)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $outer (i32.lt_u (local.get $i) (local.get $n))))
            local.get $acc)
          (func (export "stacked") (param $n i32) (result i64)
            (local $i i32) (local $j i32) (local $acc i64) (local $row i64)
            (loop $outer
              local.get $acc
              (local.set $row (i64.extend_i32_u (local.get $i)))
              (local.set $j (i32.const 0))
              (loop $inner
                (local.set $row (i64.add (local.get $row) (i64.extend_i32_u (local.get $j))))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br_if $inner (i32.lt_u (local.get $j) (local.get $n))))
              (i64.mul (i64.const 7))
              local.get $row i64.add
              local.set $acc
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $outer (i32.lt_u (local.get $i) (local.get $n))))
            local.get $acc))
        """

    static func expectedNested(_ n: UInt32) -> UInt64 {
        var acc: UInt64 = 0
        for i in 0..<n {
            var row = UInt64(i * 3)
            for j in 0..<n { row &+= 3 + UInt64(j) }
            acc = acc &* 31 &+ row
        }
        return acc
    }

    static func expectedStacked(_ n: UInt32) -> UInt64 {
        var acc: UInt64 = 0
        for i in 0..<n {
            var row = UInt64(i)
            for j in 0..<n { row &+= UInt64(j) }
            acc = acc &* 7 &+ row
        }
        return acc
    }

    @Test(arguments: [1, 2, 3, 7, 50, 1000])
    func onStackReplacementInsideNestedLoops(threshold: Int) throws {
        let instance = try Self.tiered(threshold: threshold).instantiate(Self.nestedLoops)
        let nested = try #require(instance.function("nested"))
        let stacked = try #require(instance.function("stacked"))
        for n: UInt32 in [40, 1, 3, 200] {
            #expect(try nested.call([.i32(n)]) == [.i64(Self.expectedNested(n))])
            #expect(try stacked.call([.i32(n)]) == [.i64(Self.expectedStacked(n))])
        }
        let tierUp = try #require(instance.module.tierUp)
        #expect(tierUp.isOptimized(definedIndex: 0))
        #expect(tierUp.isOptimized(definedIndex: 1))
    }
}
