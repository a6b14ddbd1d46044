import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import S2SDoctorCore

/// One HTTP request the checks make.
public struct HTTPRequest: Sendable {
  public var method: String
  public var url: String
  public var headers: [(String, String)]
  public var body: Data?

  public init(method: String = "GET", url: String, headers: [(String, String)] = [], body: Data? = nil) {
    self.method = method
    self.url = url
    self.headers = headers
    self.body = body
  }
}

/// The answer, with a body capped at `HTTPTransport.maxBody`.
public struct HTTPResponse: Sendable {
  public var status: Int
  public var headers: [(String, String)]
  public var body: Data
  public var url: String

  public func header(_ name: String) -> String? {
    headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
  }

  public var contentType: String { header("Content-Type")?.lowercased() ?? "" }

  /// The server's `Date` header, if it parses.
  public var serverDate: Date? {
    guard let value = header("Date") else { return nil }
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "GMT")
    formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
    return formatter.date(from: value)
  }

  public var json: JSONValue? { JSONValue.parse(body) }
  public var text: String { String(decoding: body.prefix(4096), as: UTF8.self) }
}

/// A request that got no proper answer, already named by its `network.*` reason.
public struct TransportFailure: Error, Sendable, CustomStringConvertible {
  public var reason: String
  public var detail: String
  public var description: String { "\(detail) (\(reason))" }

  public init(_ reason: String, _ detail: String) {
    self.reason = reason
    self.detail = detail
  }
}

/// HTTPS on async-http-client: TLS verification always on (extra roots from `--ca-file`),
/// proxies from the environment, a per-request deadline, bodies capped at 1 MB, and only
/// same-host redirects (an Authorization header never travels to another host).
public final class HTTPTransport: Sendable {
  public static let maxBody = 1_048_576
  public static let maxRedirects = 5

  let direct: HTTPClient
  let proxied: HTTPClient?
  /// Where `proxied` tunnels, for reading a certificate after a TLS failure.
  let proxyEndpoint: CertificatePeek.Proxy?
  let noProxy: [String]
  public let timeout: Double
  /// When set (fleet runs), a 429 with Retry-After holds back that host and is retried once.
  let gate: HostGate?
  /// The one `http://host:port` the user allowed (`--allow-http-bc-url`); every other request
  /// must be https.
  let cleartextOrigin: String?

  /// The system roots as an OpenSSL hashed directory (`/etc/ssl/certs` with `<hash>.0` links on
  /// Debian, Ubuntu, Alpine, Arch), when there is one. A directory is read lazily, one issuer
  /// at a time; the default bundle file is parsed whole (about 140 certificates, several MB
  /// and milliseconds) for every run. Elsewhere the library's default (the bundle) is used.
  static let hashedSystemRoots: String? = {
    #if os(Linux)
      return isHashedFolder("/etc/ssl/certs") ? "/etc/ssl/certs" : nil
    #else
      return nil
    #endif
  }()

