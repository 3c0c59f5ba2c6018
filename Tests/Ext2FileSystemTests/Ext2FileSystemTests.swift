import Ext2FileSystem
import Foundation
import Testing

// Each test formats an image with mke2fs, works on it through the library, writes it back and
// has e2fsck -fn (must be clean) and debugfs judge the result.

let blockSizes = [1024, 4096]

/// Checks the image with e2fsck and records its report if it is not clean.
func expectClean(_ image: Image, sourceLocation: SourceLocation = #_sourceLocation) {
    let (status, output) = image.check()
    #expect(status == 0, "e2fsck -fn is not clean:\n\(output)", sourceLocation: sourceLocation)
}

@Suite(.enabled(if: E2fsprogs.available, "needs mke2fs, e2fsck and debugfs (Debian package e2fsprogs)"))
struct Ext2FileSystemTests {
    @Test(arguments: blockSizes)
    func mountsAFreshImage(blockSize: Int) throws {
        let image = try Image(kibibytes: 8192, blockSize: blockSize)
        var fs = try image.mount()
        let statistics = fs.statistics
        #expect(statistics.blockSize == blockSize)
        #expect(Int(statistics.blocks) * blockSize == 8192 * 1024 - (blockSize == 1024 ? 0 : 0))
        let summary = image.debugfs("stats")
        #expect(summary.contains("Free blocks:              \(statistics.freeBlocks)"), "\(summary.prefix(900))")
        #expect(summary.contains("Free inodes:              \(statistics.freeInodes)"))
        let names = try fs.entries(of: Ext2FileSystem<MemoryBlockDevice>.rootInode).map(\.name)
        #expect(names == [".", "..", "lost+found"])
        #expect(try fs.attributes(of: fs.resolve("lost+found")).kind == .directory)
    }

    @Test(arguments: blockSizes)
    func writesFilesE2fsckAcceptsAndDebugfsReads(blockSize: Int) throws {
        let image = try Image(kibibytes: 16384, blockSize: blockSize)
        var fs = try image.mount()
        fs.now = 1_800_000_000
        let root = Ext2FileSystem<MemoryBlockDevice>.rootInode
        let hello = try fs.createFile("hello", in: root)
        try fs.write(Array("hi\n".utf8), to: hello, at: 0)
        let directory = try fs.makeDirectory("dir", in: root)
        // 1 KiB blocks: direct, single and double indirect; 4 KiB: direct and single.
        let big = try fs.createFile("big", in: directory)
        let data = pattern(1_300_000, seed: 1)
        for start in stride(from: 0, to: data.count, by: 70_001) {
            try fs.write(Array(data[start..<min(data.count, start + 70_001)]), to: big, at: UInt64(start))
        }
        try image.save(&fs)
        expectClean(image)
        #expect(image.contents("/hello") == Array("hi\n".utf8))
        #expect(image.contents("/dir/big") == data)
        #expect(try fs.read(big, at: 0, count: data.count + 10) == data)
        #expect(try fs.read(big, at: 999_999, count: 5) == Array(data[999_999..<1_000_004]))
        let attributes = try fs.attributes(of: hello)
        #expect(attributes.size == 3 && attributes.modificationTime == 1_800_000_000 && attributes.links == 1)
        #expect(image.debugfs("stat /hello").contains("mtime: 0x6b49d200"))
        #expect(try fs.attributes(of: directory).links == 2)
        #expect(try fs.attributes(of: root).links == 4)  // ., .., lost+found/.., dir/..
        // Mounted again, the library reads what it wrote.
        var again = try image.mount()
        #expect(try again.read(again.resolve("/dir/big"), at: 0, count: data.count) == data)
    }

    @Test(arguments: blockSizes)
    func readsWhatDebugfsWrote(blockSize: Int) throws {
        let image = try Image(kibibytes: 8192, blockSize: blockSize)
        let host = Image.scratchFile(pattern(200_000, seed: 7))
        defer { try? FileManager.default.removeItem(atPath: host) }
        _ = image.debugfs("mkdir sub", writable: true)
        _ = image.debugfs("write " + host + " sub/data", writable: true)
        _ = image.debugfs("symlink link /sub/data", writable: true)
        var fs = try image.mount()
        let file = try fs.resolve("sub/data")
        #expect(try fs.read(file, at: 0, count: 300_000) == pattern(200_000, seed: 7))
        let link = try fs.resolve("link")
        #expect(try fs.attributes(of: link).kind == .symbolicLink)
        #expect(try fs.read(link, at: 0, count: 100) == Array("/sub/data".utf8))
        #expect(try fs.entries(of: fs.resolve("sub")).map(\.name) == [".", "..", "data"])
    }

