import Foundation
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// How to run the emulator.
public struct EmulatorOptions: Sendable {
  /// The loopback address to listen on (`127.0.0.1`, `::1` or `localhost`).
  public var host = "127.0.0.1"
  /// `0` picks a free port.
  public var port = 0
  /// Serve HTTPS with a CA generated at start (real clients insist on HTTPS).
  public var tls = true
  /// Where to write the CA certificate (PEM); default: a new temporary directory. Client
  /// certificates of the certificate scenarios are written next to it.
  public var caFile: String? = nil
  /// Make the `default` identity behave as this scenario (`nil`: as `ok`).
  public var defaultScenario: String? = nil
  /// Level of the emulator's log, which goes to standard error.
  public var logLevel: Logger.Level = .warning
  /// Keep every token and secret handed out in `Emulator.issuedCredentials` (for leak tests;
  /// the list only grows, so leave it off for long runs).
  public var recordCredentials = false

  public init() {}
}

/// What a started emulator serves, in the shape of the line `s2s-doctor emulate` prints.
public struct EmulatorInfo: Codable, Sendable {
  /// `https://127.0.0.1:<port>`: Entra ID and Business Central paths alike.
  public var baseURL: String
  /// Absolute path of the CA certificate (PEM); `nil` over plain HTTP.
  public var caFile: String?
  /// Every scenario by name.
  public var scenarios: [String: ScenarioInfo]

  public init(baseURL: String, caFile: String?, scenarios: [String: ScenarioInfo]) {
    self.baseURL = baseURL
    self.caFile = caFile
    self.scenarios = scenarios
  }

  private enum CodingKeys: String, CodingKey {
    case baseURL, caFile, scenarios
  }

  /// Encodes `caFile` as `null` over plain HTTP rather than leaving the key out, so consumers
  /// can always index it.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(baseURL, forKey: .baseURL)
    try container.encode(caFile, forKey: .caFile)
    try container.encode(scenarios, forKey: .scenarios)
  }

  /// The one-line JSON form (sorted keys, unescaped slashes), without a line break.
  public func jsonLine() throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(self), as: UTF8.self)
  }
}

/// One scenario: what `s2s-doctor check` should conclude, and how to point it there.
public struct ScenarioInfo: Codable, Sendable, Equatable {
  /// The reason id the check should report, or `passed`.
  public var expect: String
  /// The flags for `s2s-doctor check` (absolute paths only).
  public var args: [String]
  /// Environment variables to set (the secret goes only here).
  public var env: [String: String]

  public init(expect: String, args: [String], env: [String: String]) {
    self.expect = expect
    self.args = args
    self.env = env
  }
}

/// Why the emulator could not start.
public enum EmulatorError: Error, CustomStringConvertible, Sendable {
  case unknownScenario(String)
  case notLoopback(String)
  case alreadyStarted
  case couldNotWrite(String, String)
  case couldNotReservePort(String)

  public var description: String {
    switch self {
    case .unknownScenario(let name):
      "Unknown scenario '\(name)'. Known scenarios: \(Emulator.scenarioNames.joined(separator: ", "))."
    case .notLoopback(let host):
      "The emulator listens on loopback only; '\(host)' is not 127.0.0.1, ::1 or localhost."
    case .alreadyStarted: "The emulator was already started."
    case .couldNotWrite(let path, let reason): "Could not write \(path): \(reason)"
    case .couldNotReservePort(let reason): "Could not reserve the refused port: \(reason)"
    }
  }
}

/// The local emulator of Microsoft Entra ID and Business Central online.
///
/// ```swift
/// let emulator = try Emulator(options: EmulatorOptions())
/// let info = try await emulator.start()
/// // … run `s2s-doctor check` with info.scenarios["ok"]!.args …
/// await emulator.stop()
/// ```
public final class Emulator: Sendable {
  /// The hosts the emulator may listen on.
  public static let loopbackHosts: Set<String> = ["127.0.0.1", "::1", "localhost"]

