/// A DHCP message read in place: the payload where it lies (libpcap's buffer, a socket's) and an index of its options
/// in storage its `DHCPMessageReader` owns. Nothing is copied and nothing allocated for a well-formed message; RFC 3396
/// concatenation is done only for codes sent more than once. Valid until the reader reads the next message.
///
/// The owned `DHCPMessage` (to keep, change or serialize) is built from a view: `DHCPMessage(view)`.
public struct DHCPMessageView: BitwiseCopyable {
    /// The UDP payload, at least the 236 bytes of the fixed header.
    public let bytes: UnsafeRawBufferPointer
    @usableFromInline let slots: UnsafePointer<DHCPMessageReader.Slot>
    @usableFromInline let generation: UInt32
    @usableFromInline let joined: UnsafeRawPointer
    @usableFromInline let items: UnsafePointer<DHCPMessageReader.Item>
    @usableFromInline let itemCount: Int
    /// The reader's record of where each option field lies (kept there: the view stays a few words).
    let layout: UnsafePointer<DHCPMessageReader.Areas>

    @inlinable public var op: UInt8 { bytes[0] }
    @inlinable public var htype: UInt8 { bytes[1] }
    @inlinable public var hlen: UInt8 { bytes[2] }
    @inlinable public var hops: UInt8 { bytes[3] }
    @inlinable public var xid: UInt32 { IPv4Address(bytes, at: 4).rawValue }
    @inlinable public var secs: UInt16 { UInt16(bytes[8]) << 8 | UInt16(bytes[9]) }
    @inlinable public var flags: UInt16 { UInt16(bytes[10]) << 8 | UInt16(bytes[11]) }
    @inlinable public var clientAddress: IPv4Address { IPv4Address(bytes, at: 12) }
    @inlinable public var yourAddress: IPv4Address { IPv4Address(bytes, at: 16) }
    @inlinable public var serverAddress: IPv4Address { IPv4Address(bytes, at: 20) }
    @inlinable public var relayAddress: IPv4Address { IPv4Address(bytes, at: 24) }

    /// The first hlen bytes of chaddr (at most 16), in place.
    @inlinable public var hardwareAddress: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[28..<(28 + Int(min(hlen, 16)))])
    }

    /// The RFC 3396 data of `code` in place (the joined copy when it was sent more than once); nil when absent.
    @inlinable
    public func optionData(_ code: DHCPOptionCode) -> UnsafeRawBufferPointer? {
        let slot = slots[Int(code.rawValue)]
        guard slot.generation == generation else { return nil }
        let base = slot.isJoined ? joined : UnsafeRawPointer(bytes.baseAddress!)
        return UnsafeRawBufferPointer(start: base + Int(slot.start), count: Int(slot.length))
    }

    /// How many instances `code` was sent in (0 when absent).
    @inlinable
    public func instances(of code: DHCPOptionCode) -> Int {
        let slot = slots[Int(code.rawValue)]
        return slot.generation == generation ? Int(slot.instances) : 0
    }

    /// Each option as RFC 3396 reads it, in the order codes first appear: code, data, instances, the field of the
    /// first instance.
    public func forEachOption(_ body: (DHCPOptionCode, UnsafeRawBufferPointer, Int, DHCPOptionLocation) -> Void) {
        for index in 0..<itemCount {
            let item = items[index]
            guard item.kind == .option else { continue }
            let code = DHCPOptionCode(bytes[Int(item.offset)])
            guard Int(slots[Int(code.rawValue)].firstItem) == index, let data = optionData(code) else { continue }
            body(code, data, instances(of: code), item.location)
        }
    }

    /// Offsets (in the payload) of each option instance: the options field, then file, then sname.
    public var optionOffsets: [Int] {
        (0..<itemCount).compactMap { items[$0].kind == .option ? Int(items[$0].offset) : nil }
    }

    var areas: DHCPMessageReader.Areas { layout.pointee }

    /// sname as text (`DHCPMessage.text(of:)`): "" when it holds options.
    public var snameText: String { areas.sname.present ? "" : DHCPMessage.fieldText(bytes[44..<108]) }
    /// file as text: "" when it holds options.
    public var fileText: String { areas.file.present ? "" : DHCPMessage.fieldText(bytes[108..<236]) }
}

