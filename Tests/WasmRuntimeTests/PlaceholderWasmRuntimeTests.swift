import Testing
@Test func placeholderWasmRuntimeTests() { #expect(Bool(true)) }
