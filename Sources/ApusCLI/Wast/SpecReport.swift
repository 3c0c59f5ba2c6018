import Foundation

/// Finds scripts and renders results of `apus wast`.
public enum SpecReport {
    /// Expands files and folders (recursively, sorted) into `.wast` script paths. A path that
    /// does not exist is returned as is, so that reading it reports the error.
    public static func scriptPaths(_ paths: [String]) -> [String] {
        var scripts: [String] = []
        let fileManager = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard fileManager.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
                scripts.append(path)
                continue
            }
            var found: [String] = []
            if let enumerator = fileManager.enumerator(atPath: path) {
                for case let relative as String in enumerator where relative.hasSuffix(".wast") {
                    found.append((path as NSString).appendingPathComponent(relative))
                }
            }
            scripts += found.sorted()
        }
        return scripts
    }

    /// `name.wast: N passed, N failed, N skipped`, then one indented line per failure.
    public static func text(for file: SpecFileResult) -> String {
        var lines = [displayName(file.path) + ": " + file.counts.description]
        if let error = file.fileError { lines.append("  error: " + error) }
        for check in file.failures {
            if case .failed(let why) = check.outcome {
                lines.append("  line " + String(check.line) + ": " + check.kind + ": " + why)
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The totals over all files: the `N passed, N failed, N skipped` line.
    public static func totals(_ files: [SpecFileResult]) -> SpecCounts {
        files.reduce(SpecCounts()) { $0 + $1.counts }
    }

    /// Per-kind counts, e.g. `assert_invalid: 480 passed, 0 failed, 3 skipped`.
    public static func countsByKind(_ files: [SpecFileResult]) -> [(kind: String, counts: SpecCounts)] {
        var byKind: [String: SpecCounts] = [:]
        for file in files {
            for check in file.checks { byKind[check.kind, default: SpecCounts()].add(check.outcome) }
        }
        return byKind.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Rejections (passed `assert_malformed`/`assert_invalid`) whose message differs from the
    /// script's: not failures (the spec leaves messages to implementations) but worth knowing.
    public static func messageMismatches(_ files: [SpecFileResult]) -> Int {
        files.reduce(0) { count, file in
            count + file.checks.count { check in
                guard check.outcome == .passed, let expected = check.expectedMessage, let actual = check.actualMessage else { return false }
                return !actual.contains(expected) && !actual.hasPrefix("text parser")
            }
        }
    }

    /// Per-file and per-check results as a JSON object tree.
    public static func jsonObject(_ files: [SpecFileResult]) -> [String: Any] {
        let totals = totals(files)
        return [
            "passed": totals.passed, "failed": totals.failed, "skipped": totals.skipped,
            "files": files.map { file -> [String: Any] in
                let counts = file.counts
                var object: [String: Any] = [
                    "path": file.path, "passed": counts.passed, "failed": counts.failed, "skipped": counts.skipped,
                    "checks": file.checks.map { check -> [String: Any] in
                        var entry: [String: Any] = ["line": check.line, "kind": check.kind]
                        switch check.outcome {
                        case .passed: entry["result"] = "passed"
                        case .failed(let why): entry["result"] = "failed"; entry["reason"] = why
                        case .skipped(let why): entry["result"] = "skipped"; entry["reason"] = why
                        }
                        if let expected = check.expectedMessage { entry["expectedMessage"] = expected }
                        if let actual = check.actualMessage { entry["actualMessage"] = actual }
                        return entry
                    },
                ]
                if let error = file.fileError { object["error"] = error }
                return object
            },
        ]
    }

    static func displayName(_ path: String) -> String {
        (path as NSString).lastPathComponent
    }
}