/// Reads DHCP messages into views, reusing its storage from one message to the next: one per decoding thread.
public final class DHCPMessageReader {
    /// Where the first instance of a code lies and what RFC 3396 makes of all of them.
    public struct Slot {
        /// The read this slot was last written by: an older one means the code is absent.
        @usableFromInline var generation: UInt32 = 0
        @usableFromInline var firstItem: UInt32 = 0
        /// Offset of the data: in the payload, or in the joined buffer when `isJoined`.
        @usableFromInline var start: UInt32 = 0
        @usableFromInline var length: UInt32 = 0
        @usableFromInline var instances: UInt16 = 0
        @usableFromInline var isJoined = false
    }

    /// One element of an option field: a run of pads, an option instance, or the end option.
    public struct Item {
        public enum Kind: UInt8 { case pad, option, end }
        @usableFromInline var kind: Kind
        @usableFromInline var location: DHCPOptionLocation
        /// Offset of the element's first byte in the payload.
        @usableFromInline var offset: UInt32
        /// Data length of an option, or the number of pads in a run.
        @usableFromInline var length: UInt32
    }

    enum VendorKind { case absent, options, unknown }

    /// Where each option field's items and trailer lie.
    public struct Areas {
        struct Area {
            var present = false
            var firstItem = 0, endItem = 0
            /// The trailer: bytes after the end option, or the unreadable rest after a malformed option.
            var trailerStart = 0, trailerEnd = 0
        }
        var vendor = VendorKind.absent
        var main = Area(), file = Area(), sname = Area()
    }

    // The reader is used by one thread and never reentered: its state needs no run-time exclusivity checks, which
    // cost more than the reading itself.
    private let slots = UnsafeMutablePointer<Slot>.allocate(capacity: 256)
    private let areas = UnsafeMutablePointer<Areas>.allocate(capacity: 1)
    @exclusivity(unchecked) private var generation: UInt32 = 0
    @exclusivity(unchecked) private var joined = UnsafeMutableRawPointer.allocate(byteCount: 1024, alignment: 8)
    @exclusivity(unchecked) private var joinedCapacity = 1024
    @exclusivity(unchecked) private var items = UnsafeMutablePointer<Item>.allocate(capacity: 64)
    @exclusivity(unchecked) private var itemCapacity = 64
    @exclusivity(unchecked) private var itemCount = 0
    /// Codes seen more than once in the message being read.
    @exclusivity(unchecked) private var repeated: [UInt8] = []
    @exclusivity(unchecked) private var issues = UnsafeMutablePointer<DHCPParseIssue>.allocate(capacity: 8)
    @exclusivity(unchecked) private var issueCapacity = 8
    @exclusivity(unchecked) private var issueCount = 0
    /// A copy of a payload the caller cannot keep (a reassembled datagram), valid until the next read.
    @exclusivity(unchecked) private var held = UnsafeMutableRawPointer.allocate(byteCount: 0, alignment: 8)
    @exclusivity(unchecked) private var heldCapacity = 0

    public init() {
        slots.initialize(repeating: Slot(), count: 256)
        areas.initialize(to: Areas())
        repeated.reserveCapacity(8)
    }

    deinit {
        slots.deallocate()
        areas.deallocate()
        joined.deallocate()
        items.deallocate()
        held.deallocate()
        issues.deallocate()
    }

    /// `DHCPMessage.parse` with this reader's storage: what a role that parses every datagram it receives uses, so
    /// that the index is not allocated for each.
    public func parse(_ bytes: UnsafeRawBufferPointer) -> DHCPParseResult {
        let read = read(bytes)
        return DHCPParseResult(message: read.view.map(DHCPMessage.init), diagnostics: read.issues.diagnostics,
                               optionOffsets: read.view?.optionOffsets ?? [])
    }

