import WasmRuntime

// The preview 1 functions. Each reads its arguments (`a`), checks every guest pointer through
// `GuestMemory` (`m`) and throws the errno to return; results are stored only on success.

extension WASIContext {
    // MARK: Arguments and environment

    private static func writeStrings(_ strings: [String], _ m: GuestMemory, pointers: UInt32,
                                     buffer: UInt32) throws(WASIErrno) {
        var pointerAddress = pointers
        var textAddress = buffer
        for string in strings {
            try m.store32(pointerAddress, textAddress)
            var bytes = Array(string.utf8)
            bytes.append(0)
            try m.write(textAddress, bytes)
            pointerAddress &+= 4
            textAddress &+= UInt32(truncatingIfNeeded: bytes.count)
        }
    }

    private static func writeSizes(_ strings: [String], _ m: GuestMemory, count: UInt32,
                                   size: UInt32) throws(WASIErrno) {
        var total = 0
        for string in strings { total += string.utf8.count + 1 }
        try m.store32(count, UInt32(truncatingIfNeeded: strings.count))
        try m.store32(size, UInt32(truncatingIfNeeded: total))
    }

    func argsGet(_ m: GuestMemory, _ a: WASIArguments) throws(WASIErrno) {
        try WASIContext.writeStrings(arguments, m, pointers: a.u32(0), buffer: a.u32(1))
    }

    func argsSizesGet(_ m: GuestMemory, _ a: WASIArguments) throws(WASIErrno) {
        try WASIContext.writeSizes(arguments, m, count: a.u32(0), size: a.u32(1))
    }

    func environGet(_ m: GuestMemory, _ a: WASIArguments) throws(WASIErrno) {
        try WASIContext.writeStrings(environment, m, pointers: a.u32(0), buffer: a.u32(1))
    }

    func environSizesGet(_ m: GuestMemory, _ a: WASIArguments) throws(WASIErrno) {
        try WASIContext.writeSizes(environment, m, count: a.u32(0), size: a.u32(1))
    }

    // MARK: Clocks, random, sockets

    func clockResGet(_ m: GuestMemory, _ a: WASIArguments) throws(WASIErrno) {
        guard let id = WASIClockID(rawValue: a.u32(0)), let resolution = clock.resolution(id) else {
            throw .invalid
        }
        try m.store64(a.u32(1), resolution)
    }

    func clockTimeGet(_ m: GuestMemory, _ a: WASIArguments) throws(WASIErrno) {
        guard let id = WASIClockID(rawValue: a.u32(0)), let now = clock.now(id) else { throw .invalid }
        try m.store64(a.u32(2), now)
    }

    func randomGet(_ m: GuestMemory, _ a: WASIArguments) throws(WASIErrno) {
        let buffer = try m.buffer(a.u32(0), a.u32(1))
        guard buffer.count == 0 || random.fill(buffer) else { throw .io }
    }

    /// Sockets cannot be created in preview 1, so no descriptor is ever one.
    func socketCall(_ a: WASIArguments) throws(WASIErrno) {
        _ = try descriptor(a.u32(0))
        throw .notSocket
    }

    // MARK: Descriptors

    func fdClose(_ m: GuestMemory, _ a: WASIArguments) throws(WASIErrno) {
        let fd = a.u32(0)
        _ = try descriptor(fd)
        descriptors[Int(fd)] = nil
        while let last = descriptors.last, last == nil, descriptors.count > 3 { descriptors.removeLast() }
    }

    func fdRenumber(_ m: GuestMemory, _ a: WASIArguments) throws(WASIErrno) {
        let from = a.u32(0), to = a.u32(1)
        let entry = try descriptor(from)
        _ = try descriptor(to)
        guard from != to else { return }
        descriptors[Int(to)] = entry
        descriptors[Int(from)] = nil
    }

