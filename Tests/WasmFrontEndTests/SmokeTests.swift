import Testing
@testable import WasmFrontEnd

@Test func numericSignatures() {
    #expect(NumericOperation.i32Add.signature.result == .i32)
}
