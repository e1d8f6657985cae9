/// FNV-1a 64: a digest that is the same in every process (unlike `Hasher`, which is seeded per
/// process), cheap, and only meant to tell values apart: validators, stand-in ETags, test ETags.
/// Never for anything an attacker may choose to collide.
public enum StableHash {
    public static func fnv1a64(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }

    /// `fnv1a64` as 16 lower-case hex digits.
    public static func hex(_ bytes: some Sequence<UInt8>) -> String { Hex.padded(fnv1a64(bytes)) }
}
