import Testing
@testable import ApusCLI

/// `apus wasi-test --in-kernel` reads the kernel's `wasi| …` lines off the serial console and
/// judges them like the hosted run.
@Suite struct InKernelWasiRunTests {
    @Test func parsesResultLinesAndIgnoresKernelLog() {
        var report = InKernelWasiRun.Report()
        report.consume("[    1.000000] cpu0 INFO  boot image: 3 entries")
        report.consume("wasi| out 3 68656c6c")
        report.consume("wasi| out 3 6f0a")
        report.consume("wasi| err 3 21")
        report.consume("wasi| exit 3 7")
        report.consume("wasi| trap 4 out of bounds memory access")
        report.consume("wasi| exit 4 130")
        report.consume("wasi| done 5 1234")
        #expect(report.results[3]?.stdout == Array("hello\n".utf8))
        #expect(report.results[3]?.stderr == Array("!".utf8))
        #expect(report.results[3]?.status == 7)
        #expect(report.results[4]?.trap == "out of bounds memory access")
        #expect(report.done)
        #expect(report.milliseconds == 1234)
        #expect(report.results[5] == nil)
    }

    @Test func judgesLikeTheHostedRun() {
        var specification = WasiTestCommand.Specification()
        specification.exitCode = 0
        specification.stdout = "hello\n"
        #expect(WasiTestCommand.judge(specification, .exited(0), stdout: "hello\n", stderr: "") == .passed)
        #expect(WasiTestCommand.judge(specification, .exited(1), stdout: "hello\n", stderr: "")
            == .failed("exit code 1, expected 0"))
        #expect(WasiTestCommand.judge(specification, .exited(0), stdout: "bye\n", stderr: "")
            == .failed("stdout \"bye\\n\", expected \"hello\\n\""))
        #expect(WasiTestCommand.judge(specification, .trapped("unreachable"), stdout: "", stderr: "")
            == .failed("trap: unreachable"))
    }

    @Test func listValuesAreHexadecimalUTF8() {
        let run = InKernelWasiRun(tests: [], smp: 1, timeoutSeconds: 1)
        #expect(run.hex("a\tb\n") == "610962" + "0a")
        #expect(InKernelWasiRun.Report.bytes(fromHex: run.hex("new\nline é")) == Array("new\nline é".utf8))
    }
}