    func fdFdstatGet(_ m: GuestMemory, _ a: WASIArguments) throws(WASIErrno) {
        let entry = try descriptor(a.u32(0))
        let address = a.u32(1)
        _ = try m.pointer(address, UInt64(WASILayout.fdstatSize))
        try m.store8(address, entry.file.filetype.rawValue)
        try m.store8(address &+ 1, 0)
        try m.store16(address &+ 2, entry.flags)
        try m.store32(address &+ 4, 0)
        try m.store64(address &+ 8, entry.rightsBase)
        try m.store64(address &+ 16, entry.rightsInheriting)
    }

    func fdFdstatSetFlags(_ m: GuestMemory, _ a: WASIArguments) throws(WASIErrno) {
        let entry = try descriptor(a.u32(0))
        let flags = UInt16(truncatingIfNeeded: a.u32(1))
        guard flags & ~WASIFdFlags.all == 0 else { throw .invalid }
        try entry.require(WASIRights.fdFdstatSetFlags)
        entry.flags = flags
    }

    func fdFdstatSetRights(_ m: GuestMemory, _ a: WASIArguments) throws(WASIErrno) {
        let entry = try descriptor(a.u32(0))
        let base = a.u64(1), inheriting = a.u64(2)
        // Rights can only be dropped.
        guard base & ~entry.rightsBase == 0, inheriting & ~entry.rightsInheriting == 0 else { throw .notCapable }
        entry.rightsBase = base
        entry.rightsInheriting = inheriting
    }

    func fdPrestatGet(_ m: GuestMemory, _ a: WASIArguments) throws(WASIErrno) {
        let entry = try descriptor(a.u32(0))
        guard let path = entry.preopenPath else { throw .badFileDescriptor }
        let address = a.u32(1)
        _ = try m.pointer(address, UInt64(WASILayout.prestatSize))
        try m.store32(address, 0)  // tag 0 (dir) and padding
        try m.store32(address &+ 4, UInt32(truncatingIfNeeded: path.utf8.count))
    }

    func fdPrestatDirName(_ m: GuestMemory, _ a: WASIArguments) throws(WASIErrno) {
        let entry = try descriptor(a.u32(0))
        guard let path = entry.preopenPath else { throw .badFileDescriptor }
        let bytes = Array(path.utf8)
        guard Int(a.u32(2)) >= bytes.count else { throw .nameTooLong }
        try m.write(a.u32(1), bytes)
    }

    func fdSync(_ m: GuestMemory, _ a: WASIArguments, dataOnly: Bool) throws(WASIErrno) {
        let entry = try descriptor(a.u32(0))
        try entry.require(dataOnly ? WASIRights.fdDatasync : WASIRights.fdSync)
        try entry.file.sync(dataOnly: dataOnly)
    }

    func fdAdvise(_ m: GuestMemory, _ a: WASIArguments) throws(WASIErrno) {
        let entry = try descriptor(a.u32(0))
        guard let advice = WASIAdvice(rawValue: UInt8(truncatingIfNeeded: a.u32(3))), a.u32(3) <= 5 else {
            throw .invalid
        }
        if entry.file.filetype == .directory { throw .badFileDescriptor }
        try entry.require(WASIRights.fdAdvise)
        try entry.file.advise(offset: a.u64(1), length: a.u64(2), advice: advice)
    }

    func fdAllocate(_ m: GuestMemory, _ a: WASIArguments) throws(WASIErrno) {
        let entry = try descriptor(a.u32(0))
        if entry.file.filetype == .directory { throw .badFileDescriptor }
        try entry.require(WASIRights.fdAllocate)
        let (end, overflow) = a.u64(1).addingReportingOverflow(a.u64(2))
        guard !overflow, end <= UInt64(Int64.max) else { throw .fileTooBig }
        try entry.file.allocate(offset: a.u64(1), length: a.u64(2))
    }

    // MARK: Stat

    static func storeFilestat(_ stat: WASIFileStat, _ m: GuestMemory, _ address: UInt32) throws(WASIErrno) {
        _ = try m.pointer(address, UInt64(WASILayout.filestatSize))
        try m.store64(address, stat.device)
        try m.store64(address &+ 8, stat.inode)
        try m.store64(address &+ 16, UInt64(stat.filetype.rawValue))
        try m.store64(address &+ 24, stat.linkCount)
        try m.store64(address &+ 32, stat.size)
        try m.store64(address &+ 40, stat.accessTime)
        try m.store64(address &+ 48, stat.modificationTime)
        try m.store64(address &+ 56, stat.statusChangeTime)
    }

