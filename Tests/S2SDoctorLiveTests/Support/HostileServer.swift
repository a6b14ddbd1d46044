import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

@testable import S2SDoctorEmulator

/// A loopback server with its own CA that misbehaves on purpose, one way per mode, and records
/// every request it receives (to prove what did or did not reach it).
final class HostileServer: Sendable {
  enum Mode: String, Sendable, CaseIterable {
    /// Discovery answers its head at once, then one body byte a second, forever.
    case dripBody
    /// Discovery answers a chunked body that never ends (a small chunk every 100 ms).
    case endlessBody
    /// Discovery works; the token endpoint drips its body (the token is shared work).
    case dripToken
    /// The token endpoint answers 429 with AADSTS50196 (a request loop) and Retry-After: 60.
    case throttled
    /// The first token request answers 429 with Retry-After: 1; later ones the usual 401.
    case throttledOnce
    /// For 6 s after the first token request, every token request answers 429 with
    /// Retry-After: 6 (longer than `check` waits, short enough for `fleet`); then the usual 401.
    case throttledWindow
    /// The token endpoint echoes the client secret in every encoding a server could use, in
    /// JSON (`error_description`, past the 240 characters a detail keeps) and split by control
    /// characters.
    case echoSecretJSON
    /// The same as text/plain, where the tool quotes the start of the body (80 characters).
    case echoSecretText
    /// Plain http, no TLS: anything that arrives here travelled in cleartext.
    case plainHTTP
  }

  struct Request: Sendable {
    var method: String
    var path: String
    var head: String
    var body: String
    /// When the request arrived (its head and body read).
    var at = Date()
  }

  let mode: Mode
  let port: Int
  /// The CA certificate (PEM) to pass with --ca-file.
  let caFile: String
  private let channel: any Channel
  private let log = Mutex<[Request]>([])
  private let firstTokenRequest = Mutex<Date?>(nil)
  /// How many 429s the server sent.
  let throttledAnswers = Atomic<Int>(0)
  /// For each answer that never ends (drip, endless): when its head was sent and when the
  /// client hung up. Taken on the server's event loop, so the time a loaded machine needs to
  /// start the client process is not in it.
  private let streamLog = Mutex<[(opened: Date, closed: Date?)]>([])

  /// How long each never-ending answer was held open by the client (nil: still open).
  var streamsHeld: [Double?] {
    streamLog.withLock { log in log.map { entry in entry.closed.map { $0.timeIntervalSince(entry.opened) } } }
  }

  var url: String { (mode == .plainHTTP ? "http" : "https") + "://127.0.0.1:\(port)" }
  var requests: [Request] { log.withLock { $0 } }

