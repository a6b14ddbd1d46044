import ArgumentParser
import Dispatch
import Foundation
import Logging
import S2SDoctorEmulator

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// `s2s-doctor emulate`: runs the local Entra ID and Business Central emulator until SIGINT or
/// SIGTERM.
struct Emulate: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "emulate",
    abstract: "Run the local Entra ID and Business Central emulator.",
    discussion: """
      Serves OpenID discovery, JWKS, the v2.0 token endpoint and the Business Central data, \
      automation and admin center APIs on one loopback address. When ready it prints one JSON \
      line on standard output — {"baseURL", "caFile", "scenarios": {name: {"expect", "args", \
      "env"}}} — and logs only to standard error. Each scenario's args and env point \
      `s2s-doctor check` at it. Stops on SIGINT or SIGTERM.
      """)

  @Option(help: "The port to listen on; 0 picks a free one.")
  var port: Int = 0

  @Option(help: "The loopback address to listen on: 127.0.0.1, ::1 or localhost.")
  var host: String = "127.0.0.1"

  @Flag(help: "Serve plain HTTP instead of HTTPS (real Entra clients refuse it).")
  var http = false

  @Option(name: .customLong("ca-file"), help: "Where to write the generated CA certificate (PEM).")
  var caFile: String?

  @Option(help: "Make the default identity behave as this scenario.")
  var scenario: String?

  @Flag(help: "Log every request to standard error.")
  var verbose = false

  func validate() throws {
    guard Emulator.loopbackHosts.contains(host) else {
      throw ValidationError("--host must be a loopback address (127.0.0.1, ::1 or localhost), not '\(host)'.")
    }
    guard (0...65535).contains(port) else {
      throw ValidationError("--port must be between 0 and 65535.")
    }
    if let scenario, !Emulator.scenarioNames.contains(scenario), scenario != "default" {
      throw ValidationError(
        "Unknown scenario '\(scenario)'. Known: \(Emulator.scenarioNames.joined(separator: ", ")).")
    }
  }

  func run() async throws {
    var options = EmulatorOptions()
    options.host = host
    options.port = port
    options.tls = !http
    options.caFile = caFile
    options.defaultScenario = scenario
    options.logLevel = verbose ? .debug : .info

    // Ignore the signals before starting so that no early Ctrl-C kills the process half-way;
    // the dispatch sources below receive them instead.
    signal(SIGINT, SIG_IGN)
    signal(SIGTERM, SIG_IGN)

    let emulator = try Emulator(options: options)
    let info = try await emulator.start()
    let line = try info.jsonLine() + "\n"
    let received = await SignalWaiter.wait(for: [SIGINT, SIGTERM]) {
      // FileHandle writes straight to the descriptor: nothing is left in a buffer.
      FileHandle.standardOutput.write(Data(line.utf8))
    }
    var logger = Logger(label: "s2s-doctor.emulate") { StreamLogHandler.standardError(label: $0) }
    logger.logLevel = .info
    logger.info("Received signal \(received); stopping")
    await emulator.stop()
  }
}

/// Waits for the first of some signals, delivered through dispatch sources (the signals must
/// already be ignored with `SIG_IGN`, or they would end the process first).
private enum SignalWaiter {
  static func wait(for signals: [Int32], ready: () -> Void = {}) async -> Int32 {
    let (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
    let queue = DispatchQueue(label: "s2s-doctor.emulate.signals")
    let sources = signals.map { number in
      let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
      source.setEventHandler { continuation.yield(number) }
      source.resume()
      return source
    }
    defer { for source in sources { source.cancel() } }
    ready()
    for await number in stream { return number }
    return 0
  }
}