    public func parse(_ bytes: [UInt8]) -> DHCPParseResult { bytes.withUnsafeBytes { parse($0) } }

    /// Copies `bytes` into storage the reader keeps until its next read, and reads them.
    public func readCopy(_ bytes: UnsafeRawBufferPointer) -> DHCPReadResult {
        if bytes.count > heldCapacity {
            held.deallocate()
            heldCapacity = max(bytes.count, 2 * heldCapacity)
            held = UnsafeMutableRawPointer.allocate(byteCount: heldCapacity, alignment: 8)
        }
        if let base = bytes.baseAddress { held.copyMemory(from: base, byteCount: bytes.count) }
        return read(UnsafeRawBufferPointer(start: held, count: bytes.count))
    }

    /// Reads one UDP payload: a view when the fixed header is complete, and every problem found, each at its byte
    /// offset. Never traps and never trusts a length.
    public func read(_ bytes: UnsafeRawBufferPointer) -> DHCPReadResult {
        issueCount = 0
        itemCount = 0
        generation &+= 1
        if generation == 0 {
            // Wrapped after four billion reads: no old stamp may pass for current.
            for code in 0..<256 { slots[code].generation = 0 }
            generation = 1
        }
        let headerLength = DHCPMessage.headerLength
        guard bytes.count >= headerLength, let base = bytes.baseAddress else {
            report(DHCPParseIssue(.truncatedHeader, offset: bytes.count, bytes.count))
            return DHCPReadResult(view: nil, issues: DHCPParseIssues(bytes: bytes, list: issueList))
        }
        if bytes[2] > 16 { report(DHCPParseIssue(.badHardwareLength, offset: 2, Int(bytes[2]))) }
        areas.pointee = Areas()
        if bytes.count > headerLength {
            if bytes.count >= headerLength + 4, IPv4Address(bytes, at: headerLength).rawValue == DHCPMessage.magicCookie {
                areas.pointee.vendor = .options
                if bytes.count > joinedCapacity {
                    joined.deallocate()
                    joinedCapacity = max(bytes.count, 2 * joinedCapacity)
                    joined = UnsafeMutableRawPointer.allocate(byteCount: joinedCapacity, alignment: 8)
                }
                if !repeated.isEmpty { repeated.removeAll(keepingCapacity: true) }
                areas.pointee.main = walk(bytes, (headerLength + 4)..<bytes.count, .options)
                let overload = readOverload(bytes)
                if overload & 1 != 0 { areas.pointee.file = walk(bytes, 108..<236, .file) }
                if overload & 2 != 0 { areas.pointee.sname = walk(bytes, 44..<108, .sname) }
                if overload != 0 {
                    for index in areas.pointee.main.endItem..<itemCount
                    where items[index].kind == .option && bytes[Int(items[index].offset)] == DHCPOptionCode.optionOverload.rawValue {
                        report(DHCPParseIssue(.misplacedOverload, offset: Int(items[index].offset)))
                    }
                }
                if !repeated.isEmpty { join(bytes) }
            } else {
                areas.pointee.vendor = .unknown
                report(DHCPParseIssue(.badMagicCookie, offset: headerLength, min(bytes.count - headerLength, 4)))
            }
        }
        let view = DHCPMessageView(
            bytes: UnsafeRawBufferPointer(start: base, count: bytes.count), slots: UnsafePointer(slots),
            generation: generation, joined: UnsafeRawPointer(joined), items: UnsafePointer(items), itemCount: itemCount,
            layout: UnsafePointer(areas))
        return DHCPReadResult(view: view, issues: DHCPParseIssues(bytes: bytes, list: issueList))
    }