  /// Every scenario name `--scenario` accepts.
  public static var scenarioNames: [String] { ScenarioSpec.all.map(\.name) }

  private let options: EmulatorOptions
  private let ledger: CredentialLedger?
  private let defaultBehaviour: ScenarioSpec
  private let logger: Logger
  private let state = NIOLockedValueBox<State>(.idle)
  private let stopping = NIOLockedValueBox(false)
  let connections = ConnectionCounter()

  private enum State: Sendable {
    case idle
    case starting
    case running(Running)
    case stopped
  }

  private struct Running: Sendable {
    let serverTask: Task<Void, Never>
    let shutdown: @Sendable () async -> Void
    let silent: SilentListener
    /// Held while the emulator runs, so the refused port stays refused.
    let refused: PortReservation
    let temporaryDirectory: String?
  }

  public init(options: EmulatorOptions) throws {
    guard Self.loopbackHosts.contains(options.host) else { throw EmulatorError.notLoopback(options.host) }
    let name = options.defaultScenario ?? "ok"
    guard let base = ScenarioSpec.named(name) ?? (name == World.defaultScenarioName ? ScenarioSpec.named("ok") : nil)
    else { throw EmulatorError.unknownScenario(name) }
    self.options = options
    self.ledger = options.recordCredentials ? CredentialLedger() : nil
    self.defaultBehaviour = base
    var logger = Logger(label: "s2s-doctor.emulator") { StreamLogHandler.standardError(label: $0) }
    logger.logLevel = options.logLevel
    self.logger = logger
  }

  /// Starts listening and returns once the port is bound.
  public func start() async throws -> EmulatorInfo {
    try state.withLockedValue { state in
      guard case .idle = state else { throw EmulatorError.alreadyStarted }
      state = .starting
    }
    do {
      return try await launch()
    } catch {
      state.withLockedValue { $0 = .idle }
      throw error
    }
  }

  /// The tokens and secrets handed out so far, oldest first (empty unless
  /// `EmulatorOptions.recordCredentials` was set).
  public var issuedCredentials: [CredentialLedger.Entry] { ledger?.all ?? [] }

  /// Stops listening, closes open connections and removes the temporary directory it made.
  public func stop() async {
    let running: Running? = state.withLockedValue { state in
      guard case .running(let running) = state else { return nil }
      state = .stopped
      return running
    }
    guard let running else { return }
    stopping.withLockedValue { $0 = true }
    await running.silent.stop()
    await running.shutdown()
    await running.serverTask.value
    if let directory = running.temporaryDirectory {
      try? FileManager.default.removeItem(atPath: directory)
    }
    logger.info("Emulator stopped")
  }

  // MARK: - Start-up

  private func launch() async throws -> EmulatorInfo {
    let keys = try KeyMaterial.generate(tls: options.tls)
    let files = try writeFiles(keys)
    do {
      return try await serve(keys: keys, files: files)
    } catch {
      if let directory = files.temporaryDirectory { try? FileManager.default.removeItem(atPath: directory) }
      throw error
    }
  }

