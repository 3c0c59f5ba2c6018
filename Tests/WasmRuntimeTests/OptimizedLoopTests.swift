import Testing
import WasmCompiler
@testable import WasmRuntime

/// Loop shapes the optimising tier's loop ranges must cover. Wasm lets an outer loop's back
/// edge sit inside an inner loop's body (`br $outer` from within `$inner`), so the outer loop's
/// last back edge comes before the inner loop ends; a value used only at the top of the outer
/// loop must stay live through all of the inner loop (Swift's `for word in array { for shift in
/// stride(…) }` compiles to this, and sha256sum once printed one word of its digest and zeros).
@Suite struct OptimizedLoopTests {
    static let outerBackEdgeInsideInnerLoop = """
        (module
          (func $mix (param i32) (result i32) (i32.xor (local.get 0) (i32.const 0x5a5a)))
          (func (export "words") (param $n i32) (result i32)
            (local $i i32) (local $k i32) (local $word i32) (local $acc i32) (local $base i32) (local $step i32)
            (local.set $base (i32.mul (local.get $n) (i32.const 7)))
            (local.set $step (i32.add (local.get $n) (i32.const 3)))
            (loop $outer
              ;; $base and $step are used here only.
              (local.set $word (i32.add (i32.mul (local.get $base) (local.get $i)) (local.get $step)))
              (local.set $k (i32.const 4))
              (loop $inner
                (if (i32.eqz (local.get $k))
                  (then
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br_if $outer (i32.lt_u (local.get $i) (local.get $n)))
                    (return (local.get $acc))))
                ;; After the outer loop's back edge in layout order: a call and some pressure.
                (local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const 31))
                  (call $mix (i32.shr_u (local.get $word) (i32.shl (local.get $k) (i32.const 2))))))
                (local.set $acc (i32.xor (local.get $acc)
                  (i32.add (i32.mul (local.get $k) (i32.const 13)) (i32.rotl (local.get $acc) (local.get $k)))))
                (local.set $k (i32.sub (local.get $k) (i32.const 1)))
                (br $inner)))
            unreachable))
        """

    static func expectedWords(_ n: UInt32) -> UInt32 {
        let base = n &* 7, step = n &+ 3
        var acc: UInt32 = 0
        for i in 0..<n {
            let word = base &* i &+ step
            var k: UInt32 = 4
            while k != 0 {
                acc = acc &* 31 &+ ((word >> (k << 2)) ^ 0x5a5a)
                acc ^= k &* 13 &+ ((acc << (k & 31)) | (acc >> ((32 - k) & 31)))
                k -= 1
            }
        }
        return acc
    }

    @Test(arguments: [CompilerTier.optimizing, .tiered, .baseline])
    func outerBackEdgeInsideInnerLoopKeepsValuesLive(tier: CompilerTier) throws {
        let fixture = Fixture { $0.tier = tier; $0.tierUpThreshold = 0 }
        let words = try #require(try fixture.instantiate(Self.outerBackEdgeInsideInnerLoop).function("words"))
        for n: UInt32 in [1, 2, 3, 8, 100] {
            #expect(try words.call([.i32(n)]) == [.i32(Self.expectedWords(n))])
        }
    }
}
