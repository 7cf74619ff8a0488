import CCrypto

/// Swift face of OpenSSL's libcrypto: digests, HMAC, secure random bytes, constant-time compare.
/// No hand-written crypto here; every function is a thin call into libcrypto's EVP/HMAC/RAND API.

/// MD5 of `bytes` (16 bytes). Only for AMI's `Login` challenge (`Key = md5hex(challenge + secret)`);
/// never for anything that needs collision resistance.
public func md5<C: Collection<UInt8>>(_ bytes: C) -> [UInt8] {
    digest(bytes, EVP_md5(), length: 16)
}

/// Lower-case hex MD5 of the UTF-8 bytes of `text`, as Asterisk's `authenticate()` expects.
public func md5Hex(_ text: String) -> String {
    hexEncoded(md5(Array(text.utf8)))
}

/// SHA-256 of `bytes` (32 bytes).
public func sha256<C: Collection<UInt8>>(_ bytes: C) -> [UInt8] {
    digest(bytes, EVP_sha256(), length: 32)
}

/// SHA-256 of the UTF-8 bytes of `text` (32 bytes).
public func sha256(_ text: String) -> [UInt8] { sha256(Array(text.utf8)) }

/// Lower-case hex SHA-256 of the UTF-8 bytes of `text`.
public func sha256Hex(_ text: String) -> String { hexEncoded(sha256(text)) }

/// HMAC-SHA256 of `message` under `key` (32 bytes), e.g. for webhook signatures.
public func hmacSHA256<K: Collection<UInt8>, M: Collection<UInt8>>(key: K, message: M) -> [UInt8] {
    let key = Array(key)
    let message = Array(message)
    var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    let result = key.withUnsafeBufferPointer { keyBuffer in
        message.withUnsafeBufferPointer { messageBuffer in
            // HMAC() accepts a NULL key pointer only with length 0; give it a valid pointer always.
            withUnsafeBytes(of: UInt8(0)) { empty in
                HMAC(EVP_sha256(),
                     keyBuffer.count > 0 ? UnsafeRawPointer(keyBuffer.baseAddress!) : empty.baseAddress!,
                     Int32(keyBuffer.count),
                     messageBuffer.baseAddress ?? empty.baseAddress!.assumingMemoryBound(to: UInt8.self),
                     messageBuffer.count, &out, &length)
            }
        }
    }
    precondition(result != nil && length == 32, "libcrypto HMAC-SHA256 failed")
    return Array(out.prefix(Int(length)))
}

/// HMAC-SHA256 with a UTF-8 string key and message.
public func hmacSHA256(key: String, message: String) -> [UInt8] {
    hmacSHA256(key: Array(key.utf8), message: Array(message.utf8))
}

/// Errors from libcrypto that callers can meet.
public enum CryptoError: Error, Sendable, Equatable, CustomStringConvertible {
    case randomGeneratorFailed
    public var description: String {
        switch self {
        case .randomGeneratorFailed: return "OpenSSL RAND_bytes failed: the system random generator is unavailable"
        }
    }
}

/// `count` bytes from OpenSSL's CSPRNG (`RAND_bytes`), for secrets, tokens and ids.
public func secureRandomBytes(count: Int) throws(CryptoError) -> [UInt8] {
    precondition(count >= 0, "count must not be negative")
    var out = [UInt8](repeating: 0, count: count)
    guard count > 0 else { return out }
    let status = out.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32($0.count)) }
    guard status == 1 else { throw .randomGeneratorFailed }
    return out
}

/// Compares two byte strings in time that depends only on their lengths (`CRYPTO_memcmp`), for
/// checking signatures and tokens. Different lengths compare unequal at once (the length is not
/// secret).
public func constantTimeEquals<A: Collection<UInt8>, B: Collection<UInt8>>(_ lhs: A, _ rhs: B) -> Bool {
    let left = Array(lhs)
    let right = Array(rhs)
    guard left.count == right.count else { return false }
    guard !left.isEmpty else { return true }
    return left.withUnsafeBytes { l in
        right.withUnsafeBytes { r in CRYPTO_memcmp(l.baseAddress, r.baseAddress, l.count) == 0 }
    }
}

/// Lower-case hexadecimal text of `bytes`.
public func hexEncoded<C: Collection<UInt8>>(_ bytes: C) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count * 2)
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
}

private func digest<C: Collection<UInt8>>(_ bytes: C, _ type: OpaquePointer?, length: Int) -> [UInt8] {
    let input = Array(bytes)
    var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var size: UInt32 = 0
    let status = input.withUnsafeBytes { raw in
        withUnsafeBytes(of: UInt8(0)) { empty in
            EVP_Digest(raw.baseAddress ?? empty.baseAddress!, raw.count, &out, &size, type, nil)
        }
    }
    precondition(status == 1 && Int(size) == length, "libcrypto EVP_Digest failed")
    return Array(out.prefix(length))
}