    func fdFilestatGet(_ m: GuestMemory, _ a: WASIArguments) throws(WASIErrno) {
        let entry = try descriptor(a.u32(0))
        try entry.require(WASIRights.fdFilestatGet)
        try WASIContext.storeFilestat(try entry.file.stat(), m, a.u32(1))
    }

    func fdFilestatSetSize(_ m: GuestMemory, _ a: WASIArguments) throws(WASIErrno) {
        let entry = try descriptor(a.u32(0))
        if entry.file.filetype == .directory { throw .isDirectory }
        try entry.require(WASIRights.fdFilestatSetSize)
        guard a.u64(1) <= UInt64(Int64.max) else { throw .fileTooBig }
        try entry.file.setSize(a.u64(1))
    }

    /// The (access, modification) times `fstflags` asks for; nil leaves a time unchanged.
    func times(access: UInt64, modification: UInt64, flags rawFlags: UInt32) throws(WASIErrno)
        -> (UInt64?, UInt64?) {
        let flags = UInt16(truncatingIfNeeded: rawFlags)
        guard rawFlags & ~UInt32(WASITimeFlags.all) == 0 else { throw .invalid }
        if flags & WASITimeFlags.accessTime != 0 && flags & WASITimeFlags.accessTimeNow != 0 { throw .invalid }
        if flags & WASITimeFlags.modificationTime != 0 && flags & WASITimeFlags.modificationTimeNow != 0 {
            throw .invalid
        }
        var accessTime: UInt64?
        var modificationTime: UInt64?
        if flags & WASITimeFlags.accessTime != 0 { accessTime = access }
        if flags & WASITimeFlags.modificationTime != 0 { modificationTime = modification }
        if flags & (WASITimeFlags.accessTimeNow | WASITimeFlags.modificationTimeNow) != 0 {
            let now = realtimeNow
            if flags & WASITimeFlags.accessTimeNow != 0 { accessTime = now }
            if flags & WASITimeFlags.modificationTimeNow != 0 { modificationTime = now }
        }
        return (accessTime, modificationTime)
    }

    func fdFilestatSetTimes(_ m: GuestMemory, _ a: WASIArguments) throws(WASIErrno) {
        let entry = try descriptor(a.u32(0))
        let (access, modification) = try times(access: a.u64(1), modification: a.u64(2), flags: a.u32(3))
        try entry.require(WASIRights.fdFilestatSetTimes)
        try entry.file.setTimes(access: access, modification: modification)
    }

    // MARK: Reading and writing

    func fdRead(_ m: GuestMemory, _ a: WASIArguments, positional: Bool) throws(WASIErrno) {
        let entry = try descriptor(a.u32(0))
        let vectors = try m.ioVectors(a.u32(1), a.u32(2))
        let resultAddress = positional ? a.u32(4) : a.u32(3)
        _ = try m.pointer(resultAddress, 4)
        if entry.file.filetype == .directory { throw .isDirectory }
        try entry.require(positional ? WASIRights.fdRead | WASIRights.fdSeek : WASIRights.fdRead)
        if positional && !entry.isSeekable { throw .invalidSeek }
        let seekable = entry.isSeekable
        var position = positional ? a.u64(3) : entry.offset
        var total = 0
        for vector in vectors where vector.count > 0 {
            // A stream returns what it has once it has given some bytes (readv on a pipe).
            if total > 0 && !seekable && !entry.file.isReady(forWriting: false) { break }
            let count = try entry.file.read(into: vector, at: seekable ? position : nil)
            total += count
            position &+= UInt64(count)
            if count < vector.count { break }
        }
        if !positional && seekable { entry.offset = position }
        try m.store32(resultAddress, UInt32(truncatingIfNeeded: total))
    }

