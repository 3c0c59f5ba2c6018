/// Text helpers that keep this module usable inside the kernel.
///
/// In the kernel, a Swift string literal longer than 15 bytes lives at a negative address,
/// which Embedded Swift's `String` mistakes for a foreign string: the first read of it traps.
/// So every literal of this module that may end up read (a message, a directive kind) longer
/// than 15 bytes is written as `text("…")`, which copies the bytes into an ordinary string.
/// Strings made by other modules from their literals (the runtime's trap messages, the front
/// end's errors) are read only through a `SpecMessageReader`, which the kernel supplies.
@inline(never)
func text(_ literal: StaticString) -> String {
    literal.withUTF8Buffer { String(decoding: $0, as: UTF8.self) }
}

// The enums of this module that carry arrays or strings are `indirect`: in the kernel, static
// objects such as the empty-array storage live at negative addresses, and a multi-payload enum
// that keeps its tag in a payload pointer's spare (top) bits corrupts such a pointer (the
// kernel then faults releasing it). Boxed payloads keep the tag in the heap box's pointer.
// For the same reason results are never returned as `Result<Module, …>`-like enums here.

/// Turns a string that another module produced (possibly from one of its literals) into one
/// that can be read on this platform. Hosted: the identity.
public typealias SpecMessageReader = (String) -> String

/// Byte-level string utilities (no Foundation; independent of Unicode tables).
enum SpecStrings {
    /// Whether `needle`'s bytes occur in `haystack`'s.
    static func contains(_ haystack: String, _ needle: String) -> Bool {
        let whole = Array(haystack.utf8)
        let part = Array(needle.utf8)
        guard !part.isEmpty else { return true }
        guard part.count <= whole.count else { return false }
        for start in 0...(whole.count - part.count) where whole[start] == part[0] {
            var index = 1
            while index < part.count, whole[start + index] == part[index] { index += 1 }
            if index == part.count { return true }
        }
        return false
    }

    /// Whether every byte is an ASCII digit (and there is at least one).
    static func isDigits<S: Sequence>(_ bytes: S) -> Bool where S.Element == UInt8 {
        var any = false
        for byte in bytes {
            guard byte >= 48, byte <= 57 else { return false }
            any = true
        }
        return any
    }

    /// `value` in hexadecimal, zero-padded to `digits`.
    static func hex<T: BinaryInteger>(_ value: T, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.utf8.count)) + text
    }
}
