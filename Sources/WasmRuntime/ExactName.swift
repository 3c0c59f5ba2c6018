/// A name compared byte for byte. WebAssembly names match only when their UTF-8 bytes are
/// identical, while Swift's `String` equality treats canonically equivalent spellings (e.g.
/// "\u{C5}" and "A\u{30A}") as equal — so import/export lookup must not key on `String`.
struct ExactName: Hashable {
    let bytes: [UInt8]

    init(_ name: String) {
        bytes = Array(name.utf8)
    }
}