    func fdWrite(_ m: GuestMemory, _ a: WASIArguments, positional: Bool) throws(WASIErrno) {
        let entry = try descriptor(a.u32(0))
        let vectors = try m.ioVectors(a.u32(1), a.u32(2))
        let resultAddress = positional ? a.u32(4) : a.u32(3)
        _ = try m.pointer(resultAddress, 4)
        if entry.file.filetype == .directory { throw .isDirectory }
        try entry.require(positional ? WASIRights.fdWrite | WASIRights.fdSeek : WASIRights.fdWrite)
        if positional && !entry.isSeekable { throw .invalidSeek }
        let seekable = entry.isSeekable
        var position: UInt64
        if positional {
            position = a.u64(3)
        } else if seekable && entry.flags & WASIFdFlags.append != 0 {
            position = try entry.file.stat().size
        } else {
            position = entry.offset
        }
        var total = 0
        for vector in vectors where vector.count > 0 {
            let count = try entry.file.write(UnsafeRawBufferPointer(vector), at: seekable ? position : nil)
            total += count
            position &+= UInt64(count)
            if count < vector.count { break }
        }
        if !positional && seekable { entry.offset = position }
        try m.store32(resultAddress, UInt32(truncatingIfNeeded: total))
    }

    func fdSeek(_ m: GuestMemory, _ a: WASIArguments) throws(WASIErrno) {
        let entry = try descriptor(a.u32(0))
        let delta = Int64(bitPattern: a.u64(1))
        let whence = a.u32(2)
        let resultAddress = a.u32(3)
        if entry.file.filetype == .directory { throw .badFileDescriptor }
        let tellOnly = delta == 0 && whence == 1
        try entry.require(tellOnly ? WASIRights.fdTell : WASIRights.fdSeek)
        guard entry.isSeekable else { throw .invalidSeek }
        let origin: Int64
        switch whence {
        case 0: origin = 0
        case 1: origin = Int64(bitPattern: entry.offset)
        case 2: origin = Int64(bitPattern: try entry.file.stat().size)
        default: throw .invalid
        }
        let (target, overflow) = origin.addingReportingOverflow(delta)
        guard !overflow, target >= 0 else { throw .invalid }
        _ = try m.pointer(resultAddress, 8)
        entry.offset = UInt64(target)
        try m.store64(resultAddress, entry.offset)
    }

    func fdTell(_ m: GuestMemory, _ a: WASIArguments) throws(WASIErrno) {
        let entry = try descriptor(a.u32(0))
        if entry.file.filetype == .directory { throw .badFileDescriptor }
        try entry.require(WASIRights.fdTell)
        guard entry.isSeekable else { throw .invalidSeek }
        try m.store64(a.u32(1), entry.offset)
    }

    func fdReaddir(_ m: GuestMemory, _ a: WASIArguments) throws(WASIErrno) {
        let entry = try descriptor(a.u32(0))
        let bufferAddress = a.u32(1), bufferLength = a.u32(2), cookie = a.u64(3), resultAddress = a.u32(4)
        let buffer = try m.buffer(bufferAddress, bufferLength)
        _ = try m.pointer(resultAddress, 4)
        guard entry.file.filetype == .directory else { throw .notDirectory }
        try entry.require(WASIRights.fdReaddir)
        let own = try entry.file.stat()
        var listing = [WASIDirectoryEntry(name: ".", filetype: .directory, inode: own.inode),
                       WASIDirectoryEntry(name: "..", filetype: .directory, inode: own.inode)]
        listing.append(contentsOf: try entry.file.entries())
        var used = 0
        var index = cookie
        var header = [UInt8](repeating: 0, count: WASILayout.direntSize)
        while index < UInt64(listing.count), used < buffer.count {
            let item = listing[Int(index)]
            let name = Array(item.name.utf8)
            index += 1
            WASIContext.encodeDirent(&header, next: index, inode: item.inode, nameLength: name.count,
                                     type: item.filetype)
            for byte in header + name {
                guard used < buffer.count else { break }
                buffer[used] = byte
                used += 1
            }
        }
        try m.store32(resultAddress, UInt32(used))
    }

