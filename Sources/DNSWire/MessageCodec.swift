import DNSModel

extension Message {
    /// Decodes a whole message strictly: counts must match the records present, names may
    /// only point backwards, at most one OPT and only in the additional section (RFC 6891 §6.1.1),
    /// a TSIG only as the last record (RFC 8945 §5.1).
    /// Bytes after the last counted record are ignored (reliability case 9), unless
    /// `rejectingTrailingBytes` (a query to answer: Knot answers those FORMERR).
    public init(wire: some Collection<UInt8>, rejectingTrailingBytes: Bool = false) throws(WireError) {
        let array = Array(wire)
        self = try ByteReader.reading(array) { (raw) throws(WireError) in
            try Message.decode(raw, rejectingTrailingBytes: rejectingTrailingBytes)
        }
    }

    /// Decodes a message held in a raw buffer (see `init(wire:)`).
    public static func decode(_ raw: UnsafeRawBufferPointer, rejectingTrailingBytes: Bool = false) throws(WireError) -> Message {
        var r = ByteReader(raw)
        guard raw.count >= 12 else { throw WireError("message shorter than its 12-octet header") }
        let id = try r.u16()
        let flags = try r.u16()
        let qd = Int(try r.u16()), an = Int(try r.u16()), ns = Int(try r.u16()), ar = Int(try r.u16())
        var m = Message(id: id)
        m.isResponse = flags & 0x8000 != 0
        m.opcode = OpCode(rawValue: UInt8((flags >> 11) & 0xF))
        m.authoritative = flags & 0x0400 != 0
        m.truncated = flags & 0x0200 != 0
        m.recursionDesired = flags & 0x0100 != 0
        m.recursionAvailable = flags & 0x0080 != 0
        m.authenticData = flags & 0x0020 != 0
        m.checkingDisabled = flags & 0x0010 != 0
        m.rcode = ResponseCode(rawValue: flags & 0xF)
        // Each question takes at least 5 octets and each record 11: refuse counts the bytes cannot hold.
        guard qd * 5 + (an + ns + ar) * 11 <= r.remaining else {
            throw WireError("section counts exceed the message size")
        }
        for _ in 0..<qd {
            let name = try r.name()
            m.questions.append(Question(name: name, type: RecordType(rawValue: try r.u16()),
                                        class: RecordClass(rawValue: try r.u16())))
        }
        m.answers = try records(an, &r, section: "answer")
        m.authority = try records(ns, &r, section: "authority")
        for i in 0..<ar {
            let name = try r.name()
            let type = RecordType(rawValue: try r.u16())
            // TSIG (250) must be the last record of the message (RFC 8945 §5.1), after OPT too.
            if type.rawValue == 250, i != ar - 1 { throw WireError("TSIG is not the last record") }
            if type == .opt {
                guard m.edns == nil else { throw WireError("more than one OPT record") }
                guard name.isRoot else { throw WireError("OPT owner is not the root") }
                m.edns = try opt(&r)
                let ext = UInt16(m.edns!.extendedRCode) << 4
                m.rcode = ResponseCode(rawValue: ext | m.rcode.rawValue)
            } else {
                m.additional.append(try record(name: name, type: type, &r))
            }
        }
        if rejectingTrailingBytes, r.remaining > 0 { throw WireError("\(r.remaining) octets after the last record") }
        return m
    }

    private static func records(_ n: Int, _ r: inout ByteReader, section: String) throws(WireError) -> [ResourceRecord] {
        var out: [ResourceRecord] = []
        for _ in 0..<n {
            let name = try r.name()
            let type = RecordType(rawValue: try r.u16())
            guard type != .opt else { throw WireError("OPT record in the \(section) section") }
            out.append(try record(name: name, type: type, &r))
        }
        return out
    }

    private static func record(name: DomainName, type: RecordType, _ r: inout ByteReader) throws(WireError) -> ResourceRecord {
        let cls = RecordClass(rawValue: try r.u16())
        let ttl = try r.u32()
        let length = Int(try r.u16())
        let data = try RDataCodec.decode(type: type, length: length, from: &r)
        return ResourceRecord(name: name, class: cls, ttl: ttl, data: data)
    }

    private static func opt(_ r: inout ByteReader) throws(WireError) -> EDNS {
        let size = try r.u16()
        let ext = try r.u8()
        let version = try r.u8()
        let flags = try r.u16()
        let length = Int(try r.u16())
        guard length <= r.remaining else { throw WireError("OPT RDATA runs past the message") }
        let end = r.offset + length
        var options: [EDNSOption] = []
        while r.offset < end {
            let code = try r.u16()
            let n = Int(try r.u16())
            guard r.offset + n <= end else { throw WireError("EDNS option runs past the OPT RDATA") }
            options.append(EDNSOption(code: code, data: try r.take(n)))
        }
        return EDNS(udpPayloadSize: size, extendedRCode: ext, version: version,
                    dnssecOK: flags & 0x8000 != 0, options: options)
    }

    /// Encodes the message, compressing names. When `maxSize` is given and the message does not
    /// fit, records are dropped at a record boundary: a cut in the answer or authority section sets
    /// TC (RFC 2181 §9), a cut in the additional section does not. The OPT record always fits.
    public func wire(maxSize: Int = 65535) -> [UInt8] {
        var w = MessageWriter(capacity: min(maxSize, 512))
        let optSize = edns.map { 11 + $0.options.reduce(0) { $0 + 4 + $1.data.count } } ?? 0
        let budget = max(maxSize, 12) - optSize
        w.u16(id)
        w.u16(0)                                     // flags, patched below
        w.u16(UInt16(questions.count)); w.u16(0); w.u16(0); w.u16(0)
        for q in questions {
            w.name(q.name); w.u16(q.type.rawValue); w.u16(q.class.rawValue)
        }
        var tc = truncated
        var ancount: UInt16 = 0, nscount: UInt16 = 0, arcount: UInt16 = 0
        if !w.records(answers, budget: budget, written: &ancount) || !w.records(authority, budget: budget, written: &nscount) {
            tc = true
        } else {
            // Additional data is extra: what does not fit is left out whole RRset by whole RRset,
            // without TC (RFC 2181 §9), so no resolver caches part of an address set.
            _ = w.records(additional, budget: budget, written: &arcount, wholeRRsets: true)
        }
        if let edns {
            w.u8(0); w.u16(RecordType.opt.rawValue); w.u16(edns.udpPayloadSize)
            w.u8(UInt8(truncatingIfNeeded: rcode.rawValue >> 4)); w.u8(edns.version)
            w.u16(edns.dnssecOK ? 0x8000 : 0)
            let lengthAt = w.count
            w.u16(0)
            for o in edns.options { w.u16(o.code); w.u16(UInt16(o.data.count)); w.append(o.data) }
            w.set16(UInt16(w.count - lengthAt - 2), at: lengthAt)
            arcount += 1
        }
        var flags: UInt16 = 0
        if isResponse { flags |= 0x8000 }
        flags |= UInt16(opcode.rawValue & 0xF) << 11
        if authoritative { flags |= 0x0400 }
        if tc { flags |= 0x0200 }
        if recursionDesired { flags |= 0x0100 }
        if recursionAvailable { flags |= 0x0080 }
        if authenticData { flags |= 0x0020 }
        if checkingDisabled { flags |= 0x0010 }
        flags |= rcode.rawValue & 0xF
        w.set16(flags, at: 2)
        w.set16(ancount, at: 6); w.set16(nscount, at: 8); w.set16(arcount, at: 10)
        return w.bytes
    }
}
