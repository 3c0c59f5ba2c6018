/// The outcome of one check in a spec script.
public indirect enum SpecOutcome: Equatable, Sendable {
    case passed
    /// What was expected and what happened instead.
    case failed(String)
    /// Why the check was not run.
    case skipped(String)
}

/// One check: a directive, or one part of it (a `module` is checked for validity, then
/// instantiated — two checks).
public struct SpecCheck: Equatable, Sendable {
    /// Line of the directive in the script (1-based).
    public var line: Int
    /// The directive's keyword (`module`, `assert_invalid`, …), or `module instantiation`.
    public var kind: String
    public var outcome: SpecOutcome
    /// For assertions that a module is rejected: the message the script expects, and ours.
    public var expectedMessage: String?
    public var actualMessage: String?

    public init(line: Int, kind: String, outcome: SpecOutcome, expectedMessage: String? = nil, actualMessage: String? = nil) {
        self.line = line
        self.kind = kind
        self.outcome = outcome
        self.expectedMessage = expectedMessage
        self.actualMessage = actualMessage
    }
}

/// Passed, failed and skipped counts.
public struct SpecCounts: Equatable, Sendable {
    public var passed = 0
    public var failed = 0
    public var skipped = 0

    public init(passed: Int = 0, failed: Int = 0, skipped: Int = 0) {
        self.passed = passed
        self.failed = failed
        self.skipped = skipped
    }

    public mutating func add(_ outcome: SpecOutcome) {
        switch outcome {
        case .passed: passed += 1
        case .failed: failed += 1
        case .skipped: skipped += 1
        }
    }

    public static func + (lhs: SpecCounts, rhs: SpecCounts) -> SpecCounts {
        SpecCounts(passed: lhs.passed + rhs.passed, failed: lhs.failed + rhs.failed, skipped: lhs.skipped + rhs.skipped)
    }

    /// `N passed, N failed, N skipped`.
    public var description: String {
        String(passed) + " passed, " + String(failed) + " failed, " + String(skipped) + " skipped"
    }
}

/// Everything one script produced.
public struct SpecFileResult: Sendable {
    /// The path the script was read from.
    public var path: String
    public var checks: [SpecCheck] = []
    /// Set when the script could not be read at all (it then counts as one failure).
    public var fileError: String?

    public init(path: String) {
        self.path = path
    }

    public var counts: SpecCounts {
        var counts = SpecCounts()
        if fileError != nil { counts.failed += 1 }
        for check in checks { counts.add(check.outcome) }
        return counts
    }

    public var failures: [SpecCheck] {
        checks.filter { if case .failed = $0.outcome { return true } else { return false } }
    }
}
