// Directories: linked lists of entries (inode u32, record length u16, name length u8, file
// type u8, name) that never cross a block. An htree index (dir_index) is read as the plain list
// it also is; a directory this library changes loses its index flag, as the index would be stale.

/// One record as stored, with where it lies in its block.
struct DirectoryRecord {
    var offset: Int
    var inode: UInt32
    var length: Int
    var type: UInt8
    var name: [UInt8]

    /// The bytes an entry with this name needs (8-byte header, 4-byte aligned).
    static func neededLength(nameLength: Int) -> Int { (8 + nameLength + 3) & ~3 }
}

extension Ext2FileSystem {
    /// The records of one directory block, checked so that walking them always ends.
    func records(_ block: [UInt8], directory: UInt32, physical: UInt32) throws(Ext2Error) -> [DirectoryRecord] {
        var result: [DirectoryRecord] = []
        var offset = 0
        while offset < blockSize {
            guard offset + 8 <= blockSize else { throw .corrupt(.directoryEntry(inode: directory, block: physical)) }
            let inode = block.u32(offset)
            let length = Int(block.u16(offset + 4))
            let nameLength = Int(block.u8(offset + 6))
            guard length >= 8, length % 4 == 0, offset + length <= blockSize,
                  inode == 0 || DirectoryRecord.neededLength(nameLength: nameLength) <= length,
                  inode <= superblock.inodesCount
            else { throw .corrupt(.directoryEntry(inode: directory, block: physical)) }
            let name = inode == 0 ? [] : Array(block[offset + 8..<offset + 8 + nameLength])
            result.append(DirectoryRecord(offset: offset, inode: inode, length: length, type: block.u8(offset + 7), name: name))
            offset += length
        }
        return result
    }

    /// The directory inode `number`, checked to be a directory of whole blocks.
    mutating func readDirectory(_ number: UInt32) throws(Ext2Error) -> Inode {
        let inode = try readLiveInode(number)
        guard inode.kind == .directory else { throw .notDirectory }
        guard inode.size % UInt64(blockSize) == 0, inode.size > 0 else { throw .corrupt(.inode(number)) }
        return inode
    }

    /// Logical block `index` of a directory: its physical number and bytes (a hole is corrupt).
    mutating func directoryBlock(_ inode: Inode, number: UInt32, _ index: UInt64) throws(Ext2Error) -> (UInt32, [UInt8]) {
        let physical = try mappedBlock(inode, index)
        guard physical != 0 else { throw .corrupt(.directoryStructure(inode: number)) }
        return (physical, try readBlock(physical))
    }

    /// The entry `name` in `directory`: where it lies, if it is there.
    mutating func find(_ name: [UInt8], in directory: UInt32) throws(Ext2Error)
        -> (index: UInt64, physical: UInt32, block: [UInt8], record: DirectoryRecord, previous: DirectoryRecord?)?
    {
        let inode = try readDirectory(directory)
        for index in 0..<inode.size / UInt64(blockSize) {
            let (physical, block) = try directoryBlock(inode, number: directory, index)
            var previous: DirectoryRecord?
            for record in try records(block, directory: directory, physical: physical) {
                if record.inode != 0, record.name == name { return (index, physical, block, record, previous) }
                previous = record
            }
        }
        return nil
    }

    /// The inode `name` names in `directory` (`.` and `..` included).
    public mutating func lookup(_ name: String, in directory: UInt32) throws(Ext2Error) -> UInt32 {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= 255 else { throw .invalidName }
        guard let found = try find(bytes, in: directory) else { throw .notFound }
        return found.record.inode
    }

    /// Follows `path` (names separated by `/`; empty names skipped) from the root directory.
    public mutating func resolve(_ path: String) throws(Ext2Error) -> UInt32 {
        var inode = Ext2FileSystem.rootInode
        for component in path.split(separator: "/") { inode = try lookup(String(component), in: inode) }
        return inode
    }

