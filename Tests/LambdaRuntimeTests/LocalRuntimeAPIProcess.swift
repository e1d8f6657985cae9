import Foundation

/// `scripts/local_runtime_api.py` run as a subprocess: the project's own Runtime API, serving
/// real HTTP on 127.0.0.1 so the loop is tested end to end in this process.
///
/// The server is always started with `--exit-when-done --wait`, so an in-process loop blocked in
/// the `/next` long poll is released when the server exits, even when a test goes wrong.
final class LocalRuntimeAPIProcess {
    let process = Process()
    private(set) var address = ""
    private let stdout = Pipe()
    private var buffered = Data()
    /// Where the events are written; removed with the server.
    private let directory = FileManager.default.temporaryDirectory.appendingPathComponent("runtime-api-\(UUID().uuidString)")

    static var script: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/local_runtime_api.py")
    }

    /// `events` are written to temporary files and served in order.
    init(events: [String], arguments: [String] = [], wait: Double = 20) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var files: [String] = []
        for (index, event) in events.enumerated() {
            let file = directory.appendingPathComponent("event\(index).json")
            try Data(event.utf8).write(to: file)
            files.append(file.path)
        }
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", LocalRuntimeAPIProcess.script.path, "--port", "0",
                             "--exit-when-done", "--wait", String(wait)] + arguments + ["--events"] + files
        process.standardOutput = stdout
        try process.run()
        guard let first = readLine(), let object = try JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any],
              let address = object["address"] as? String else {
            process.terminate()
            throw StartError()
        }
        self.address = address
    }

    struct StartError: Error {}

    private func readLine() -> String? {
        while true {
            if let newline = buffered.firstIndex(of: 0x0A) {
                let line = buffered[buffered.startIndex..<newline]
                buffered.removeSubrange(buffered.startIndex...newline)
                return String(decoding: line, as: UTF8.self)
            }
            let chunk = stdout.fileHandleForReading.availableData
            if chunk.isEmpty { return nil }
            buffered.append(chunk)
        }
    }

    /// Stops the server if it is still running and returns every JSON line it printed after
    /// the address: results, init errors, rejections and the final summary.
    func finish(terminate: Bool = false) -> [[String: Any]] {
        if terminate && process.isRunning { process.terminate() }
        var lines: [[String: Any]] = []
        while let line = readLine() {
            if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] {
                lines.append(object)
            }
        }
        process.waitUntilExit()
        return lines
    }

    deinit {
        if process.isRunning { process.terminate() }
        try? FileManager.default.removeItem(at: directory)
    }
}

extension Array where Element == [String: Any] {
    func kind(_ kind: String) -> [[String: Any]] { filter { $0["kind"] as? String == kind } }

    /// Invocation outcomes only: response, error and timeout lines.
    var results: [[String: Any]] {
        filter { ["response", "error", "timeout"].contains($0["kind"] as? String ?? "") }
    }
}