    @Test(arguments: blockSizes)
    func truncatesUnlinksAndReturnsEveryBlock(blockSize: Int) throws {
        let image = try Image(kibibytes: 16384, blockSize: blockSize)
        var fs = try image.mount()
        let root = Ext2FileSystem<MemoryBlockDevice>.rootInode
        let before = fs.statistics
        let file = try fs.createFile("f", in: root)
        let data = pattern(3_000_000, seed: 2)
        try fs.write(data, to: file, at: 0)
        try fs.truncate(file, to: 5000)
        #expect(try fs.read(file, at: 0, count: 10_000) == Array(data[0..<5000]))
        try fs.truncate(file, to: 9000)  // grows with zeros, not the old bytes
        #expect(try fs.read(file, at: 0, count: 10_000) == Array(data[0..<5000]) + [UInt8](repeating: 0, count: 4000))
        try image.save(&fs)
        expectClean(image)
        #expect(image.contents("/f").count == 9000)
        try fs.unlink("f", in: root)
        #expect(throws: Ext2Error.notFound) { try fs.lookup("f", in: root) }
        #expect(fs.statistics == before)
        try image.save(&fs)
        expectClean(image)
        #expect(image.debugfs("ls /").contains("f") == false || !image.debugfs("ls -l /").contains(" f "))
    }

    @Test func sparseFilesReadZerosInTheirHoles() throws {
        let image = try Image(kibibytes: 8192, blockSize: 1024)
        var fs = try image.mount()
        let file = try fs.createFile("sparse", in: Ext2FileSystem<MemoryBlockDevice>.rootInode)
        try fs.write([1, 2, 3], to: file, at: 500_000)
        let read = try fs.read(file, at: 0, count: 600_000)
        #expect(read.count == 500_003)
        #expect(read[0..<500_000].allSatisfy { $0 == 0 } && Array(read[500_000...]) == [1, 2, 3])
        #expect(try fs.attributes(of: file).allocatedBytes == 3 * 1024)  // data, single and double indirect
        try image.save(&fs)
        expectClean(image)
        #expect(image.contents("/sparse") == read)
    }

    @Test(arguments: blockSizes)
    func directoriesGrowShrinkAndRename(blockSize: Int) throws {
        let image = try Image(kibibytes: 8192, blockSize: blockSize)
        var fs = try image.mount()
        let root = Ext2FileSystem<MemoryBlockDevice>.rootInode
        let many = try fs.makeDirectory("many", in: root)
        // Enough long names for several directory blocks.
        for index in 0..<300 { _ = try fs.createFile("file-with-a-longish-name-\(index)", in: many) }
        for index in stride(from: 0, to: 300, by: 2) { try fs.unlink("file-with-a-longish-name-\(index)", in: many) }
        for index in 0..<300 {
            let name = "file-with-a-longish-name-\(index)"
            if index % 2 == 0 {
                #expect(throws: Ext2Error.notFound) { try fs.lookup(name, in: many) }
            } else {
                _ = try fs.lookup(name, in: many)
            }
        }
        #expect(try fs.entries(of: many).count == 152)
        #expect(throws: Ext2Error.exists) { try fs.createFile("file-with-a-longish-name-1", in: many) }
        #expect(throws: Ext2Error.directoryNotEmpty) { try fs.removeDirectory("many", in: root) }

        // Files and directories move between directories; `..` and link counts follow.
        let a = try fs.makeDirectory("a", in: root)
        let b = try fs.makeDirectory("b", in: root)
        let inner = try fs.makeDirectory("inner", in: a)
        try fs.rename("inner", in: a, to: "moved", in: b)
        #expect(try fs.lookup("..", in: inner) == b)
        #expect(try fs.attributes(of: a).links == 2 && fs.attributes(of: b).links == 3)
        #expect(throws: Ext2Error.invalidMove) { try fs.rename("b", in: root, to: "x", in: inner) }
        try fs.rename("file-with-a-longish-name-1", in: many, to: "one", in: a)
        let replaced = try fs.createFile("three", in: a)
        try fs.rename("file-with-a-longish-name-3", in: many, to: "three", in: a)  // replaces
        #expect(try fs.lookup("three", in: a) != replaced)
        #expect(throws: Ext2Error.notDirectory) { try fs.rename("moved", in: b, to: "one", in: a) }
        #expect(throws: Ext2Error.isDirectory) { try fs.rename("one", in: a, to: "moved", in: b) }
        try fs.removeDirectory("moved", in: b)
        #expect(try fs.attributes(of: b).links == 2)
        #expect(throws: Ext2Error.invalidName) { try fs.createFile("a/b", in: root) }
        #expect(throws: Ext2Error.invalidName) { try fs.makeDirectory("..", in: root) }
        #expect(throws: Ext2Error.notDirectory) { try fs.removeDirectory("one", in: a) }
        #expect(throws: Ext2Error.isDirectory) { try fs.unlink("b", in: root) }
        try image.save(&fs)
        expectClean(image)
        #expect(image.debugfs("ls -p /a").contains("/one/"))
        #expect(image.debugfs("ls -p /b").contains("/../") && !image.debugfs("ls -p /b").contains("/moved/"))
    }

