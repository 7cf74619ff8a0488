/// Version and build facts, printed by `event-publisher --version` and sent in the `User-Agent`.
///
/// A normal `swift build` gives `commit` and `buildDate` the value `"unknown"`, so builds stay
/// deterministic. `scripts/release.sh` rewrites the two `let` lines below in its private copy
/// of the sources (never in the working tree) with the git commit and the UTC build time.
public enum BuildInfo {
    /// The product version (semantic versioning). Bump it here; release.sh reads it from this line.
    public static let version = "0.1.0"
    /// Short git commit of a release build (`-dirty` when built from uncommitted changes).
    public static let commit = "unknown"
    /// UTC build time of a release build, ISO 8601 (`SOURCE_DATE_EPOCH` is honoured).
    public static let buildDate = "unknown"

    /// Operating system and CPU the binary was compiled for, e.g. `linux-x86_64`.
    public static var platform: String {
        #if os(Linux)
        let os = "linux"
        #elseif os(macOS)
        let os = "macos"
        #else
        let os = "unknown"
        #endif
        #if arch(x86_64)
        let cpu = "x86_64"
        #elseif arch(arm64)
        let cpu = "aarch64"
        #else
        let cpu = "unknown"
        #endif
        return "\(os)-\(cpu)"
    }

    /// `event-publisher 0.1.0 (commit 1a2b3c4, built 2026-12-04T22:30:00Z, linux-x86_64)`.
    public static var versionLine: String {
        "event-publisher \(version) (commit \(commit), built \(buildDate), \(platform))"
    }

    /// `event-publisher/0.1.0` — the product token for the webhook `User-Agent` header.
    public static var userAgent: String { "event-publisher/\(version)" }
}
