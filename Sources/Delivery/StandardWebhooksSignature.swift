import Crypto
import Foundation

/// The `webhook-signature` header of the Standard Webhooks specification
/// (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md):
/// `v1,` + base64(HMAC-SHA256(key, "<webhook-id>.<webhook-timestamp>.<body>")), where the key is
/// the base64-decoded part of the secret after `whsec_`. HMAC comes from OpenSSL's libcrypto.
public enum StandardWebhooksSignature {
    public static let secretPrefix = "whsec_"

    /// The HMAC key of a `whsec_…` secret; nil when the secret is not `whsec_` + base64.
    public static func key(fromSecret secret: String) -> [UInt8]? {
        let encoded = secret.hasPrefix(secretPrefix) ? String(secret.dropFirst(secretPrefix.count)) : secret
        guard let data = Data(base64Encoded: encoded), !data.isEmpty else { return nil }
        return Array(data)
    }

    /// The header value for one message, e.g. `v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=`.
    public static func sign(key: [UInt8], messageID: String, timestamp: Int64, body: [UInt8]) -> String {
        var message = Array("\(messageID).\(timestamp).".utf8)
        message.append(contentsOf: body)
        let mac = hmacSHA256(key: key, message: message)
        return "v1," + Data(mac).base64EncodedString()
    }

    /// Signs with a `whsec_` secret; nil when the secret is malformed.
    public static func sign(secret: String, messageID: String, timestamp: Int64, body: [UInt8]) -> String? {
        key(fromSecret: secret).map { sign(key: $0, messageID: messageID, timestamp: timestamp, body: body) }
    }
}
