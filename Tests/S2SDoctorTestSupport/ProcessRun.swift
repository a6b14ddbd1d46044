import Foundation

/// What a finished child process left: its exit status and everything it wrote.
public struct ProcessResult: Sendable {
  public var status: Int32
  public var stdout: String
  public var stderr: String
  /// True when the run outlived its limit and was killed.
  public var timedOut: Bool
  /// Seconds from the start of the child to its exit: what a timing test measures, free of the
  /// wait for the awaiting task to get a thread again on a busy machine.
  public var seconds: Double
}

/// The one way the test suites start a program and wait for it. The waiting happens on a thread
/// of its own, never on Swift's cooperative pool: an in-process emulator, and every other test
/// running in parallel, need that pool to make progress while a child runs.
public enum ProcessRun {
  /// Runs `executable` with `arguments`, feeding `stdin` (then end of file), draining stdout and
  /// stderr at the same time so a chatty child never blocks, and killing it after `limit`
  /// seconds so a hang fails one test instead of stopping the suite.
  public static func run(
    _ executable: String, _ arguments: [String], environment: [String: String]? = nil, stdin: Data? = nil,
    limit: Double = 120
  ) async throws -> ProcessResult {
    try await onOwnThread {
      try runBlocking(executable, arguments, environment: environment, stdin: stdin, limit: limit)
    }
  }

  /// `run` for code already on a thread of its own (a pty test's body); blocks its caller.
  public static func runBlocking(
    _ executable: String, _ arguments: [String], environment: [String: String]? = nil, stdin: Data? = nil,
    limit: Double = 120
  ) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let out = Pipe()
    let err = Pipe()
    let input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    let started = Date()
    let killed = Flag()
    let watchdog = DispatchWorkItem { [pid = process.processIdentifier] in
      killed.set()
      kill(pid, SIGKILL)
    }
    DispatchQueue.global().asyncAfter(deadline: .now() + limit, execute: watchdog)
    defer { watchdog.cancel() }
    let outBox = DataBox()
    let errBox = DataBox()
    let group = DispatchGroup()
    for (pipe, box) in [(out, outBox), (err, errBox)] {
      group.enter()
      Thread.detachNewThread {
        box.data = pipe.fileHandleForReading.readDataToEndOfFile()
        group.leave()
      }
    }
    if let stdin { try? input.fileHandleForWriting.write(contentsOf: stdin) }
    try? input.fileHandleForWriting.close()
    group.wait()
    process.waitUntilExit()
    let seconds = Date().timeIntervalSince(started)
    return ProcessResult(
      status: process.terminationStatus, stdout: String(decoding: outBox.data, as: UTF8.self),
      stderr: String(decoding: errBox.data, as: UTF8.self), timedOut: killed.isSet, seconds: seconds)
  }

  /// Waits for a process started elsewhere, off the cooperative pool.
  public static func waitForExit(_ process: Process) async {
    _ = try? await onOwnThread { process.waitUntilExit() }
  }
}

/// Runs blocking work (a terminal, a child process, a semaphore) on a thread of its own and
/// resumes the caller when it is done.
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
  try await withCheckedThrowingContinuation { continuation in
    let thread = Thread {
      continuation.resume(with: Result { try body() })
    }
    thread.stackSize = 4 << 20
    thread.start()
  }
}

/// Bytes one reader thread collects; read only after that thread has left its group.
public final class DataBox: @unchecked Sendable {
  public var data = Data()
  public init() {}
}

final class Flag: @unchecked Sendable {
  private let lock = NSLock()
  private var value = false
  func set() { lock.withLock { value = true } }
  var isSet: Bool { lock.withLock { value } }
}