    static func encodeDirent(_ header: inout [UInt8], next: UInt64, inode: UInt64, nameLength: Int,
                             type: WASIFiletype) {
        for byte in 0..<8 {
            header[byte] = UInt8(truncatingIfNeeded: next >> (8 * UInt64(byte)))
            header[8 + byte] = UInt8(truncatingIfNeeded: inode >> (8 * UInt64(byte)))
        }
        let length = UInt32(truncatingIfNeeded: nameLength)
        for byte in 0..<4 { header[16 + byte] = UInt8(truncatingIfNeeded: length >> (8 * UInt32(byte))) }
        header[20] = type.rawValue
        header[21] = 0
        header[22] = 0
        header[23] = 0
    }

    // MARK: Paths

    private func path(_ m: GuestMemory, _ address: UInt32, _ length: UInt32) throws(WASIErrno) -> [UInt8] {
        try m.bytes(address, length)
    }

    func pathOpen(_ m: GuestMemory, _ a: WASIArguments) throws(WASIErrno) {
        let directory = try directory(a.u32(0), rights: WASIRights.pathOpen)
        let follow = a.u32(1) & 1 != 0
        let pathBytes = try path(m, a.u32(2), a.u32(3))
        let openFlags = UInt16(truncatingIfNeeded: a.u32(4))
        let requestedBase = a.u64(5), requestedInheriting = a.u64(6)
        let fdFlags = UInt16(truncatingIfNeeded: a.u32(7))
        let resultAddress = a.u32(8)
        _ = try m.pointer(resultAddress, 4)
        guard a.u32(4) & ~UInt32(WASIOpenFlags.all) == 0, a.u32(7) & ~UInt32(WASIFdFlags.all) == 0 else {
            throw .invalid
        }
        let create = openFlags & WASIOpenFlags.create != 0
        let exclusive = openFlags & WASIOpenFlags.exclusive != 0
        let truncate = openFlags & WASIOpenFlags.truncate != 0
        let wantsDirectory = openFlags & WASIOpenFlags.directory != 0
        if create { try directory.require(WASIRights.pathCreateFile) }
        if truncate { try directory.require(WASIRights.pathFilestatSetSize) }
        let writeRights = WASIRights.fdWrite | WASIRights.fdAllocate | WASIRights.fdFilestatSetSize
        let wantsWrite = requestedBase & writeRights != 0 || fdFlags & WASIFdFlags.append != 0
        // Below a read-only preopen nothing may be opened for writing (not even to be refused later).
        if wantsWrite && directory.rightsInheriting & WASIRights.fdWrite == 0 { throw .notCapable }

        let opened: any WASIFile
        switch try resolve(directory.file, pathBytes, followFinal: follow) {
        case .directory(let handle):
            if create && exclusive { throw .exists }
            if truncate || wantsWrite { throw .isDirectory }
            opened = handle
        case .entry(let parent, let name, let trailingSlash):
            var existing: WASIFileStat?
            do throws(WASIErrno) {
                existing = try parent.lookup(name)
            } catch {
                guard error == .noEntry else { throw error }
            }
            if let existing {
                if create && exclusive { throw .exists }
                switch existing.filetype {
                case .symbolicLink:
                    throw .loop
                case .directory:
                    if truncate || wantsWrite { throw .isDirectory }
                    opened = try parent.openDirectory(name)
                default:
                    if wantsDirectory || trailingSlash { throw .notDirectory }
                    let read = requestedBase & (WASIRights.fdRead | WASIRights.fdReaddir) != 0
                    opened = try parent.openFile(name, create: false, exclusive: false, truncate: truncate,
                                                 read: read || !wantsWrite, write: wantsWrite || truncate)
                }
            } else {
                guard create else { throw .noEntry }
                if trailingSlash || wantsDirectory { throw trailingSlash ? .isDirectory : .invalid }
                let read = requestedBase & (WASIRights.fdRead | WASIRights.fdReaddir) != 0
                opened = try parent.openFile(name, create: true, exclusive: exclusive, truncate: truncate,
                                             read: read || !wantsWrite, write: wantsWrite || truncate)
            }
        }
        let typeRights: UInt64
        switch opened.filetype {
        case .directory: typeRights = WASIRights.directory
        case .regularFile, .blockDevice: typeRights = WASIRights.regularFile
        default: typeRights = WASIRights.characterDevice
        }
        let descriptor = WASIDescriptor(
            file: opened,
            rightsBase: requestedBase & directory.rightsInheriting & typeRights,
            rightsInheriting: requestedInheriting & directory.rightsInheriting,
            flags: fdFlags)
        let fd = try insert(descriptor)
        try m.store32(resultAddress, fd)
    }