    /// Every entry of `directory`, `.` and `..` included, in stored order.
    public mutating func entries(of directory: UInt32) throws(Ext2Error) -> [DirectoryEntry] {
        let inode = try readDirectory(directory)
        var result: [DirectoryEntry] = []
        for index in 0..<inode.size / UInt64(blockSize) {
            let (physical, block) = try directoryBlock(inode, number: directory, index)
            for record in try records(block, directory: directory, physical: physical) where record.inode != 0 {
                let kind: InodeKind
                switch record.type {
                case 1: kind = .regular
                case 2: kind = .directory
                case 7: kind = .symbolicLink
                default: kind = .other
                }
                result.append(DirectoryEntry(name: String(decoding: record.name, as: UTF8.self), inode: record.inode, kind: kind))
            }
        }
        return result
    }

    // MARK: Changing directories

    /// A name a new entry may have.
    func newName(_ name: String) throws(Ext2Error) -> [UInt8] {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= 255, !bytes.contains(0), !bytes.contains(UInt8(ascii: "/")),
              bytes != [UInt8(ascii: ".")], bytes != [UInt8(ascii: "."), UInt8(ascii: ".")]
        else { throw .invalidName }
        return bytes
    }

    /// A record's bytes, padded to its needed length (`length` is what the record length field says).
    func entryBytes(_ name: [UInt8], inode: UInt32, kind: InodeKind, length: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 8)
        bytes.setU32(0, inode)
        bytes.setU16(4, UInt16(length))
        bytes.setU8(6, UInt8(name.count))
        if superblock.incompatibleFeatures & Features.incompatibleFileType != 0 { bytes.setU8(7, kind.directoryEntryType) }
        bytes += name
        bytes += [UInt8](repeating: 0, count: DirectoryRecord.neededLength(nameLength: name.count) - bytes.count)
        return bytes
    }

    /// Adds `name → target` to `directory`: into the first record with room, else a new block.
    mutating func addEntry(_ name: [UInt8], target: UInt32, kind: InodeKind, to directory: UInt32) throws(Ext2Error) {
        var inode = try readDirectory(directory)
        let needed = DirectoryRecord.neededLength(nameLength: name.count)
        try beginChange()
        for index in 0..<inode.size / UInt64(blockSize) {
            let (physical, block) = try directoryBlock(inode, number: directory, index)
            for record in try records(block, directory: directory, physical: physical) {
                let used = record.inode == 0 ? 0 : DirectoryRecord.neededLength(nameLength: record.name.count)
                guard record.length - used >= needed else { continue }
                var changed = block
                if used > 0 { changed.setU16(record.offset + 4, UInt16(used)) }
                let entry = entryBytes(name, inode: target, kind: kind, length: record.length - used)
                changed.replaceSubrange(record.offset + used..<record.offset + used + entry.count, with: entry)
                try writeBlock(physical, changed)
                try touchDirectory(directory, &inode)
                return
            }
        }
        guard inode.size + UInt64(blockSize) <= 0xFFFF_FFFF else { throw .fileTooLarge }
        let (physical, _) = try allocatedBlock(&inode, number: directory, inode.size / UInt64(blockSize))
        var block = entryBytes(name, inode: target, kind: kind, length: blockSize)
        block += [UInt8](repeating: 0, count: blockSize - block.count)
        do { try writeBlock(physical, block) } catch {
            try writeInode(directory, inode)  // the block is allocated and mapped; keep the map true
            throw error
        }
        inode.size += UInt64(blockSize)
        try touchDirectory(directory, &inode)
    }

    /// A directory just changed: new times, no stale htree index; written back.
    mutating func touchDirectory(_ number: UInt32, _ inode: inout Inode) throws(Ext2Error) {
        inode.flags &= ~Inode.indexedFlag
        inode.modificationTime = now
        inode.changeTime = now
        try writeInode(number, inode)
    }

    /// Removes the entry `name` from `directory` (merged into the record before it) and returns its inode.
    mutating func removeEntry(_ name: [UInt8], from directory: UInt32) throws(Ext2Error) -> UInt32 {
        guard let found = try find(name, in: directory) else { throw .notFound }
        try beginChange()
        var block = found.block
        if let previous = found.previous {
            block.setU16(previous.offset + 4, UInt16(previous.length + found.record.length))
        } else {
            block.setU32(found.record.offset, 0)  // the first record of a block stays, unused
        }
        try writeBlock(found.physical, block)
        var inode = try readDirectory(directory)
        try touchDirectory(directory, &inode)
        return found.record.inode
    }

    /// Points the existing entry `name` of `directory` at `target` (a moved directory's `..`).
    mutating func redirectEntry(_ name: [UInt8], of directory: UInt32, to target: UInt32) throws(Ext2Error) {
        guard let found = try find(name, in: directory) else { throw .corrupt(.directoryStructure(inode: directory)) }
        var block = found.block
        block.setU32(found.record.offset, target)
        try writeBlock(found.physical, block)
    }

    mutating func changeLinks(_ number: UInt32, by delta: Int) throws(Ext2Error) {
        var inode = try readInode(number)
        let links = Int(inode.linksCount) + delta
        guard links >= 0 else { throw .corrupt(.inode(number)) }
        guard links <= Int(Inode.maximumLinks) else { throw .tooManyLinks }
        inode.linksCount = UInt16(links)
        inode.changeTime = now
        try writeInode(number, inode)
    }

    /// Creates an empty regular file `name` in `directory` and returns its inode.
    public mutating func createFile(_ name: String, in directory: UInt32, permissions: UInt16 = 0o644) throws(Ext2Error) -> UInt32 {
        let bytes = try newName(name)
        guard try find(bytes, in: directory) == nil else { throw .exists }
        let number = try allocateInode(preferredGroup: group(ofInode: directory), directory: false)
        let inode = Inode.fresh(size: inodeSize, mode: 0x8000 | permissions & 0o7777, links: 1, now: now)
        do {
            try writeInode(number, inode)
            try addEntry(bytes, target: number, kind: .regular, to: directory)
        } catch {
            try? freeInode(number, directory: false)  // best effort; the first error is the one to report
            throw error
        }
        return number
    }

    /// Creates the directory `name` (with `.` and `..`) in `directory` and returns its inode.
    public mutating func makeDirectory(_ name: String, in directory: UInt32, permissions: UInt16 = 0o755) throws(Ext2Error) -> UInt32 {
        let bytes = try newName(name)
        guard try find(bytes, in: directory) == nil else { throw .exists }
        let parent = try readDirectory(directory)
        guard parent.linksCount < Inode.maximumLinks else { throw .tooManyLinks }
        // Spread directories over the groups (the one with the most free inodes), as Linux does.
        var preferred = 0
        for index in 0..<groupCount where groups[index].freeInodesCount > groups[preferred].freeInodesCount { preferred = index }
        let number = try allocateInode(preferredGroup: preferred, directory: true)
        var inode = Inode.fresh(size: inodeSize, mode: 0x4000 | permissions & 0o7777, links: 2, now: now)
        var allocatedBlock: UInt32 = 0
        do {
            allocatedBlock = try allocateBlock(preferredGroup: group(ofInode: number))
            let dot = entryBytes([UInt8(ascii: ".")], inode: number, kind: .directory, length: 12)
            var block = dot + entryBytes([UInt8(ascii: "."), UInt8(ascii: ".")], inode: directory, kind: .directory,
                                         length: blockSize - 12)
            block += [UInt8](repeating: 0, count: blockSize - block.count)
            try writeBlock(allocatedBlock, block)
            inode.setBlock(0, allocatedBlock)
            inode.sectors = UInt32(blockSize / 512)
            inode.size = UInt64(blockSize)
            try writeInode(number, inode)
            try addEntry(bytes, target: number, kind: .directory, to: directory)
        } catch {
            if allocatedBlock != 0 { try? freeBlock(allocatedBlock) }
            try? freeInode(number, directory: true)
            throw error
        }
        try changeLinks(directory, by: 1)
        return number
    }

    /// Removes the name `name` of a file (not a directory); the inode goes with its last link.
    public mutating func unlink(_ name: String, in directory: UInt32) throws(Ext2Error) {
        let target = try lookup(name, in: directory)
        guard try readLiveInode(target).kind != .directory else { throw .isDirectory }
        _ = try removeEntry(Array(name.utf8), from: directory)
        try dropLink(target)
    }

    mutating func dropLink(_ number: UInt32) throws(Ext2Error) {
        try changeLinks(number, by: -1)
        if try readInode(number).linksCount == 0 { try releaseInode(number) }
    }

    /// Whether a directory holds nothing but `.` and `..`.
    mutating func isEmptyDirectory(_ number: UInt32) throws(Ext2Error) -> Bool {
        for entry in try entries(of: number) where entry.name != "." && entry.name != ".." { return false }
        return true
    }

    /// Removes the empty directory `name`.
    public mutating func removeDirectory(_ name: String, in directory: UInt32) throws(Ext2Error) {
        let bytes = Array(name.utf8)
        guard bytes != [UInt8(ascii: ".")], bytes != [UInt8(ascii: "."), UInt8(ascii: ".")] else { throw .invalidName }
        let target = try lookup(name, in: directory)
        guard try readLiveInode(target).kind == .directory else { throw .notDirectory }
        guard try isEmptyDirectory(target) else { throw .directoryNotEmpty }
        _ = try removeEntry(bytes, from: directory)
        try changeLinks(directory, by: -1)  // its `..`
        try releaseInode(target)
    }

    /// Whether `directory` is `ancestor` or lies below it (following `..` up to the root).
    mutating func isWithin(_ directory: UInt32, _ ancestor: UInt32) throws(Ext2Error) -> Bool {
        var current = directory
        // More steps than inodes means the `..` chain loops.
        for _ in 0...superblock.inodesCount {
            if current == ancestor { return true }
            if current == Ext2FileSystem.rootInode { return false }
            let parent = try lookup("..", in: current)
            guard parent != current else { throw .corrupt(.directoryStructure(inode: current)) }
            current = parent
        }
        throw .corrupt(.directoryStructure(inode: directory))
    }

    /// Renames `name` in `directory` to `newName` in `newDirectory`, replacing a file there (or
    /// an empty directory, if a directory moves).
    public mutating func rename(_ name: String, in directory: UInt32, to newName: String, in newDirectory: UInt32) throws(Ext2Error) {
        let oldBytes = Array(name.utf8)
        guard oldBytes != [UInt8(ascii: ".")], oldBytes != [UInt8(ascii: "."), UInt8(ascii: ".")] else { throw .invalidName }
        let newBytes = try self.newName(newName)
        let source = try lookup(name, in: directory)
        let sourceKind = try readLiveInode(source).kind
        _ = try readDirectory(newDirectory)
        let movesDirectory = sourceKind == .directory && directory != newDirectory
        if sourceKind == .directory, try isWithin(newDirectory, source) { throw .invalidMove }
        if let existing = try find(newBytes, in: newDirectory) {
            let target = existing.record.inode
            if target == source { return }
            let targetKind = try readLiveInode(target).kind
            if targetKind == .directory {
                guard sourceKind == .directory else { throw .isDirectory }
                guard try isEmptyDirectory(target) else { throw .directoryNotEmpty }
            } else if sourceKind == .directory {
                throw .notDirectory
            }
            _ = try removeEntry(newBytes, from: newDirectory)
            if targetKind == .directory {
                try changeLinks(newDirectory, by: -1)
                try releaseInode(target)
            } else {
                try dropLink(target)
            }
        }
        if movesDirectory { guard try readDirectory(newDirectory).linksCount < Inode.maximumLinks else { throw .tooManyLinks } }
        // The new name first: a crash in between leaves two names, never none.
        try addEntry(newBytes, target: source, kind: sourceKind, to: newDirectory)
        _ = try removeEntry(oldBytes, from: directory)
        if movesDirectory {
            try redirectEntry([UInt8(ascii: "."), UInt8(ascii: ".")], of: source, to: newDirectory)
            try changeLinks(directory, by: -1)
            try changeLinks(newDirectory, by: 1)
        }
        var inode = try readInode(source)
        inode.changeTime = now
        try writeInode(source, inode)
    }
}