  /// Whether a folder holds `<subject hash>.N` entries (the only names a folder lookup reads).
  static func isHashedFolder(_ path: String) -> Bool {
    guard let dir = opendir(path) else { return false }
    defer { closedir(dir) }
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      if isSubjectHashName(name) { return true }
    }
    return false
  }

  /// The system trust store, as OpenSSL and curl find it: `SSL_CERT_DIR` (the first folder that
  /// exists) and `SSL_CERT_FILE` when set, else the hashed system folder, else the library's
  /// default bundle. A bundle inside a hashed trusted folder (Debian's
  /// `/etc/ssl/certs/ca-certificates.crt`) is built from that folder's certificates, so only the
  /// folder is used; any other bundle is added to it.
  static func systemTrustRoots(_ environment: [String: String]) throws -> (
    roots: NIOSSLTrustRoots?, extra: [NIOSSLAdditionalTrustRoots]
  ) {
    func existing(_ name: String) throws -> String? {
      guard let value = environment[name], !value.isEmpty else { return nil }
      let candidates = name == "SSL_CERT_DIR" ? value.split(separator: ":").map(String.init) : [value]
      guard let path = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
        throw TransportFailure(
          Reason.networkTlsUntrusted, "\(name) names \(value), which does not exist; fix or unset it")
      }
      return path
    }
    let file = try existing("SSL_CERT_FILE")
    guard let directory = try existing("SSL_CERT_DIR") ?? hashedSystemRoots else {
      return (file.map { .file($0) }, [])
    }
    guard let file else { return (.file(directory), []) }
    // Only a hashed folder can stand in for a bundle built from it (Fedora's
    // /etc/pki/tls/certs, for one, has no hash links: its bundle is the store).
    let folder = directory.hasSuffix("/") ? directory : directory + "/"
    let fileInFolder = file.hasPrefix(folder) && !file.dropFirst(folder.count).contains("/")
    return (.file(directory), fileInFolder && isHashedFolder(directory) ? [] : [.file(file)])
  }

  /// `0a1b2c3d.0`: eight hex digits, a dot, a small number.
  static func isSubjectHashName(_ name: String) -> Bool {
    let parts = name.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 2, parts[0].count == 8, !parts[1].isEmpty, parts[1].count <= 2 else { return false }
    return parts[0].allSatisfy(\.isHexDigit) && parts[1].allSatisfy(\.isNumber)
  }

  public init(
    caFile: String?, timeout: Double, gate: HostGate? = nil, cleartextOrigin: String? = nil,
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) throws {
    self.timeout = timeout
    self.gate = gate
    self.cleartextOrigin = cleartextOrigin.flatMap(Self.origin)
    var tls = TLSConfiguration.makeClientConfiguration()
    tls.certificateVerification = .fullVerification
    (tls.trustRoots, tls.additionalTrustRoots) = try Self.systemTrustRoots(environment)
    if let caFile {
      guard FileManager.default.isReadableFile(atPath: caFile) else {
        throw TransportFailure(Reason.networkTlsUntrusted, "cannot read the CA file \(caFile)")
      }
      do {
        let roots = try NIOSSLCertificate.fromPEMFile(caFile)
        guard !roots.isEmpty else {
          throw TransportFailure(Reason.networkTlsUntrusted, "the CA file \(caFile) holds no PEM certificate")
        }
        tls.additionalTrustRoots.append(.certificates(roots))
      } catch let failure as TransportFailure {
        throw failure
      } catch {
        throw TransportFailure(Reason.networkTlsUntrusted, "the CA file \(caFile) is not PEM: \(error)")
      }
    }
    func configuration(proxy: HTTPClient.Configuration.Proxy?) -> HTTPClient.Configuration {
      var config = HTTPClient.Configuration(
        tlsConfiguration: tls, redirectConfiguration: .disallow,
        timeout: .init(connect: .milliseconds(Int64(timeout * 1000)), read: .milliseconds(Int64(timeout * 1000))),
        proxy: proxy, ignoreUncleanSSLShutdown: false, decompression: .disabled)
      config.httpVersion = .http1Only
      config.connectionPool = .init(idleTimeout: .seconds(30))
      // A refused or unreachable host is a finding, not something to retry until the deadline.
      config.connectionPool.retryConnectionEstablishment = false
      return config
    }
    direct = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration(proxy: nil))
    let proxyValue = environment["HTTPS_PROXY"] ?? environment["https_proxy"]
    if let proxyValue, !proxyValue.isEmpty,
      let url = URLComponents(string: proxyValue.contains("://") ? proxyValue : "http://" + proxyValue),
      let host = url.host
    {
      var auth: HTTPClient.Authorization?
      if let user = url.user {
        auth = .basic(
          username: user.removingPercentEncoding ?? user, password: (url.password ?? "").removingPercentEncoding ?? "")
      }
      proxied = HTTPClient(
        eventLoopGroupProvider: .singleton,
        configuration: configuration(proxy: .server(host: host, port: url.port ?? 8080, authorization: auth)))
      proxyEndpoint = .init(host: host, port: url.port ?? 8080, authorization: auth?.headerValue)
    } else {
      proxied = nil
      proxyEndpoint = nil
    }
    noProxy = (environment["NO_PROXY"] ?? environment["no_proxy"] ?? "")
      .split(separator: ",").map { $0.trimmedSpaces.lowercased() }
      .filter { !$0.isEmpty }
  }

  public func shutdown() async {
    try? await direct.shutdown()
    try? await proxied?.shutdown()
  }

  /// Loopback is never proxied; NO_PROXY entries match a host or a domain suffix.
  func client(for host: String) -> HTTPClient {
    guard let proxied else { return direct }
    let h = host.lowercased()
    if h == "localhost" || h.hasPrefix("127.") || h == "::1" || h == "[::1]" { return direct }
    for entry in noProxy {
      if entry == "*" { return direct }
      let suffix = entry.hasPrefix(".") ? String(entry.dropFirst()) : entry
      if h == suffix || h.hasSuffix("." + suffix) { return direct }
    }
    return proxied
  }

  /// A single run retries a 429 once when its Retry-After (seconds) is short; a fleet run asks
  /// its host gate, which also holds back the other rows for that host.
  static let shortRetryAfter = Duration.seconds(5)

  func retryWait(host: String, retryAfter: String?) async -> Duration? {
    if let gate { return await gate.throttled(host: host, retryAfter: retryAfter) }
    guard let text = retryAfter?.trimmedSpaces, let seconds = Double(text), seconds >= 0,
      seconds <= Double(Self.shortRetryAfter.components.seconds)
    else { return nil }
    return .milliseconds(Int64(seconds * 1000))
  }

  public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
    var current = request
    var visited: Set<String> = [request.url]
    for _ in 0...Self.maxRedirects {
      var response = try await sendOnce(current)
      if response.status == 429, let host = URLComponents(string: current.url)?.host,
        let wait = await retryWait(host: host, retryAfter: response.header("Retry-After"))
      {
        try await Task.sleep(for: wait)
        response = try await sendOnce(current)
      }
      guard (300..<400).contains(response.status), response.status != 304,
        let location = response.header("Location")
      else { return response }
      guard let from = URLComponents(string: current.url),
        let next = URL(string: location, relativeTo: URL(string: current.url))?.absoluteURL,
        let to = URLComponents(url: next, resolvingAgainstBaseURL: true)
      else {
        throw TransportFailure(
          Reason.networkUnexpectedResponse, "HTTP \(response.status) redirect to an unreadable location")
      }
      guard from.host?.lowercased() == to.host?.lowercased(), from.port == to.port, from.scheme == to.scheme else {
        throw TransportFailure(
          Reason.networkUnexpectedResponse,
          "HTTP \(response.status) redirect from \(from.host ?? "?") to another host (\(to.host ?? "?")); not followed, so no credentials were sent there"
        )
      }
      guard visited.insert(next.absoluteString).inserted else {
        throw TransportFailure(Reason.networkUnexpectedResponse, "redirect loop at \(next.absoluteString)")
      }
      current.url = next.absoluteString
    }
    throw TransportFailure(Reason.networkUnexpectedResponse, "more than \(Self.maxRedirects) redirects")
  }

  /// `scheme://host:port` in lower case, the port spelled out.
  static func origin(_ url: String) -> String? {
    guard let c = URLComponents(string: url), let scheme = c.scheme?.lowercased(), let host = c.host?.lowercased()
    else { return nil }
    return "\(scheme)://\(host):\(c.port ?? (scheme == "https" ? 443 : 80))"
  }

  func sendOnce(_ request: HTTPRequest) async throws -> HTTPResponse {
    guard let components = URLComponents(string: request.url), let host = components.host,
      components.scheme == "https" || components.scheme == "http"
    else {
      throw TransportFailure(Reason.networkUnexpectedResponse, "not an http(s) URL: \(request.url)")
    }
    // Nothing is sent in cleartext but to the one server the user named for it.
    if components.scheme == "http", Self.origin(request.url) != cleartextOrigin {
      throw TransportFailure(
        Reason.networkUnexpectedResponse,
        "refused to send a request to \(Self.origin(request.url) ?? request.url) over plain http; nothing was sent")
    }
    if let gate { await gate.wait(for: host) }
    var outgoing = HTTPClientRequest(url: request.url)
    outgoing.method = HTTPMethod(rawValue: request.method)
    for (name, value) in request.headers { outgoing.headers.add(name: name, value: value) }
    if !request.headers.contains(where: { $0.0.lowercased() == "user-agent" }) {
      outgoing.headers.add(name: "User-Agent", value: "s2s-doctor/\(LiveCheckSuite.toolVersion)")
    }
    if let body = request.body { outgoing.body = .bytes(ByteBuffer(bytes: body)) }
    let deadline = NIODeadline.now() + .milliseconds(Int64(timeout * 1000))
    let client = client(for: host)
    let prepared = outgoing
    let target = components.port.map { "\(host):\($0)" } ?? host
    do {
      // The client's deadline covers the response head only: a body dripped one byte at a time
      // (or one that never ends) would keep a read timeout alive forever. The whole exchange,
      // body included, races the same limit.
      return try await Self.bounded(timeout, target: target) {
        let response = try await client.execute(prepared, deadline: deadline, logger: nil)
        var headers: [(String, String)] = []
        for header in response.headers { headers.append((header.name, header.value)) }
        let body: ByteBuffer
        do {
          body = try await response.body.collect(upTo: Self.maxBody)
        } catch is NIOTooManyBytesError {
          throw TransportFailure(
            Reason.networkUnexpectedResponse,
            "the response body from \(host) is larger than 1 MB (HTTP \(response.status.code))")
        }
        return HTTPResponse(
          status: Int(response.status.code), headers: headers, body: Data(body.readableBytesView), url: request.url)
      }
    } catch let failure as TransportFailure {
      throw failure
    } catch is CancellationError {
      throw CancellationError()
    } catch {
      var failure = Self.classify(error, host: host, port: components.port)
      if failure.reason == Reason.networkTlsUntrusted {
        let proxy = client === direct ? nil : proxyEndpoint
        if let presented = await CertificatePeek.presented(
          host: host, port: components.port ?? 443, via: proxy, timeout: min(timeout, 5))
        {
          failure = Self.untrusted(target: target, presented: presented, library: String(reflecting: error))
        }
      }
      throw failure
    }
  }

  /// A TLS failure in the words an admin recognises: who the certificate claims to be and who
  /// signed it (an inspecting proxy shows up as the issuer), not the library's error code.
  static func untrusted(target: String, presented: CertificatePeek.Presented, library: String) -> TransportFailure {
    let lower = library.lowercased()
    let names = presented.dnsNames.map { $0.lowercased() }
    let host = target.split(separator: ":").first.map { String($0).lowercased() } ?? target
    let wrongName =
      !names.isEmpty
      && !names.contains { $0 == host || ($0.hasPrefix("*.") && host.hasSuffix($0.dropFirst(1))) }
      && !host.allSatisfy { $0.isNumber || $0 == "." }
    let why: String
    if Date() > presented.notValidAfter || lower.contains("expired") {
      why = "the certificate has expired"
    } else if wrongName {
      why = "the certificate is not for \(host)"
    } else if presented.selfSigned {
      why = "the certificate is self-signed"
    } else {
      why = "its issuer is not trusted on this machine"
    }
    return TransportFailure(
      Reason.networkTlsUntrusted,
      "the TLS certificate of \(target) is not trusted: \(why); \(presented.sentence()). If that issuer is your company's proxy or security product, the traffic is being inspected"
    )
  }

  /// Runs one exchange, ending it with `network.timeout` once `seconds` have passed, whatever
  /// the server is still sending. Cancelling the caller cancels the exchange.
  static func bounded<T: Sendable>(
    _ seconds: Double, target: String, _ exchange: @escaping @Sendable () async throws -> T
  ) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
      group.addTask { try await exchange() }
      group.addTask {
        await CancellableSleep.sleep(for: .milliseconds(Int64(seconds * 1000)))
        return nil
      }
      defer { group.cancelAll() }
      if let first = try await group.next(), let value = first { return value }
      if Task.isCancelled { throw CancellationError() }
      throw TransportFailure(
        Reason.networkTimeout,
        "no complete answer from \(target) within the time limit of \(Duration.seconds(seconds).formattedSeconds) (--timeout)"
      )
    }
  }

  /// Names a transport error by its `network.*` reason.
  static func classify(_ error: any Error, host: String, port: Int?) -> TransportFailure {
    let target = port.map { "\(host):\($0)" } ?? host
    let text = String(reflecting: error)
    let lower = text.lowercased()
    if let http = error as? HTTPClientError {
      switch http {
      case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout, .tlsHandshakeTimeout,
        .getConnectionFromPoolTimeout, .httpProxyHandshakeTimeout:
        return TransportFailure(Reason.networkTimeout, "no answer from \(target) within the time limit")
      case .proxyAuthenticationRequired:
        return TransportFailure(Reason.networkProxyAuthRequired, "the proxy answered 407 Proxy Authentication Required")
      case .remoteConnectionClosed:
        return TransportFailure(
          Reason.networkUnexpectedResponse, "\(target) closed the connection before the response was complete")
      default: break
      }
    }
    if lower.contains("connection refused") || lower.contains("econnrefused") || lower.contains("errno: 111") {
      return TransportFailure(
        Reason.networkConnectionRefused,
        "\(target) refused the connection: nothing listens there, or a firewall rejects it")
    }
    if lower.contains("certificate") || lower.contains("handshake") || lower.contains("nio ssl")
      || lower.contains("niossl") || lower.contains("ssl")
    {
      return TransportFailure(
        Reason.networkTlsUntrusted,
        "the TLS certificate of \(target) is not trusted (\(Self.short(text))); behind a TLS-inspecting proxy pass its CA with --ca-file"
      )
    }
    if lower.contains("dns") || lower.contains("resolve") || lower.contains("nodename")
      || lower.contains("name or service")
      || lower.contains("unknownhost") || lower.contains("no address")
    {
      return TransportFailure(Reason.networkDnsFailed, "the host name \(host) could not be resolved")
    }
    if lower.contains("timeout") || lower.contains("timed out") || lower.contains("deadline") {
      return TransportFailure(Reason.networkTimeout, "no answer from \(target) within the time limit")
    }
    if lower.contains("reset") || lower.contains("closed") || lower.contains("eof") || lower.contains("unclean") {
      return TransportFailure(
        Reason.networkUnexpectedResponse, "the connection to \(target) broke mid-response (\(Self.short(text)))")
    }
    if lower.contains("connect") {
      return TransportFailure(Reason.networkConnectionRefused, "cannot connect to \(target) (\(Self.short(text)))")
    }
    return TransportFailure(Reason.networkUnexpectedResponse, "the request to \(target) failed: \(Self.short(text))")
  }

  static func short(_ text: String) -> String { Redactor.shared.excerpt(text, limit: 160) }
}
