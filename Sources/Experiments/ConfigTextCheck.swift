/// What JSONSerialization lets through in a configuration file's text: a key given twice in one
/// object (it keeps the last one without a word, so an edit near the top of a file can be
/// undone by a forgotten line further down) and a trailing comma (which Foundation on Linux
/// accepts and other JSON readers refuse). Runs on text JSONSerialization has already parsed,
/// so the grammar is known to be sound apart from those two.
struct ConfigTextCheck {
    private let file: String
    private let bytes: [UInt8]
    private var index = 0

    /// Throws a `ConfigError` naming the dotted key path of the first duplicate key, or the
    /// line of the first trailing comma.
    static func check(_ text: String, file: String) throws {
        var scanner = ConfigTextCheck(file: file, bytes: Array(text.utf8))
        // JSONSerialization skips a UTF-8 byte-order mark, and so must the scanner.
        if scanner.bytes.starts(with: [0xEF, 0xBB, 0xBF]) { scanner.index = 3 }
        try scanner.value(path: "")
    }

    private init(file: String, bytes: [UInt8]) {
        self.file = file
        self.bytes = bytes
    }

    private mutating func value(path: String) throws {
        switch peek() {
        case UInt8(ascii: "{"): try object(path: path)
        case UInt8(ascii: "["): try array(path: path)
        case UInt8(ascii: "\""): _ = try string()
        default: skipScalar()
        }
    }

    private mutating func object(path: String) throws {
        index += 1
        var keys: Set<String> = []
        if peek() == UInt8(ascii: "}") { index += 1; return }
        while true {
            let key = try string()
            let keyPath = path.isEmpty ? key : "\(path).\(key)"
            guard keys.insert(key).inserted else { throw ConfigError(file: file, key: keyPath, message: "duplicate key") }
            try expect(":")
            try value(path: keyPath)
            if try endOfMembers(closing: "}", path: path) { return }
        }
    }

    private mutating func array(path: String) throws {
        index += 1
        if peek() == UInt8(ascii: "]") { index += 1; return }
        var position = 0
        while true {
            try value(path: "\(path)[\(position)]")
            position += 1
            if try endOfMembers(closing: "]", path: path) { return }
        }
    }

    /// After a member: true at the closing bracket, false after a comma that another member follows.
    private mutating func endOfMembers(closing: Unicode.Scalar, path: String) throws -> Bool {
        if peek() == UInt8(ascii: closing) { index += 1; return true }
        let commaLine = line()
        try expect(",")
        guard peek() != UInt8(ascii: closing) else {
            throw ConfigError(file: file, key: path.isEmpty ? nil : path,
                              message: "trailing comma before '\(closing)' on line \(commaLine)")
        }
        return false
    }

    /// A string's decoded value: keys spelt with escapes (`"l\u0072"`) are the same key as without.
    private mutating func string() throws -> String {
        try expect("\"")
        var utf8: [UInt8] = []
        var pendingHighSurrogate: UInt16?
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: "\"") { break }
            guard byte == UInt8(ascii: "\\"), index < bytes.count else { utf8.append(byte); continue }
            let escaped = bytes[index]
            index += 1
            switch escaped {
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "u"):
                guard index + 4 <= bytes.count,
                      let unit = UInt16(String(decoding: bytes[index..<(index + 4)], as: UTF8.self), radix: 16) else {
                    throw invalid()
                }
                index += 4
                if UTF16.isLeadSurrogate(unit) { pendingHighSurrogate = unit; continue }
                var units = [unit]
                if let high = pendingHighSurrogate { units.insert(high, at: 0) }
                pendingHighSurrogate = nil
                utf8.append(contentsOf: Array(String(decoding: units, as: UTF16.self).utf8))
            default: utf8.append(escaped)  // \" \\ \/ stand for themselves
            }
        }
        return String(decoding: utf8, as: UTF8.self)
    }

    /// A number, true, false or null: runs up to the next delimiter.
    private mutating func skipScalar() {
        while index < bytes.count, !isWhitespace(bytes[index]),
              ![UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}")].contains(bytes[index]) {
            index += 1
        }
    }

    private mutating func expect(_ character: Unicode.Scalar) throws {
        guard peek() == UInt8(ascii: character) else { throw invalid() }
        index += 1
    }

    /// The next byte that is not whitespace (nil at the end), skipping the whitespace.
    private mutating func peek() -> UInt8? {
        while index < bytes.count, isWhitespace(bytes[index]) { index += 1 }
        return index < bytes.count ? bytes[index] : nil
    }

    private func isWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }

    private func line() -> Int { bytes[..<min(index, bytes.count)].count(where: { $0 == 0x0A }) + 1 }

    /// Only reachable if JSONSerialization accepts text the scanner does not understand.
    private func invalid() -> ConfigError {
        ConfigError(file: file, key: nil, message: "not valid JSON near line \(line())")
    }
}
