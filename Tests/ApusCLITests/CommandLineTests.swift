import ArgumentParser
import Foundation
import Testing
@testable import ApusCLI

@Suite struct ArgumentParsingTests {
    @Test func validateNeedsAtLeastOneFile() {
        #expect(throws: (any Error).self) { try ApusCommand.parseAsRoot(["validate"]) }
    }

    @Test func validateTakesSeveralFiles() throws {
        let command = try #require(try ApusCommand.parseAsRoot(["validate", "a.wasm", "b.wasm"]) as? ValidateCommand)
        #expect(command.files == ["a.wasm", "b.wasm"])
    }

    @Test func inspectTakesExactlyOneFile() throws {
        #expect(throws: (any Error).self) { try ApusCommand.parseAsRoot(["inspect"]) }
        #expect(throws: (any Error).self) { try ApusCommand.parseAsRoot(["inspect", "a.wasm", "b.wasm"]) }
        let command = try #require(try ApusCommand.parseAsRoot(["inspect", "a.wasm", "--json"]) as? InspectCommand)
        #expect(command.file == "a.wasm")
        #expect(command.json)
    }

    @Test func wastJsonOptionNeedsAFile() throws {
        #expect(throws: (any Error).self) { try ApusCommand.parseAsRoot(["wast", "x.wast", "--json"]) }
        #expect(throws: (any Error).self) { try ApusCommand.parseAsRoot(["wast"]) }
        let command = try #require(try ApusCommand.parseAsRoot(["wast", "--json", "out.json", "a.wast", "dir"]) as? WastCommand)
        #expect(command.json == "out.json")
        #expect(command.paths == ["a.wast", "dir"])
    }

    @Test func unknownSubcommandIsAnError() {
        #expect(throws: (any Error).self) { try ApusCommand.parseAsRoot(["frobnicate", "x"]) }
    }

    @Test func errorMessageNamesTheMissingArgument() {
        do {
            _ = try ApusCommand.parseAsRoot(["validate"])
            Issue.record("parsing should fail")
        } catch {
            #expect(ApusCommand.message(for: error).contains("<files>"))
        }
    }
}

@Suite struct ValidateOutputTests {
    @Test func missingFileIsReportedByName() {
        let line = ValidateCommand.check(path: "/nonexistent/missing.wasm")
        guard case .unreadable(let text) = line else {
            Issue.record("expected unreadable, got \(line)")
            return
        }
        #expect(text.hasPrefix("/nonexistent/missing.wasm: cannot read"))
    }

    @Test func directoryIsUnreadable() {
        guard case .unreadable(let text) = ValidateCommand.check(path: NSTemporaryDirectory()) else {
            Issue.record("a directory is not a module")
            return
        }
        #expect(text.contains("is a directory"))
    }

    @Test func validModuleLine() throws {
        let bytes = try TestModules.wasm("(module (func (export \"f\") (result i32) (i32.const 1)))")
        #expect(ValidateCommand.check(bytes: bytes, name: "ok.wasm") == .valid("ok.wasm: valid"))
    }

    @Test func malformedModuleLineHasOffsetAndMessage() {
        guard case .invalid(let text) = ValidateCommand.check(bytes: [0x00, 0x61, 0x73, 0x6D, 0x02, 0, 0, 0], name: "bad.wasm") else {
            Issue.record("a wrong version must be rejected")
            return
        }
        #expect(text.hasPrefix("bad.wasm: 0x"))
    }

    @Test func invalidModuleLine() throws {
        // Type-checks fail: the function returns i64 where i32 is declared.
        let bytes = try TestModules.wasm("(module (func (result i32) (i64.const 1)))")
        guard case .invalid(let text) = ValidateCommand.check(bytes: bytes, name: "bad.wasm") else {
            Issue.record("a type mismatch must be rejected")
            return
        }
        #expect(text.hasPrefix("bad.wasm: 0x"))
        #expect(text.contains("type mismatch"))
    }
}