    @Test(arguments: blockSizes)
    func aFullDiskSaysNoSpaceAndStaysConsistent(blockSize: Int) throws {
        let image = try Image(kibibytes: blockSize == 1024 ? 1024 : 4096, blockSize: blockSize)
        var fs = try image.mount()
        let file = try fs.createFile("fill", in: Ext2FileSystem<MemoryBlockDevice>.rootInode)
        let chunk = pattern(64 * 1024, seed: 3)
        var offset: UInt64 = 0
        #expect(throws: Ext2Error.noSpace) {
            while true {
                try fs.write(chunk, to: file, at: offset)
                offset += UInt64(chunk.count)
            }
        }
        #expect(fs.statistics.freeBlocks == 0)
        let size = try fs.attributes(of: file).size
        #expect(size > offset && size < offset + UInt64(chunk.count))  // the part that fitted
        #expect(throws: Ext2Error.noSpace) {
            for index in 0..<1000 { _ = try fs.makeDirectory("d\(index)", in: Ext2FileSystem<MemoryBlockDevice>.rootInode) }
        }
        try image.save(&fs)
        expectClean(image)
        #expect(image.contents("/fill").count == Int(size))
    }

    @Test func runsOutOfInodes() throws {
        let image = try Image(kibibytes: 1024, blockSize: 1024, options: ["-N", "32"])
        var fs = try image.mount()
        #expect(throws: Ext2Error.noSpace) {
            for index in 0..<100 { _ = try fs.createFile("f\(index)", in: Ext2FileSystem<MemoryBlockDevice>.rootInode) }
        }
        #expect(fs.statistics.freeInodes == 0)
        try image.save(&fs)
        expectClean(image)
    }

    // MARK: Images the library must refuse or report, never trap on

    @Test func refusesWhatIsNotExt2() throws {
        #expect(throws: Ext2Error.unsupported(.notExt2)) {
            try Ext2FileSystem(mounting: MemoryBlockDevice(bytes: [UInt8](repeating: 0, count: 65536)))
        }
        #expect(throws: Ext2Error.device(BlockDeviceError(errno: 68))) {
            try Ext2FileSystem(mounting: MemoryBlockDevice(bytes: [UInt8](repeating: 0, count: 1024)))
        }
        let ext4 = try Image(kibibytes: 8192, blockSize: 4096, options: ["-O", "extent"])
        #expect(throws: Ext2Error.unsupported(.incompatibleFeatures(0x40))) { try ext4.mount() }
        var truncated = try Image(kibibytes: 8192, blockSize: 1024).bytes
        truncated.removeLast(4096)
        #expect(throws: Ext2Error.unsupported(.deviceTooSmall)) {
            try Ext2FileSystem(mounting: MemoryBlockDevice(bytes: truncated))
        }
    }

    @Test func reportsCorruptCountsAndPointers() throws {
        let counts = try Image(kibibytes: 8192, blockSize: 1024)
        _ = counts.debugfs("set_bg 0 free_blocks_count 9000", writable: true)
        #expect(throws: Ext2Error.corrupt(.freeCounts(group: 0))) { try counts.mount() }

        // A group that claims free blocks its bitmap does not have.
        let lying = try Image(kibibytes: 1024, blockSize: 1024)
        var fs = try lying.mount()
        let file = try fs.createFile("f", in: Ext2FileSystem<MemoryBlockDevice>.rootInode)
        _ = try? fs.write(pattern(2_000_000, seed: 4), to: file, at: 0)
        try lying.save(&fs)
        _ = lying.debugfs("set_bg 0 free_blocks_count 5", writable: true)
        var reopened = try lying.mount()
        #expect(throws: Ext2Error.corrupt(.freeCounts(group: 0))) {
            try reopened.write([1], to: reopened.resolve("f"), at: 3_000_000)
        }

        let pointers = try Image(kibibytes: 8192, blockSize: 1024)
        _ = pointers.debugfs("write /dev/null f", writable: true)
        _ = pointers.debugfs("sif f block[0] 99999999", writable: true)
        _ = pointers.debugfs("sif f size 100", writable: true)
        var bad = try pointers.mount()
        #expect(throws: Ext2Error.corrupt(.blockOutOfRange(99_999_999))) { try bad.read(bad.resolve("f"), at: 0, count: 10) }
        #expect(throws: Ext2Error.corrupt(.blockOutOfRange(99_999_999))) { try bad.unlink("f", in: Ext2FileSystem<MemoryBlockDevice>.rootInode) }
    }

    @Test func reportsBrokenDirectoryEntries() throws {
        let image = try Image(kibibytes: 8192, blockSize: 1024)
        let block = Int(image.debugfs("blocks /").split(separator: " ").first.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? "") ?? 0
        #expect(block > 0)
        var bytes = image.bytes
        bytes[block * 1024 + 12 + 4] = 0  // `..`'s record length: 0 would loop forever
        bytes[block * 1024 + 12 + 5] = 0
        image.bytes = bytes
        var fs = try image.mount()
        let root = Ext2FileSystem<MemoryBlockDevice>.rootInode
        #expect(throws: Ext2Error.corrupt(.directoryEntry(inode: 2, block: UInt32(block)))) { try fs.entries(of: root) }
        #expect(throws: Ext2Error.corrupt(.directoryEntry(inode: 2, block: UInt32(block)))) { try fs.createFile("x", in: root) }
    }

    @Test func survivesRandomDamage() throws {
        // Flip bytes in the metadata blocks; every operation must return or throw, never trap.
        let image = try Image(kibibytes: 2048, blockSize: 1024)
        var fs = try image.mount()
        let root = Ext2FileSystem<MemoryBlockDevice>.rootInode
        for index in 0..<20 {
            let file = try fs.createFile("f\(index)", in: try fs.makeDirectory("d\(index)", in: root))
            try fs.write(pattern(index * 3000, seed: UInt32(index)), to: file, at: 0)
        }
        try image.save(&fs)
        let pristine = image.bytes
        var random = pattern(400_000, seed: 9).makeIterator()
        func next() -> Int { Int(random.next()!) << 8 | Int(random.next()!) }
        for _ in 0..<200 {
            var bytes = pristine
            for _ in 0..<8 { bytes[(next() % 300) * 1024 / 4 + next() % 256 + 1024] ^= UInt8(next() & 0xFF | 1) }
            guard var damaged = try? Ext2FileSystem(mounting: MemoryBlockDevice(bytes: bytes)) else { continue }
            for index in 0..<20 {
                _ = try? damaged.read(damaged.resolve("d\(index)/f\(index)"), at: 0, count: 100_000)
                _ = try? damaged.entries(of: damaged.resolve("d\(index)"))
                _ = try? damaged.write([1, 2, 3], to: damaged.resolve("d\(index)/f\(index)"), at: 70_000)
                _ = try? damaged.unlink("f\(index)", in: damaged.resolve("d\(index)"))
                _ = try? damaged.rename("d\(index)", in: root, to: "e\(index)", in: root)
            }
            _ = try? damaged.sync()
        }
    }
}

extension Image {
    static func scratchFile(_ bytes: [UInt8]) -> String {
        let path = NSTemporaryDirectory() + "ext2-host-" + UUID().uuidString
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }
}
