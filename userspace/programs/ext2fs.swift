// ext2fs COMMAND… — the ext2 file system on the virtio-blk disk, as a program: it starts the
// driver (virtio-blk, over a channel), mounts the disk with the shared library
// Sources/Ext2FileSystem (the same sources the host tests check against e2fsprogs) and runs
// the commands in order, then syncs (superblock, group descriptors, a device flush):
//
//   ls [PATH] · cat PATH · write PATH TEXT (a new file or replaced content: TEXT and a newline)
//   append PATH TEXT · mkdir PATH · rm PATH · rmdir PATH · mv FROM TO · stat PATH · df · sync
//
// Paths are absolute within the disk. Kernel only (channels, devices). docs/STORAGE.md.

import Ext2FileSystem

func usage() -> Never {
    printError("usage: ext2fs ls [PATH] | cat PATH | write PATH TEXT | append PATH TEXT | mkdir PATH | rm PATH | rmdir PATH | mv FROM TO | stat PATH | df | sync  (several may follow)")
    exit(2)
}

/// The disk behind the virtio-blk driver: the block protocol of docs/DEVICES.md over a channel.
struct DriverBlockDevice: BlockDevice {
    static let sectorSize = 512
    static let maximumSectors = 64  // per request (the driver's limit)

    let channel: Channel
    private(set) var byteCount: UInt64 = 0

    init(channel: Channel) throws(BlockDeviceError) {
        self.channel = channel
        let reply = try ask(1, sector: 0, count: 0)
        byteCount = little(reply, 8, 8) * UInt64(DriverBlockDevice.sectorSize)
    }

    /// One request and its reply's bytes after the 8-byte header; a driver errno is thrown.
    func ask(_ operation: UInt8, sector: UInt64, count: Int, data: [UInt8] = []) throws(BlockDeviceError) -> [UInt8] {
        let message = blockRequest(operation, sector: sector, count: UInt32(truncatingIfNeeded: count), data: data)
        if channel.send(message) != nil { throw BlockDeviceError(errno: 29) }
        guard case .success(let reply) = channel.receive(capacity: 8 + DriverBlockDevice.maximumSectors * DriverBlockDevice.sectorSize),
              reply.bytes.count >= 8
        else { throw BlockDeviceError(errno: 29) }  // the driver ended
        let errno = UInt32(truncatingIfNeeded: little(reply.bytes, 0, 4))
        if errno != 0 { throw BlockDeviceError(errno: errno) }
        return reply.bytes
    }

    mutating func read(at offset: UInt64, count: Int) throws(BlockDeviceError) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(count)
        var sector = offset / UInt64(DriverBlockDevice.sectorSize)
        var remaining = count / DriverBlockDevice.sectorSize
        while remaining > 0 {
            let sectors = min(remaining, DriverBlockDevice.maximumSectors)
            let reply = try ask(2, sector: sector, count: sectors)
            guard reply.count == 8 + sectors * DriverBlockDevice.sectorSize else { throw BlockDeviceError(errno: 29) }
            result += reply[8...]
            sector += UInt64(sectors)
            remaining -= sectors
        }
        return result
    }

    mutating func write(_ bytes: [UInt8], at offset: UInt64) throws(BlockDeviceError) {
        var sector = offset / UInt64(DriverBlockDevice.sectorSize)
        var start = 0
        while start < bytes.count {
            let sectors = min((bytes.count - start) / DriverBlockDevice.sectorSize, DriverBlockDevice.maximumSectors)
            let end = start + sectors * DriverBlockDevice.sectorSize
            _ = try ask(3, sector: sector, count: sectors, data: Array(bytes[start..<end]))
            sector += UInt64(sectors)
            start = end
        }
    }

    mutating func flush() throws(BlockDeviceError) { _ = try ask(4, sector: 0, count: 0) }
}

func describe(_ error: Ext2Error) -> String {
    switch error {
    case .corrupt: return "the file system is corrupt (run e2fsck)"
    case .unsupported(.notExt2): return "the disk holds no ext2 file system"
    case .unsupported: return "an ext2 feature this file system does not support"
    case .noSpace: return "no space left on the disk"
    case .fileTooLarge: return "file too large"
    case .invalidMove: return "cannot move a directory into itself"
    case .tooManyLinks: return "too many links"
    default: return Errno(error.errno).message
    }
}

/// The directory holding `path`'s last name, and that name.
func parentAndName(_ fs: inout Ext2FileSystem<DriverBlockDevice>, _ path: String) throws(Ext2Error) -> (UInt32, String) {
    var components = path.split(separator: "/").map { String($0) }
    guard let name = components.popLast() else { throw .invalidName }
    var directory = Ext2FileSystem<DriverBlockDevice>.rootInode
    for component in components { directory = try fs.lookup(component, in: directory) }
    return (directory, name)
}

func kindName(_ kind: InodeKind) -> String {
    switch kind {
    case .regular: return "file"
    case .directory: return "directory"
    case .symbolicLink: return "link"
    case .other: return "other"
    }
}

