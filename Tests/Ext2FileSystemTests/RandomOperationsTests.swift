import Ext2FileSystem
import Foundation
import Testing

/// Random sequences of operations against a model (a dictionary of paths to contents): after
/// each sequence every file reads back as the model says, and e2fsck -fn finds the image clean.
@Suite(.enabled(if: E2fsprogs.available, "needs mke2fs, e2fsck and debugfs (Debian package e2fsprogs)"))
struct RandomOperationsTests {
    typealias FileSystem = Ext2FileSystem<MemoryBlockDevice>

    /// A small deterministic generator (xorshift), so a failure replays from its seed.
    struct Generator {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return Int(state % UInt64(bound))
        }
    }

    @Test(arguments: [(1024, 11), (4096, 12), (1024, 13)])
    func randomOperationsMatchTheModel(blockSize: Int, seed: UInt64) throws {
        let image = try Image(kibibytes: 4096, blockSize: blockSize)
        var fs = try image.mount()
        var random = Generator(state: seed &* 0x9E37_79B9_7F4A_7C15)
        let root = FileSystem.rootInode
        let directories = ["d0", "d1", "d2"]
        for name in directories { _ = try fs.makeDirectory(name, in: root) }
        var model: [String: [UInt8]] = [:]  // "dN/fM" → contents
        func split(_ path: String) throws -> (UInt32, String) {
            let parts = path.split(separator: "/").map(String.init)
            return (try fs.lookup(parts[0], in: root), parts[1])
        }
        for step in 0..<600 {
            fs.now = 1_700_000_000 + UInt32(step)
            let path = directories[random.next(3)] + "/f" + String(random.next(12))
            let (directory, name) = try split(path)
            switch random.next(6) {
            case 0, 1:  // write somewhere (possibly past the end: a hole)
                let offset = random.next(3) == 0 ? random.next(300_000) : random.next(20_000)
                let bytes = pattern(1 + random.next(40_000), seed: UInt32(step))
                let file: UInt32
                if model[path] == nil { file = try fs.createFile(name, in: directory); model[path] = [] }
                else { file = try fs.lookup(name, in: directory) }
                do {
                    try fs.write(bytes, to: file, at: UInt64(offset))
                } catch .noSpace {
                    // Only the bytes that fitted landed; take the size the file now has.
                    let size = Int(try fs.attributes(of: file).size)
                    var contents = model[path]!
                    if contents.count < offset { contents += [UInt8](repeating: 0, count: offset - contents.count) }
                    let fitted = max(0, size - offset)
                    contents.replaceSubrange(offset..<min(contents.count, offset + fitted), with: bytes[0..<fitted])
                    model[path] = contents
                    continue
                }
                var contents = model[path]!
                if contents.count < offset { contents += [UInt8](repeating: 0, count: offset - contents.count) }
                contents.replaceSubrange(offset..<min(contents.count, offset + bytes.count), with: bytes)
                model[path] = contents
            case 2:  // truncate
                guard var contents = model[path] else { continue }
                let size = random.next(60_000)
                try fs.truncate(fs.lookup(name, in: directory), to: UInt64(size))
                if size < contents.count { contents.removeLast(contents.count - size) }
                else { contents += [UInt8](repeating: 0, count: size - contents.count) }
                model[path] = contents
            case 3:  // unlink
                if model[path] == nil {
                    #expect(throws: Ext2Error.notFound) { try fs.unlink(name, in: directory) }
                } else {
                    try fs.unlink(name, in: directory)
                    model[path] = nil
                }
            case 4:  // rename, maybe over another file
                guard let contents = model[path] else { continue }
                let target = directories[random.next(3)] + "/f" + String(random.next(12))
                let (newDirectory, newName) = try split(target)
                try fs.rename(name, in: directory, to: newName, in: newDirectory)
                model[path] = nil
                model[target] = contents
            default:  // read a piece back
                guard let contents = model[path] else { continue }
                let offset = random.next(contents.count + 1)
                let read = try fs.read(fs.lookup(name, in: directory), at: UInt64(offset), count: 5000)
                #expect(read == Array(contents[offset..<min(contents.count, offset + 5000)]), "step \(step): \(path)")
            }
        }
        for (path, contents) in model {
            let (directory, name) = try split(path)
            #expect(try fs.read(fs.lookup(name, in: directory), at: 0, count: contents.count + 1) == contents, "\(path)")
        }
        for name in directories {
            let listed = try fs.entries(of: fs.lookup(name, in: root)).map(\.name).filter { $0 != "." && $0 != ".." }
            #expect(Set(listed) == Set(model.keys.filter { $0.hasPrefix(name + "/") }.map { String($0.dropFirst(3)) }))
        }
        try image.save(&fs)
        expectClean(image)
        for (path, contents) in model.prefix(5) { #expect(image.contents("/" + path) == contents, "\(path)") }
    }
}
