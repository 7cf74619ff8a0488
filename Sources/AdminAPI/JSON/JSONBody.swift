import CallEvents
import Foundation

/// Request bodies are parsed with Foundation's `JSONSerialization` into the project's `JSONValue`.
enum JSONBody {
    static func parse(_ bytes: [UInt8]) throws(AdminError) -> JSONValue {
        guard !bytes.isEmpty else { throw .badRequest("request body is empty; expected a JSON object", field: "body") }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        } catch {
            throw .badRequest("request body is not valid JSON", field: "body")
        }
        guard let value = convert(object) else { throw .badRequest("request body is not valid JSON", field: "body") }
        return value
    }

    /// Parses and requires a top-level object.
    static func object(_ bytes: [UInt8]) throws(AdminError) -> [String: JSONValue] {
        guard let object = try parse(bytes).objectValue else {
            throw .badRequest("request body must be a JSON object", field: "body")
        }
        return object
    }

    private static func convert(_ any: Any) -> JSONValue? {
        switch any {
        case is NSNull: return .null
        case let string as String: return .string(string)
        case let number as NSNumber:
            // NSNumber bridges booleans too; its type code tells them apart ("c" bool, "d"/"f" floating).
            switch String(cString: number.objCType) {
            case "c", "B": return .bool(number.boolValue)
            case "d", "f": break
            default: return .int(number.int64Value)
            }
            let double = number.doubleValue
            return .double(double)
        case let array as [Any]:
            var items: [JSONValue] = []
            for item in array {
                guard let value = convert(item) else { return nil }
                items.append(value)
            }
            return .array(items)
        case let dictionary as [String: Any]:
            var object: [String: JSONValue] = [:]
            for (key, item) in dictionary {
                guard let value = convert(item) else { return nil }
                object[key] = value
            }
            return .object(object)
        default: return nil
        }
    }
}
