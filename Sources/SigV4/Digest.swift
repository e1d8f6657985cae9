import Basics
import CCrypto

/// SHA-256 and HMAC-SHA256 over bytes, hex-encoded the way SigV4 writes them, and MD5 for the
/// one thing S3 uses it for: ETags. A thin layer over the
/// `CCrypto` C target so the signer never touches pointers and the binary links only libcrypto.
package enum Digest {
    package static func sha256(_ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        data.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                ccrypto_sha256(input.baseAddress, input.count, output.baseAddress!)
            }
        }
        return out
    }

    package static func hmacSHA256(key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        key.withUnsafeBufferPointer { k in
            data.withUnsafeBufferPointer { input in
                out.withUnsafeMutableBufferPointer { output in
                    ccrypto_hmac_sha256(k.baseAddress, k.count, input.baseAddress, input.count, output.baseAddress!)
                }
            }
        }
        return out
    }

    package static func md5(_ data: ArraySlice<UInt8>) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 16)
        data.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                ccrypto_md5(input.baseAddress, input.count, output.baseAddress!)
            }
        }
        return out
    }

    /// Lower-case hex, as SigV4 wants for hashes.
    package static func sha256Hex(_ data: [UInt8]) -> String { Hex.encode(sha256(data)) }

    /// SHA-256 of the empty payload, precomputed: every GET, HEAD and DELETE sends it.
    package static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// The payload hash a request with this body signs (the precomputed one when it is empty).
    package static func payloadHash(_ body: [UInt8]) -> String {
        body.isEmpty ? emptyPayloadHash : sha256Hex(body)
    }
}
