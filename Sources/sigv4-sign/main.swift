/// sigv4-sign: signs requests read as JSON lines on stdin with the product's own `SigV4Signer`,
/// exactly as `S3Client` calls it, and prints one JSON line per request: the canonical request,
/// the string to sign, the signature and what signing adds (see `SignJob` for both formats).
///
/// A tool for differential testing, never linked into bootstrap: the integration test
/// test_sigv4_botocore.py feeds it thousands of generated requests and compares every step with
/// botocore's signers, an implementation written independently of this one.
///
///     printf '%s\n' '{"method":"GET","path":"/b/a b",...}' | sigv4-sign
///
/// Exits 1 at the first line that is not a valid request, naming the line and the field.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import JSON

func fail(_ message: String) -> Never {
    let line = Array("sigv4-sign: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    exit(1)
}

var lineNumber = 0
while let line = readLine(strippingNewline: true) {
    lineNumber += 1
    if line.isEmpty { continue }
    let value: JSONValue
    do {
        value = try JSONValue(parsing: line)
    } catch {
        fail("line \(lineNumber): not JSON: \(error)")
    }
    let job: SignJob
    do {
        job = try SignJob(json: value)
    } catch {
        fail("line \(lineNumber): \(error)")
    }
    print(String(decoding: job.signed().serialized(), as: UTF8.self))
}
