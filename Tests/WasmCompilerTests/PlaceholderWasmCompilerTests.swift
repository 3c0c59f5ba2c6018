import Testing
@Test func placeholderWasmCompilerTests() { #expect(Bool(true)) }
