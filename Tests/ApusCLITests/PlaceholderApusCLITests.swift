import Testing
@Test func placeholderApusCLITests() { #expect(Bool(true)) }