  private func serve(keys: KeyMaterial, files: Files) async throws -> EmulatorInfo {
    let group = MultiThreadedEventLoopGroup.singleton

    let specs = ScenarioSpec.all.filter { options.tls || !$0.needsTLS }
    let defaultSpec = ScenarioSpec.defaultScenario(behavingAs: defaultBehaviour)
    let registrations = (specs + [defaultSpec]).compactMap { $0.registration(keys: keys) }
    // The rogue certificate is nobody's; the certificate scenarios register the client one.
    let directory = Directory(tenants: World.tenants() + World.setupTenants(), registrations: registrations)
    let store = GraphStore(
      lag: [World.setupLagTenantID.lowercased(): World.setupLagSeconds],
      maxSecretDays: [World.setupTenantID.lowercased(): World.setupMaxSecretDays], ledger: ledger)

    let secure = options.tls
    var issuer = TokenIssuer(signing: keys.tokenSigning)
    issuer.prepare(registrations, directory: directory)
    let validator = TokenValidator(signing: keys.tokenSigning, directory: directory)
    let router = Router(
      entra: try EntraService(directory: directory, issuer: issuer, secure: secure, store: store),
      bc: BusinessCentralService(directory: directory, validator: validator, secure: secure, store: store),
      onprem: OnPremService(validator: validator, tenantID: World.mainTenantID),
      graph: GraphService(directory: directory, validator: validator, secure: secure, store: store),
      scheme: secure ? "https" : "http",
      stopping: stopping,
      logger: logger)

    let refused = try PortReservation(host: options.host)
    let refusedPort = refused.port
    let silent = try await SilentListener.start(host: options.host, group: group)

    let (portStream, portContinuation) = AsyncStream.makeStream(of: Result<Int, any Error>.self)
    let onRunning: @Sendable (any Channel) async -> Void = { channel in
      portContinuation.yield(.success(channel.localAddress?.port ?? 0))
    }
    let http1 = HTTP1Channel(
      responder: { request, writer, channel in
        try await router.respond(request, writer: writer, channel: channel)
      },
      configuration: .init(idleTimeout: .seconds(120)))
    let configuration = ServerConfiguration(address: .hostname(options.host, port: options.port))
    let run: @Sendable () async throws -> Void
    let shutdown: @Sendable () async -> Void
    if let tls = keys.tls {
      let server = Server(
        childChannelSetup: NoDelayChannel(
          base: try TLSChannel(http1, tlsConfiguration: try tls.serverConfiguration()), connections: connections),
        configuration: configuration, onServerRunning: onRunning, eventLoopGroup: group, logger: logger)
      run = { try await server.run() }
      shutdown = { try? await server.shutdownGracefully() }
    } else {
      let server = Server(
        childChannelSetup: NoDelayChannel(base: http1, connections: connections),
        configuration: configuration, onServerRunning: onRunning, eventLoopGroup: group, logger: logger)
      run = { try await server.run() }
      shutdown = { try? await server.shutdownGracefully() }
    }
    let logger = self.logger
    let serverTask = Task {
      do {
        try await run()
      } catch {
        logger.error("Emulator server stopped: \(error)")
        portContinuation.yield(.failure(error))
      }
      portContinuation.finish()
    }

    var bound: Result<Int, any Error> = .failure(CancellationError())
    for await result in portStream {
      bound = result
      break
    }
    let port: Int
    do {
      port = try bound.get()
    } catch {
      await silent.stop()
      serverTask.cancel()
      throw error
    }

    let host = options.host.contains(":") ? "[\(options.host)]" : options.host
    let scheme = secure ? "https" : "http"
    let baseURL = "\(scheme)://\(host):\(port)"
    let context = ScenarioContext(
      baseURL: baseURL,
      caFile: files.caFile,
      refusedAuthority: "\(scheme)://\(host):\(refusedPort)",
      silentAuthority: "\(scheme)://\(host):\(silent.port)",
      clientCertificateFile: files.clientCertificate,
      rogueCertificateFile: files.rogueCertificate)
    var scenarios: [String: ScenarioInfo] = [:]
    for spec in specs + [defaultSpec] { scenarios[spec.name] = spec.info(in: context) }
    let folder = URL(fileURLWithPath: files.clientCertificate).deletingLastPathComponent().path
    for (name, info) in OnPrem.scenarios(
      baseURL: baseURL, caFile: files.caFile, folder: folder, tenantID: World.mainTenantID)
    {
      scenarios[name] = info
    }
    for (name, info) in World.setupScenarios(baseURL: baseURL, caFile: files.caFile) { scenarios[name] = info }
    for (name, info) in World.seedFixScenarios(store, baseURL: baseURL, caFile: files.caFile, now: TimeText.now()) {
      scenarios[name] = info
    }

    state.withLockedValue {
      $0 = .running(
        Running(
          serverTask: serverTask, shutdown: shutdown, silent: silent, refused: refused,
          temporaryDirectory: files.temporaryDirectory))
    }
    logger.info("Emulator listening on \(baseURL)")
    return EmulatorInfo(baseURL: baseURL, caFile: files.caFile, scenarios: scenarios)
  }

