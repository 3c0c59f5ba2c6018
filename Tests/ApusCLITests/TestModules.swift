import WAT

/// Builds test modules from the text format.
enum TestModules {
    static func wasm(_ text: String, names: Bool = false) throws -> [UInt8] {
        try wat2wasm(text, features: [.referenceTypes, .simd], options: EncodeOptions(nameSection: names))
    }
}