    func pathCreateDirectory(_ m: GuestMemory, _ a: WASIArguments) throws(WASIErrno) {
        let directory = try directory(a.u32(0), rights: WASIRights.pathCreateDirectory)
        switch try resolve(directory.file, try path(m, a.u32(1), a.u32(2)), followFinal: false) {
        case .directory: throw .exists
        case .entry(let parent, let name, _): try parent.createDirectory(name)
        }
    }

    func pathRemoveDirectory(_ m: GuestMemory, _ a: WASIArguments) throws(WASIErrno) {
        let directory = try directory(a.u32(0), rights: WASIRights.pathRemoveDirectory)
        switch try resolve(directory.file, try path(m, a.u32(1), a.u32(2)), followFinal: false) {
        case .directory: throw .invalid
        case .entry(let parent, let name, let trailingSlash):
            if trailingSlash {
                let stat = try parent.lookup(name)
                guard stat.filetype == .directory else { throw .notDirectory }
            }
            try parent.removeDirectory(name)
        }
    }

    func pathUnlinkFile(_ m: GuestMemory, _ a: WASIArguments) throws(WASIErrno) {
        let directory = try directory(a.u32(0), rights: WASIRights.pathUnlinkFile)
        switch try resolve(directory.file, try path(m, a.u32(1), a.u32(2)), followFinal: false) {
        case .directory: throw .isDirectory
        case .entry(let parent, let name, let trailingSlash):
            let stat = try parent.lookup(name)
            if stat.filetype == .directory { throw .isDirectory }
            if trailingSlash { throw .notDirectory }
            try parent.unlinkFile(name)
        }
    }

    func pathFilestatGet(_ m: GuestMemory, _ a: WASIArguments) throws(WASIErrno) {
        let directory = try directory(a.u32(0), rights: WASIRights.pathFilestatGet)
        let follow = a.u32(1) & 1 != 0
        let pathBytes = try path(m, a.u32(2), a.u32(3))
        let resultAddress = a.u32(4)
        _ = try m.pointer(resultAddress, UInt64(WASILayout.filestatSize))
        let stat: WASIFileStat
        switch try resolve(directory.file, pathBytes, followFinal: follow) {
        case .directory(let handle):
            stat = try handle.stat()
        case .entry(let parent, let name, let trailingSlash):
            stat = try parent.lookup(name)
            if trailingSlash && stat.filetype != .directory { throw .notDirectory }
        }
        try WASIContext.storeFilestat(stat, m, resultAddress)
    }

    func pathFilestatSetTimes(_ m: GuestMemory, _ a: WASIArguments) throws(WASIErrno) {
        let directory = try directory(a.u32(0), rights: WASIRights.pathFilestatSetTimes)
        let follow = a.u32(1) & 1 != 0
        let pathBytes = try path(m, a.u32(2), a.u32(3))
        let (access, modification) = try times(access: a.u64(4), modification: a.u64(5), flags: a.u32(6))
        switch try resolve(directory.file, pathBytes, followFinal: follow) {
        case .directory(let handle):
            try handle.setTimes(access: access, modification: modification)
        case .entry(let parent, let name, let trailingSlash):
            if trailingSlash {
                let stat = try parent.lookup(name)
                guard stat.filetype == .directory else { throw .notDirectory }
            }
            try parent.setTimes(of: name, access: access, modification: modification)
        }
    }