/// Runs one command starting at `arguments[index]`; returns the index after its operands.
func run(_ arguments: [String], _ index: Int, _ fs: inout Ext2FileSystem<DriverBlockDevice>) throws(Ext2Error) -> Int {
    func operand(_ offset: Int) -> String {
        guard index + offset < arguments.count else { usage() }
        return arguments[index + offset]
    }
    fs.now = UInt32(truncatingIfNeeded: realtimeNanoseconds() / 1_000_000_000)
    switch arguments[index] {
    case "ls":
        // The operand is optional: the next word is one only if it is a path.
        let hasPath = index + 1 < arguments.count && arguments[index + 1].hasPrefix("/")
        for entry in try fs.entries(of: fs.resolve(hasPath ? arguments[index + 1] : "/")) where entry.name != "." && entry.name != ".." {
            let size = try fs.attributes(of: entry.inode).size
            print(entry.name + (entry.kind == .directory ? "/" : "") + "  " + String(size))
        }
        return index + (hasPath ? 2 : 1)
    case "cat":
        let file = try fs.resolve(operand(1))
        let size = try fs.attributes(of: file).size
        var offset: UInt64 = 0
        while offset < size {
            let chunk = try fs.read(file, at: offset, count: 32768)
            if chunk.isEmpty { break }
            writeBytes(chunk)
            offset += UInt64(chunk.count)
        }
        return index + 2
    case "write", "append":
        let (directory, name) = try parentAndName(&fs, operand(1))
        let text = Array((operand(2) + "\n").utf8)
        var file: UInt32
        do { file = try fs.lookup(name, in: directory) } catch .notFound { file = try fs.createFile(name, in: directory) }
        var offset: UInt64 = 0
        if arguments[index] == "write" { try fs.truncate(file, to: 0) } else { offset = try fs.attributes(of: file).size }
        try fs.write(text, to: file, at: offset)
        return index + 3
    case "mkdir":
        let (directory, name) = try parentAndName(&fs, operand(1))
        _ = try fs.makeDirectory(name, in: directory)
        return index + 2
    case "rm":
        let (directory, name) = try parentAndName(&fs, operand(1))
        try fs.unlink(name, in: directory)
        return index + 2
    case "rmdir":
        let (directory, name) = try parentAndName(&fs, operand(1))
        try fs.removeDirectory(name, in: directory)
        return index + 2
    case "mv":
        let (from, name) = try parentAndName(&fs, operand(1))
        let (to, newName) = try parentAndName(&fs, operand(2))
        try fs.rename(name, in: from, to: newName, in: to)
        return index + 3
    case "stat":
        let attributes = try fs.attributes(of: fs.resolve(operand(1)))
        print(operand(1) + ": " + kindName(attributes.kind) + ", inode " + String(attributes.inode) + ", "
              + String(attributes.size) + " bytes, " + String(attributes.links) + " links, modified "
              + String(attributes.modificationTime))
        return index + 2
    case "df":
        let statistics = fs.statistics
        let size = UInt64(statistics.blocks) * UInt64(statistics.blockSize)
        let free = UInt64(statistics.freeBlocks) * UInt64(statistics.blockSize)
        print("ext2: " + formatSize(size) + ", " + formatSize(free) + " free, blocks of " + String(statistics.blockSize)
              + " bytes, " + String(statistics.freeInodes) + " of " + String(statistics.inodes) + " inodes free")
        return index + 1
    case "sync":
        try fs.sync()
        print("ext2fs: synced")
        return index + 1
    default:
        usage()
    }
}

@main struct Main {
    static func main() {
        let arguments = commandLineArguments()
        guard arguments.count > 1 else { usage() }
        guard case .success(let (mine, theirs)) = Channel.create() else {
            printError("ext2fs: cannot create a channel (channels need the kernel)")
            exit(1)
        }
        let driver: Int32
        switch Apus.spawn("virtio-blk", arguments: ["virtio-blk"], handing: [theirs]) {
        case .success(let pid): driver = pid
        case .failure(let error):
            printError("ext2fs: cannot start the driver virtio-blk: " + error.message)
            exit(1)
        }
        var status: Int32 = 0
        do throws(Ext2Error) {
            let device: DriverBlockDevice
            do { device = try DriverBlockDevice(channel: mine) } catch { throw .device(error) }
            var fs = try Ext2FileSystem(mounting: device)
            var index = 1
            while index < arguments.count {
                do { index = try run(arguments, index, &fs) } catch {
                    printError("ext2fs: " + arguments[index] + (index + 1 < arguments.count ? " " + arguments[index + 1] : "")
                               + ": " + describe(error))
                    status = 1
                    break
                }
            }
            try fs.sync()
        } catch {
            printError("ext2fs: " + describe(error))
            status = 1
        }
        mine.close()  // the driver sees the channel close and ends
        _ = Apus.wait(driver)
        exit(status)
    }
}
