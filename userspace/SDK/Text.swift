// Byte-wise string comparison. Apus compares names (paths, commands, variables) as UTF-8 bytes,
// as Unix does; these shadow the standard library's canonical-equivalence versions, which
// would link the Unicode normalisation tables and code into every program (~60 KB).

extension String {
    /// True if both strings have the same UTF-8 bytes.
    static func == (lhs: String, rhs: String) -> Bool { lhs.utf8.elementsEqual(rhs.utf8) }
    static func != (lhs: String, rhs: String) -> Bool { !lhs.utf8.elementsEqual(rhs.utf8) }

    /// True if the UTF-8 bytes of `self` start with those of `prefix`.
    func hasPrefix(_ prefix: String) -> Bool { utf8.starts(with: prefix.utf8) }

    /// True if the UTF-8 bytes of `self` end with those of `suffix`.
    func hasSuffix(_ suffix: String) -> Bool {
        let count = utf8.count, suffixCount = suffix.utf8.count
        return suffixCount <= count && utf8.dropFirst(count - suffixCount).elementsEqual(suffix.utf8)
    }
}

extension Optional where Wrapped == String {
    static func == (lhs: String?, rhs: String?) -> Bool {
        switch (lhs, rhs) {
        case (nil, nil): return true
        case (let l?, let r?): return l == r
        default: return false
        }
    }
}