    func pathReadlink(_ m: GuestMemory, _ a: WASIArguments) throws(WASIErrno) {
        let directory = try directory(a.u32(0), rights: WASIRights.pathReadlink)
        let pathBytes = try path(m, a.u32(1), a.u32(2))
        let buffer = try m.buffer(a.u32(3), a.u32(4))
        let resultAddress = a.u32(5)
        _ = try m.pointer(resultAddress, 4)
        switch try resolve(directory.file, pathBytes, followFinal: false) {
        case .directory:
            throw .invalid
        case .entry(let parent, let name, let trailingSlash):
            let stat = try parent.lookup(name)
            guard stat.filetype == .symbolicLink else { throw trailingSlash ? .notDirectory : .invalid }
            let target = try parent.readLink(name)
            let count = min(target.count, buffer.count)
            for index in 0..<count { buffer[index] = target[index] }
            try m.store32(resultAddress, UInt32(count))
        }
    }

    func pathSymlink(_ m: GuestMemory, _ a: WASIArguments) throws(WASIErrno) {
        let target = try path(m, a.u32(0), a.u32(1))
        let directory = try directory(a.u32(2), rights: WASIRights.pathSymlink)
        let pathBytes = try path(m, a.u32(3), a.u32(4))
        guard !target.isEmpty else { throw .noEntry }
        guard !target.contains(0) else { throw .invalid }
        // A link whose target is absolute could only ever lead out of the sandbox.
        guard target.first != UInt8(ascii: "/") else { throw .notCapable }
        switch try resolve(directory.file, pathBytes, followFinal: false) {
        case .directory:
            throw .exists
        case .entry(let parent, let name, let trailingSlash):
            if trailingSlash {
                let stat: WASIFileStat
                do throws(WASIErrno) {
                    stat = try parent.lookup(name)
                } catch {
                    throw error == .noEntry ? .noEntry : error
                }
                throw stat.filetype == .directory ? .exists : .notDirectory
            }
            try parent.createSymlink(name, target: target)
        }
    }

    func pathLink(_ m: GuestMemory, _ a: WASIArguments) throws(WASIErrno) {
        let source = try directory(a.u32(0), rights: WASIRights.pathLinkSource)
        let follow = a.u32(1) & 1 != 0
        let sourcePath = try path(m, a.u32(2), a.u32(3))
        let destination = try directory(a.u32(4), rights: WASIRights.pathLinkTarget)
        let destinationPath = try path(m, a.u32(5), a.u32(6))
        guard case .entry(let sourceParent, let sourceName, let sourceSlash) =
                try resolve(source.file, sourcePath, followFinal: follow) else { throw .permission }
        let stat = try sourceParent.lookup(sourceName)
        if stat.filetype == .directory { throw .permission }
        if sourceSlash { throw .notDirectory }
        switch try resolve(destination.file, destinationPath, followFinal: false) {
        case .directory:
            throw .exists
        case .entry(let parent, let name, let trailingSlash):
            if trailingSlash {
                if (try? parent.lookup(name)) != nil { throw .exists }
                throw .noEntry
            }
            try sourceParent.link(sourceName, to: parent, as: name)
        }
    }

    func pathRename(_ m: GuestMemory, _ a: WASIArguments) throws(WASIErrno) {
        let source = try directory(a.u32(0), rights: WASIRights.pathRenameSource)
        let sourcePath = try path(m, a.u32(1), a.u32(2))
        let destination = try directory(a.u32(3), rights: WASIRights.pathRenameTarget)
        let destinationPath = try path(m, a.u32(4), a.u32(5))
        guard case .entry(let sourceParent, let sourceName, let sourceSlash) =
                try resolve(source.file, sourcePath, followFinal: false) else { throw .busy }
        guard case .entry(let parent, let name, let destinationSlash) =
                try resolve(destination.file, destinationPath, followFinal: false) else { throw .busy }
        let stat = try sourceParent.lookup(sourceName)
        if stat.filetype != .directory {
            if sourceSlash { throw .notDirectory }
            if destinationSlash {
                if let existing = try? parent.lookup(name), existing.filetype == .directory { throw .isDirectory }
                throw .notDirectory
            }
        }
        try sourceParent.rename(sourceName, to: parent, as: name)
    }

