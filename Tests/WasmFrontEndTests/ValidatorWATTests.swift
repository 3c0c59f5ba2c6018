import Testing
import WAT
import WasmFrontEnd

// End-to-end: WAT text → WasmKit's encoder → our decoder → validateModule.

private func validationError(_ text: String) throws -> WasmError? {
    let bytes = try wat2wasm(text)
    do throws(WasmError) {
        try validateModule(try decodeModule(bytes))
        return nil
    } catch {
        return error
    }
}

@Test func validatesARealisticModule() throws {
    let error = try validationError("""
        (module
          (type $binary (func (param i32 i32) (result i32)))
          (import "env" "log" (func $log (param i32)))
          (memory (export "memory") 1 2)
          (table 2 funcref)
          (global $counter (mut i32) (i32.const 0))
          (elem (i32.const 0) $add $sub)
          (data (i32.const 16) "hello")
          (func $add (type $binary) (i32.add (local.get 0) (local.get 1)))
          (func $sub (type $binary) (i32.sub (local.get 0) (local.get 1)))
          (func (export "run") (param $n i32) (result i32)
            (local $i i32) (local $acc i64)
            (block $done
              (loop $next
                (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
                (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (local.get $i))))
                (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $next)))
            (call $log (i32.wrap_i64 (local.get $acc)))
            (i32.store8 offset=16 (i32.const 0) (i32.load8_u (i32.const 17)))
            (call_indirect (type $binary) (i32.const 7) (i32.const 5) (i32.const 1))))
        """)
    #expect(error == nil, "\(error?.description ?? "")")
}

@Test func validatesMultiValueBlocksFromText() throws {
    let error = try validationError("""
        (module
          (func (export "swap") (param i32 i64) (result i64 i32)
            (local.get 0) (local.get 1)
            (block (param i32 i64) (result i64 i32)
              (local.set 1) (local.set 0) (local.get 1) (local.get 0)))
          (func (param i32) (result i32)
            (i32.const 10)
            (if (param i32) (result i32) (local.get 0)
              (then (i32.const 1) (i32.add))
              (else (i32.const 2) (i32.mul)))))
        """)
    #expect(error == nil, "\(error?.description ?? "")")
}

@Test func reportsTheFunctionIndexAndOffset() throws {
    // Function 1 (after one import) has the error; its offset lies inside its body.
    let text = """
        (module
          (import "env" "f" (func))
          (func (result i32) (i64.const 0)))
        """
    let bytes = try wat2wasm(text)
    let module = try decodeModule(bytes)
    do throws(WasmError) {
        try validateModule(module)
        Issue.record("expected an error")
    } catch {
        #expect(error.message == "type mismatch")
        #expect(error.functionIndex == 1)
        #expect(module.functionBodies[0].code.contains(error.offset))
    }
}

@Test func refFuncDeclarationFromText() throws {
    #expect(try validationError("(module (func $f (drop (ref.func $f))))")?.message == "undeclared function reference")
    #expect(try validationError("(module (func $f (drop (ref.func $f))) (elem declare func $f))") == nil)
    #expect(try validationError("(module (func $f (export \"f\") (drop (ref.func $f))))") == nil)
}