    /// RFC 2131 §4.1 / RFC 2132 §9.3: option 52 (its first instance, in the options field) moves options into file
    /// (1), sname (2) or both (3). 0 when absent or not one of those.
    private func readOverload(_ bytes: UnsafeRawBufferPointer) -> UInt8 {
        let slot = slots[Int(DHCPOptionCode.optionOverload.rawValue)]
        guard slot.generation == generation else { return 0 }
        let item = items[Int(slot.firstItem)]
        let value = item.length == 1 ? bytes[Int(item.offset) + 2] : 0
        guard (1...3).contains(value) else {
            report(DHCPParseIssue(.badOverload, offset: Int(item.offset), Int(item.length)))
            return 0
        }
        return value
    }

    /// The items of one option field. An option that runs past the field is reported and the rest of the field kept
    /// as the trailer.
    private func walk(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ location: DHCPOptionLocation) -> Areas.Area {
        // Every item takes at least one byte of the field: room for them all is made once, and the loop keeps the
        // count and the stamp in registers.
        reserveItems(range.count)
        let items = self.items, slots = self.slots, generation = self.generation
        var count = itemCount
        var area = Areas.Area(present: true, firstItem: count, endItem: count, trailerStart: range.upperBound,
                              trailerEnd: range.upperBound)
        defer { itemCount = count }
        // Offsets are below the payload's length (under 2^17: a datagram), so the arithmetic below cannot overflow and
        // is written wrapping, without the checks.
        var index = range.lowerBound
        let end = range.upperBound
        while index < end {
            let code = bytes[index]
            if code == 0 {
                var run = 1
                while index &+ run < end, bytes[index &+ run] == 0 { run &+= 1 }
                (items + count).initialize(to: Item(kind: .pad, location: location, offset: UInt32(truncatingIfNeeded: index),
                                                   length: UInt32(truncatingIfNeeded: run)))
                count &+= 1
                index &+= run
                continue
            }
            if code == 255 {
                (items + count).initialize(to: Item(kind: .end, location: location, offset: UInt32(truncatingIfNeeded: index),
                                                   length: 0))
                count &+= 1
                area.trailerStart = index &+ 1
                area.endItem = count
                return area
            }
            guard index &+ 1 < end else {
                report(DHCPParseIssue(.optionTruncated, offset: index, -1, location: location))
                area.trailerStart = index
                area.endItem = count
                return area
            }
            let length = Int(bytes[index &+ 1])
            guard index &+ 2 &+ length <= end else {
                report(DHCPParseIssue(.optionTruncated, offset: index, length, end - index - 2, location: location))
                area.trailerStart = index
                area.endItem = count
                return area
            }
            let slot = slots + Int(code)
            if slot.pointee.generation != generation {
                slot.initialize(to: Slot(generation: generation, firstItem: UInt32(truncatingIfNeeded: count),
                                         start: UInt32(truncatingIfNeeded: index &+ 2),
                                         length: UInt32(truncatingIfNeeded: length), instances: 1, isJoined: false))
            } else {
                if slot.pointee.instances == 1 { repeated.append(code) }
                slot.pointee.instances &+= 1
            }
            (items + count).initialize(to: Item(kind: .option, location: location, offset: UInt32(truncatingIfNeeded: index),
                                               length: UInt32(truncatingIfNeeded: length)))
            count &+= 1
            index &+= 2 &+ length
        }
        report(DHCPParseIssue(.missingEnd, offset: end, location: location))
        area.endItem = count
        return area
    }

    /// Room for `more` items after those already read.
    private func reserveItems(_ more: Int) {
        guard itemCount + more > itemCapacity else { return }
        let capacity = max(itemCount + more, 2 * itemCapacity)
        let larger = UnsafeMutablePointer<Item>.allocate(capacity: capacity)
        larger.moveInitialize(from: items, count: itemCount)
        items.deallocate()
        items = larger
        itemCapacity = capacity
    }