  init(_ mode: Mode) throws {
    self.mode = mode
    let identity = try TLSIdentity.generate()
    let folder = NSTemporaryDirectory() + "s2s-hostile-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    caFile = folder + "/ca.pem"
    try identity.caPEM.write(toFile: caFile, atomically: true, encoding: .utf8)
    let tls: NIOSSLContext? =
      mode == .plainHTTP
      ? nil
      : try NIOSSLContext(
        configuration: .makeServerConfiguration(
          certificateChain: [.certificate(try NIOSSLCertificate(bytes: identity.leafDER, format: .der))],
          privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(identity.leafKeyPEM.utf8), format: .pem))))
    let box = Unchecked<HostileServer?>(nil)
    channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
          try channel.pipeline.syncOperations.addHandler(Handler(server: box))
        }
      }
      .bind(host: "127.0.0.1", port: 0).wait()
    port = channel.localAddress?.port ?? 0
    box.value = self
  }

  func stop() {
    try? channel.close().wait()
  }

  func record(_ request: Request) { log.withLock { $0.append(request) } }

  /// Notes a never-ending answer's start; returns its index for `streamClosed`.
  func streamOpened() -> Int {
    streamLog.withLock { log in
      log.append((Date(), nil))
      return log.count - 1
    }
  }

  func streamClosed(_ index: Int) { streamLog.withLock { $0[index].closed = Date() } }

  // MARK: answers

  static let padding240 = String(repeating: "The server could not process the request. ", count: 6).prefix(232)

  /// Every encoding of `secret` a server could echo, and the secret split by control characters.
  static func echoes(of secret: String) -> [String] {
    let upper = secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? secret
    var lower = ""
    var rest = Substring(upper)
    while let percent = rest.firstIndex(of: "%") {
      lower += rest[..<percent] + "%" + rest[rest.index(after: percent)...].prefix(2).lowercased()
      rest = rest[rest.index(percent, offsetBy: 3)...]
    }
    lower += rest
    let jsonEscaped = secret.unicodeScalars.map { scalar -> String in
      scalar.properties.isAlphabetic || ("0"..."9").contains(Character(scalar))
        ? String(scalar) : String(format: "\\u%04X", scalar.value)
    }.joined()
    let split = secret.map { String($0) }.joined(separator: "\u{7}")
    let crSplit = String(secret.prefix(6)) + "\r" + String(secret.dropFirst(6))
    return [
      secret, upper, lower, Data(secret.utf8).base64EncodedString(), jsonEscaped, jsonEscaped.lowercased(),
      split, crSplit, "x" + Data(("ab" + secret).utf8).base64EncodedString(),
    ]
  }

  func answer(_ request: Request, tenantPath: String) -> Reply {
    let isDiscovery = request.path.contains("/.well-known/openid-configuration")
    let discovery = """
      {"issuer":"\(url)/\(Self.tenantID)/v2.0","token_endpoint":"\(url)/\(Self.tenantID)/oauth2/v2.0/token",\
      "cloud_instance_name":"microsoftonline.com","tenant_region_scope":"EU"}
      """
    switch mode {
    case .dripBody where isDiscovery:
      return .drip(head: "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
    case .endlessBody where isDiscovery:
      return .endless(head: "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
    case .dripToken where !isDiscovery:
      return .drip(head: "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
    case .throttled where !isDiscovery:
      let body = """
        {"error":"invalid_request","error_description":"AADSTS50196: The server terminated an operation because it encountered a client request loop. Please contact your app vendor.\\r\\nTrace ID: 0c1f\\r\\nCorrelation ID: 5b7e\\r\\nTimestamp: 2026-12-04 10:00:00Z","error_codes":[50196]}
        """
      return .whole(status: "429 Too Many Requests", type: "application/json", body: body, extra: "Retry-After: 60\r\n")
    case .throttledOnce where !isDiscovery && requests.filter { $0.path.contains("/token") }.count == 1:
      return .whole(
        status: "429 Too Many Requests", type: "application/json",
        body: #"{"error":"temporarily_unavailable","error_description":"Too many requests."}"#,
        extra: "Retry-After: 1\r\n")
    case .throttledWindow where !isDiscovery:
      let first = firstTokenRequest.withLock { first in
        if first == nil { first = Date() }
        return first ?? Date()
      }
      if Date().timeIntervalSince(first) < 6 {
        throttledAnswers.add(1, ordering: .relaxed)
        return .whole(
          status: "429 Too Many Requests", type: "application/json",
          body: #"{"error":"temporarily_unavailable","error_description":"Too many requests."}"#,
          extra: "Retry-After: 6\r\n")
      }
      return .whole(
        status: "401 Unauthorized", type: "application/json",
        body:
          #"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.","error_codes":[7000215]}"#,
        extra: "")
    case .echoSecretJSON where !isDiscovery, .echoSecretText where !isDiscovery:
      let secret = Self.formValue("client_secret", in: request.body) ?? ""
      let echoes = Self.echoes(of: secret)
      if mode == .echoSecretText {
        let body = String(repeating: "e", count: 74) + " " + echoes.joined(separator: " | ")
        return .whole(status: "400 Bad Request", type: "text/plain", body: body, extra: "")
      }
      let description = String(Self.padding240) + echoes.joined(separator: " | ")
      let json = String(
        decoding: try! JSONEncoder().encode(["error": "invalid_client", "error_description": description]),
        as: UTF8.self)
      return .whole(status: "401 Unauthorized", type: "application/json", body: json, extra: "")
    default:
      if isDiscovery { return .whole(status: "200 OK", type: "application/json", body: discovery, extra: "") }
      return .whole(
        status: "401 Unauthorized", type: "application/json",
        body:
          #"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.","error_codes":[7000215]}"#,
        extra: "")
    }
  }

  static let tenantID = "0d1f7a58-5e2f-4c0e-9b1a-6a1f2c3d4e5f"

  static func formValue(_ name: String, in body: String) -> String? {
    for pair in body.split(separator: "&") {
      let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
      if parts.count == 2, parts[0] == name {
        return parts[1].replacingOccurrences(of: "+", with: " ").removingPercentEncoding
      }
    }
    return nil
  }

  enum Reply {
    case whole(status: String, type: String, body: String, extra: String)
    case drip(head: String)
    case endless(head: String)
  }

  /// Reads one request at a time (head, then Content-Length bytes of body) and answers it.
  final class Handler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let server: Unchecked<HostileServer?>
    var pending: [UInt8] = []
    /// The never-ending answer this connection carries, if any.
    var stream: Int?

    init(server: Unchecked<HostileServer?>) { self.server = server }

    func channelInactive(context: ChannelHandlerContext) {
      if let stream { server.value?.streamClosed(stream) }
      context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
      var buffer = unwrapInboundIn(data)
      pending += buffer.readBytes(length: buffer.readableBytes) ?? []
      guard let server = server.value,
        let end = pending.indices.dropLast(3).first(where: { pending[$0..<$0 + 4] == [13, 10, 13, 10] })
      else { return }
      let head = String(decoding: pending[..<end], as: UTF8.self)
      let length =
        head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
        .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
      guard pending.count >= end + 4 + length else { return }
      let body = String(decoding: pending[(end + 4)..<(end + 4 + length)], as: UTF8.self)
      pending.removeAll()
      let line = head.split(separator: " ")
      let request = Request(
        method: line.first.map(String.init) ?? "", path: line.dropFirst().first.map(String.init) ?? "", head: head,
        body: body)
      server.record(request)
      let channel = context.channel
      func send(_ text: String) { channel.writeAndFlush(ByteBuffer(string: text), promise: nil) }
      switch server.answer(request, tenantPath: "") {
      case .whole(let status, let type, let body, let extra):
        send(
          "HTTP/1.1 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(body.utf8.count)\r\n\(extra)Connection: close\r\n\r\n\(body)"
        )
        channel.close(promise: nil)
      case .drip(let head):
        stream = server.streamOpened()
        send(head + "{")
        channel.eventLoop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { task in
          guard channel.isActive else { return task.cancel() }
          send(" ")
        }
      case .endless(let head):
        stream = server.streamOpened()
        send(head)
        channel.eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(100), delay: .milliseconds(100)) { task in
          guard channel.isActive else { return task.cancel() }
          send("2\r\n  \r\n")
        }
      }
    }
  }
}

/// A value set once after creation and read from event-loop threads.
final class Unchecked<T>: @unchecked Sendable {
  var value: T
  init(_ value: T) { self.value = value }
}
