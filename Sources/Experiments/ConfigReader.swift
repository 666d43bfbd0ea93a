import Foundation

/// A configuration error: names the file and the key (as a dotted path) and what is wrong.
package struct ConfigError: Error, CustomStringConvertible, Sendable {
    package var file: String
    package var key: String?
    package var message: String
    package init(file: String, key: String?, message: String) {
        self.file = file
        self.key = key
        self.message = message
    }
    package var description: String { "\(file): " + (key.map { "\($0): " } ?? "") + message }
}

/// Typed, checked access to one JSON object of a configuration file. Every read records the
/// key, so `finish()` can reject keys nobody read: a misspelt key is an error, not a silent default.
package final class ConfigObject {
    package let file: String
    package let path: String
    private let values: [String: Any]
    private var read: Set<String> = []
    private var children: [ConfigObject] = []

    init(file: String, path: String, values: [String: Any]) {
        self.file = file
        self.path = path
        self.values = values
    }

    /// Parses a configuration file's text.
    package static func parse(_ text: String, file: String) throws -> ConfigObject {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: Data(text.utf8)) } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
            throw ConfigError(file: file, key: nil, message: "not valid JSON: \(detail)")
        }
        guard let values = object as? [String: Any] else {
            throw ConfigError(file: file, key: nil, message: "the top level must be a JSON object")
        }
        try ConfigTextCheck.check(text, file: file)
        return ConfigObject(file: file, path: "", values: values)
    }

    package static func load(path: String) throws -> ConfigObject {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(file: path, key: nil, message: "cannot read the file (missing or unreadable)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, key: nil, message: "not UTF-8 text")
        }
        return try parse(text, file: path)
    }

    func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func error(_ key: String, _ message: String) -> ConfigError { ConfigError(file: file, key: keyPath(key), message: message) }

    package func has(_ key: String) -> Bool { values[key] != nil && !(values[key] is NSNull) }

    private func raw(_ key: String) -> Any? {
        read.insert(key)
        return has(key) ? values[key] : nil
    }

    private func number(_ key: String) throws -> NSNumber? {
        guard let v = raw(key) else { return nil }
        guard let n = v as? NSNumber, !isBoolean(n) else {
            throw error(key, "expected a number, found \(describe(v))")
        }
        return n
    }

    package func int(_ key: String, default d: Int? = nil, range: ClosedRange<Int>? = nil) throws -> Int {
        guard let n = try number(key) else {
            guard let d else { throw error(key, "missing (an integer is required)") }
            return d
        }
        guard n.doubleValue == n.doubleValue.rounded(), abs(n.doubleValue) < 1e15 else { throw error(key, "expected an integer, found \(n)") }
        let v = n.intValue
        if let range, !range.contains(v) { throw error(key, "\(v) is outside \(range.lowerBound)...\(range.upperBound)") }
        return v
    }

    func double(_ key: String, default d: Double? = nil, range: ClosedRange<Double>? = nil) throws -> Double {
        guard let n = try number(key) else {
            guard let d else { throw error(key, "missing (a number is required)") }
            return d
        }
        let v = n.doubleValue
        if let range, !range.contains(v) { throw error(key, "\(v) is outside \(range.lowerBound)...\(range.upperBound)") }
        return v
    }

    func bool(_ key: String, default d: Bool? = nil) throws -> Bool {
        guard let v = raw(key) else {
            guard let d else { throw error(key, "missing (true or false is required)") }
            return d
        }
        guard let n = v as? NSNumber, isBoolean(n) else {
            throw error(key, "expected true or false, found \(describe(v))")
        }
        return n.boolValue
    }

    package func string(_ key: String, default d: String? = nil) throws -> String {
        guard let v = raw(key) else {
            guard let d else { throw error(key, "missing (a string is required)") }
            return d
        }
        guard let s = v as? String else { throw error(key, "expected a string, found \(describe(v))") }
        return s
    }

    func optionalString(_ key: String) throws -> String? { has(key) ? try string(key) : { read.insert(key); return nil }() }

    /// A string that must be one of `choices`' raw values.
    package func choice<E: RawRepresentable & CaseIterable>(_ key: String, default d: E? = nil) throws -> E where E.RawValue == String {
        let s = try string(key, default: d?.rawValue)
        guard let v = E(rawValue: s) else {
            throw error(key, "'\(s)' is not one of \(E.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", "))")
        }
        return v
    }

    func ints(_ key: String, default d: [Int]? = nil) throws -> [Int] {
        guard let v = raw(key) else {
            guard let d else { throw error(key, "missing (a list of integers is required)") }
            return d
        }
        guard let list = v as? [Any] else { throw error(key, "expected a list of integers, found \(describe(v))") }
        return try list.enumerated().map { i, item in
            guard let n = item as? NSNumber, !isBoolean(n), n.doubleValue == n.doubleValue.rounded() else {
                throw error("\(key)[\(i)]", "expected an integer, found \(describe(item))")
            }
            return n.intValue
        }
    }

    /// Whether the value of `key` is a list (for keys that take a list or a named choice).
    func isList(_ key: String) -> Bool { values[key] is [Any] }

    /// A nested object; an absent key gives an empty object (all its keys take defaults).
    package func object(_ key: String) throws -> ConfigObject {
        let child: ConfigObject
        if let v = raw(key) {
            guard let values = v as? [String: Any] else { throw error(key, "expected an object, found \(describe(v))") }
            child = ConfigObject(file: file, path: keyPath(key), values: values)
        } else {
            child = ConfigObject(file: file, path: keyPath(key), values: [:])
        }
        children.append(child)
        return child
    }

    /// The value of `key` is kept as given, e.g. for a free-text note.
    package func skip(_ key: String) { read.insert(key) }

    /// Fails on the first key that was never read, here or in any nested object.
    package func finish() throws {
        if let unknown = values.keys.sorted().first(where: { !read.contains($0) }) {
            throw ConfigError(file: file, key: keyPath(unknown), message: "unknown key")
        }
        for child in children { try child.finish() }
    }

    private func describe(_ v: Any) -> String {
        switch v {
        case is String: "a string"
        case let n as NSNumber: isBoolean(n) ? "a boolean" : "a number"
        case is [Any]: "a list"
        case is [String: Any]: "an object"
        default: "null"
        }
    }
}

/// JSONSerialization gives true/false as NSNumbers whose type code is "c" (char).
private func isBoolean(_ n: NSNumber) -> Bool { String(cString: n.objCType) == "c" }