    private var issueList: UnsafeBufferPointer<DHCPParseIssue> { UnsafeBufferPointer(start: issues, count: issueCount) }

    private func report(_ issue: DHCPParseIssue) {
        if issueCount == issueCapacity {
            let larger = UnsafeMutablePointer<DHCPParseIssue>.allocate(capacity: 2 * issueCapacity)
            larger.moveInitialize(from: issues, count: issueCount)
            issues.deallocate()
            issues = larger
            issueCapacity *= 2
        }
        (issues + issueCount).initialize(to: issue)
        issueCount += 1
    }

    /// RFC 3396: the instances of each repeated code, concatenated in order into the joined buffer (never longer
    /// than the payload).
    private func join(_ bytes: UnsafeRawBufferPointer) {
        var used = 0
        for code in repeated {
            let slot = slots + Int(code)
            let start = used
            for index in Int(slot.pointee.firstItem)..<itemCount {
                let item = items[index]
                guard item.kind == .option, bytes[Int(item.offset)] == code else { continue }
                (joined + used).copyMemory(from: bytes.baseAddress! + Int(item.offset) + 2, byteCount: Int(item.length))
                used += Int(item.length)
            }
            slot.pointee.start = UInt32(start)
            slot.pointee.length = UInt32(used - start)
            slot.pointee.isJoined = true
        }
    }
}

/// What one read found: the view (nil when the payload is shorter than the fixed header) and the problems.
public struct DHCPReadResult: BitwiseCopyable {
    public var view: DHCPMessageView?
    public var issues: DHCPParseIssues
}

/// A problem found while reading, kept as numbers: its text is written only when someone asks for it.
public struct DHCPParseIssue: BitwiseCopyable {
    public var code: DHCPParseError.Code
    public var offset: Int
    var first: Int, second: Int
    var location: DHCPOptionLocation

    init(_ code: DHCPParseError.Code, offset: Int, _ first: Int = 0, _ second: Int = 0, location: DHCPOptionLocation = .options) {
        self.code = code; self.offset = offset; self.first = first; self.second = second; self.location = location
    }

    public var severity: DHCPParseError.Severity { DHCPParseError.severity(of: code) }

    /// The problem as a `DHCPParseError`, its reason written from the payload it was found in.
    func error(in bytes: UnsafeRawBufferPointer) -> DHCPParseError {
        let reason: String
        switch code {
        case .truncatedHeader: reason = "\(first) bytes, the BOOTP header needs \(DHCPMessage.headerLength)"
        case .badHardwareLength: reason = "hlen \(first) is larger than chaddr's 16 bytes"
        case .badMagicCookie:
            reason = "magic cookie \(Hex.colonSeparated(bytes[offset..<(offset + first)])) is not 63:82:53:63"
        case .optionTruncated where first < 0:
            reason = "option \(bytes[offset]) in \(location) has no length byte"
        case .optionTruncated:
            reason = "option \(bytes[offset]) in \(location) has length \(first) but only \(second) bytes remain"
        case .missingEnd: reason = "the \(location) field has no end option"
        case .badOverload:
            reason = "option 52 value \(Hex.colonSeparated(bytes[(offset + 2)..<(offset + 2 + first)])) is not 1, 2 or 3"
        default: reason = "option 52 inside an overloaded field"
        }
        return DHCPParseError(code, offset: offset, reason)
    }
}

/// The problems of one read, valid as long as its view.
public struct DHCPParseIssues: BitwiseCopyable {
    /// The payload that was read (valid as long as the view: until the reader's next read).
    public let bytes: UnsafeRawBufferPointer
    /// In the reader's storage, like the view's index.
    public let list: UnsafeBufferPointer<DHCPParseIssue>

    public var isEmpty: Bool { list.isEmpty }
    public var hasError: Bool { list.contains { $0.severity == .error } }

    /// Each problem with its text.
    public var diagnostics: [DHCPParseError] { list.map { $0.error(in: bytes) } }
}