  private struct Files {
    var caFile: String?
    var clientCertificate: String
    var rogueCertificate: String
    var temporaryDirectory: String?
  }

  /// Writes the CA (when serving HTTPS) and the two client certificate files.
  private func writeFiles(_ keys: KeyMaterial) throws -> Files {
    let manager = FileManager.default
    var temporaryDirectory: String?
    let directory: String
    var caPath: String?
    if let requested = options.caFile {
      let absolute =
        requested.hasPrefix("/")
        ? requested : manager.currentDirectoryPath + "/" + requested
      let standardized = URL(fileURLWithPath: absolute).standardizedFileURL.path
      caPath = standardized
      directory = URL(fileURLWithPath: standardized).deletingLastPathComponent().path
      try? manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } else {
      directory = try Self.makeTemporaryDirectory()
      temporaryDirectory = directory
      caPath = directory + "/ca.pem"
    }
    if keys.tls == nil { caPath = nil }
    if let caPath, let tls = keys.tls { try write(tls.caPEM, to: caPath, mode: 0o644) }
    let client = directory + "/s2s-doctor-emulator-client.pem"
    let rogue = directory + "/s2s-doctor-emulator-rogue-client.pem"
    try write(keys.clientCertificate.combinedPEM, to: client, mode: 0o600)
    try write(keys.rogueCertificate.combinedPEM, to: rogue, mode: 0o600)
    return Files(
      caFile: caPath, clientCertificate: client, rogueCertificate: rogue,
      temporaryDirectory: temporaryDirectory)
  }

  private func write(_ text: String, to path: String, mode: Int) throws {
    let manager = FileManager.default
    try? manager.removeItem(atPath: path)
    guard manager.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: mode])
    else { throw EmulatorError.couldNotWrite(path, "the file could not be created") }
  }

  private static let temporaryPrefix = "s2s-doctor-emulator-"
  private static let ownerFile = "owner.pid"

  /// A new private directory under the system's temporary directory, marked with this process's
  /// id so that a later start can remove it if this process never got to (tests rarely stop
  /// their emulator; a killed process never does).
  private static func makeTemporaryDirectory() throws -> String {
    let raw = NSTemporaryDirectory()
    let base = raw.hasSuffix("/") ? raw : raw + "/"
    removeAbandonedDirectories(in: base)
    var template = Array((base + temporaryPrefix + "XXXXXX").utf8CString)
    let made = template.withUnsafeMutableBufferPointer { buffer -> Bool in
      guard let pointer = buffer.baseAddress else { return false }
      return mkdtemp(pointer) != nil
    }
    guard made else { throw EmulatorError.couldNotWrite(base, "no temporary directory could be made") }
    let directory = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    // The owner marker lets a later run tidy folders whose emulator died; without it the folder
    // is merely kept.
    _ = FileManager.default.createFile(
      atPath: directory + "/" + ownerFile, contents: Data(String(getpid()).utf8))
    return directory
  }

  /// Removes earlier emulators' temporary directories whose owning process is gone. Directories
  /// without an owner file, or whose owner still runs, are left alone.
  private static func removeAbandonedDirectories(in base: String) {
    let manager = FileManager.default
    guard let entries = try? manager.contentsOfDirectory(atPath: base) else { return }
    for entry in entries where entry.hasPrefix(temporaryPrefix) {
      let directory = base + entry
      guard let data = manager.contents(atPath: directory + "/" + ownerFile),
        let pid = Int32(String(decoding: data, as: UTF8.self)), pid > 0, pid != getpid()
      else { continue }
      if kill(pid, 0) == -1 && errno == ESRCH { try? manager.removeItem(atPath: directory) }
    }
  }
}