    // MARK: Polling

    func pollOneoff(_ m: GuestMemory, _ a: WASIArguments) throws(WASIErrno) {
        let input = a.u32(0), output = a.u32(1), count = a.u32(2), resultAddress = a.u32(3)
        guard count > 0 else { throw .invalid }
        _ = try m.pointer(input, UInt64(count) * UInt64(WASILayout.subscriptionSize))
        _ = try m.pointer(output, UInt64(count) * UInt64(WASILayout.eventSize))
        _ = try m.pointer(resultAddress, 4)

        struct Event { var userdata: UInt64; var error: UInt16; var type: UInt8; var bytes: UInt64 = 0 }
        var events: [Event] = []
        // Clock subscriptions as (userdata, monotonic deadline); fd subscriptions to re-check.
        var clocks: [(userdata: UInt64, deadline: UInt64)] = []
        var waits: [(userdata: UInt64, type: UInt8, entry: WASIDescriptor)] = []
        let start = clock.now(.monotonic) ?? 0
        for index in 0..<count {
            let address = input &+ index &* UInt32(WASILayout.subscriptionSize)
            let userdata = try m.load64(address)
            let tag = try m.load8(address &+ 8)
            switch tag {
            case 0:
                let id = try m.load32(address &+ 16)
                let timeout = try m.load64(address &+ 24)
                let absolute = try m.load16(address &+ 40) & 1 != 0
                guard let clockID = WASIClockID(rawValue: id), let now = clock.now(clockID) else {
                    events.append(Event(userdata: userdata, error: WASIErrno.invalid.rawValue, type: 0))
                    continue
                }
                let remaining = absolute ? (timeout > now ? timeout - now : 0) : timeout
                let (deadline, overflow) = start.addingReportingOverflow(remaining)
                clocks.append((userdata, overflow ? UInt64.max : deadline))
            case 1, 2:
                let fd = try m.load32(address &+ 16)
                do throws(WASIErrno) {
                    let entry = try descriptor(fd)
                    try entry.require(WASIRights.pollFdReadwrite)
                    waits.append((userdata, tag, entry))
                } catch {
                    events.append(Event(userdata: userdata, error: error.rawValue, type: tag))
                }
            default:
                throw .invalid
            }
        }
        while true {
            for wait in waits where wait.entry.file.isReady(forWriting: wait.type == 2) {
                var bytes: UInt64 = 0
                if wait.type == 1, wait.entry.isSeekable, let size = try? wait.entry.file.stat().size,
                   size > wait.entry.offset {
                    bytes = size - wait.entry.offset
                }
                events.append(Event(userdata: wait.userdata, error: 0, type: wait.type, bytes: bytes))
            }
            let now = clock.now(.monotonic) ?? UInt64.max
            for entry in clocks where entry.deadline <= now {
                events.append(Event(userdata: entry.userdata, error: 0, type: 0))
            }
            if !events.isEmpty { break }
            let nextDeadline = clocks.map { $0.deadline }.min() ?? UInt64.max
            let wait = nextDeadline - now
            // With descriptors to watch, re-check them at least every millisecond.
            clock.sleep(nanoseconds: waits.isEmpty ? wait : min(wait, 1_000_000))
        }
        for (index, event) in events.enumerated() {
            let address = output &+ UInt32(index) &* UInt32(WASILayout.eventSize)
            try m.store64(address, event.userdata)
            try m.store16(address &+ 8, event.error)
            try m.store8(address &+ 10, event.type)
            try m.store8(address &+ 11, 0)
            try m.store32(address &+ 12, 0)
            try m.store64(address &+ 16, event.bytes)
            try m.store64(address &+ 24, 0)
        }
        try m.store32(resultAddress, UInt32(events.count))
    }
}
