import Crypto
import Foundation
import S2SDoctorCore

#if canImport(Glibc)
  import Glibc
#endif

/// The authorization code grant with PKCE (RFC 7636) on a loopback redirect (RFC 8252): the
/// administrator signs in with a browser where Conditional Access blocks the device-code flow.
///
/// The tool listens on 127.0.0.1 on a free port, gives the authorize URL (and opens it when
/// asked), takes the one redirect that carries the code and the expected `state`, and redeems
/// the code with the verifier. The code and the token are registered with the redactor.
public struct BrowserSignIn: Sendable {
  public let transport: HTTPTransport
  public let authorityHost: String
  public let tenant: String
  public let clientID: String
  /// How long to wait for the browser to come back.
  public var timeoutSeconds: Int

  public init(
    transport: HTTPTransport, authorityHost: String, tenant: String, clientID: String, timeoutSeconds: Int = 300
  ) {
    self.transport = transport
    self.authorityHost = authorityHost
    self.tenant = tenant
    self.clientID = clientID
    self.timeoutSeconds = timeoutSeconds
  }

  /// A new PKCE pair: 32 random bytes as the verifier (43 characters), its SHA-256 the challenge.
  public static func pkcePair() -> (verifier: String, challenge: String) {
    var generator = SystemRandomNumberGenerator()
    let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    let verifier = TokenClaims.base64URLEncode(Data(bytes))
    return (verifier, TokenClaims.base64URLEncode(Data(SHA256.hash(data: Data(verifier.utf8)))))
  }

  static func queryEncode(_ value: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
  }

  /// Signs in: `show` gets the authorize URL (to print, and to open in a browser).
  public func signIn(
    scopes: [String] = DeviceCodeSignIn.graphScopes, show: @Sendable (String) -> Void
  ) async throws -> AdminToken {
    let listener = try LoopbackListener()
    defer { listener.close() }
    let redirect = "http://127.0.0.1:\(listener.port)/"
    let (verifier, challenge) = Self.pkcePair()
    let state = Self.pkcePair().verifier
    let scope = (scopes + ["offline_access"]).joined(separator: " ")
    let query: [(String, String)] = [
      ("client_id", clientID), ("response_type", "code"), ("redirect_uri", redirect), ("response_mode", "query"),
      ("scope", scope), ("state", state), ("code_challenge", challenge), ("code_challenge_method", "S256"),
      ("prompt", "select_account"),
    ]
    let url =
      "\(authorityHost)/\(EntraClient.pathSegment(tenant))/oauth2/v2.0/authorize?"
      + query.map { "\($0.0)=\(Self.queryEncode($0.1))" }.joined(separator: "&")
    show(url)

    let timeout = timeoutSeconds
    let redirectQuery = try await withCheckedThrowingContinuation { continuation in
      let thread = Thread {
        continuation.resume(with: Result { try listener.awaitRedirect(state: state, timeout: timeout) })
      }
      thread.start()
    }
    if let error = redirectQuery["error"] {
      let description = redirectQuery["error_description"].map { ": \($0)" } ?? ""
      throw AdminFailure(
        error == "access_denied"
          ? "the administrator declined the sign-in; nothing was changed"
          : "the browser sign-in failed (\(error)\(description))")
    }
    guard let code = redirectQuery["code"], !code.isEmpty else {
      throw AdminFailure("the browser came back without a code")
    }
    Redactor.shared.register(code)
    let fields = [
      ("grant_type", "authorization_code"), ("client_id", clientID), ("code", code), ("redirect_uri", redirect),
      ("code_verifier", verifier), ("scope", scope),
    ]
    let body = fields.map { "\($0.0)=\(Redactor.formEncode($0.1))" }.joined(separator: "&")
    let response = try await transport.send(
      HTTPRequest(
        method: "POST", url: "\(authorityHost)/\(EntraClient.pathSegment(tenant))/oauth2/v2.0/token",
        headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")],
        body: Data(body.utf8)))
    guard response.status == 200, let token = response.json?["access_token"]?.string else {
      throw AdminFailure("the code could not be redeemed (\(DeviceCodeSignIn.describe(response)))")
    }
    Redactor.shared.register(token)
    if let refresh = response.json?["refresh_token"]?.string { Redactor.shared.register(refresh) }
    return AdminToken(accessToken: token, scopes: response.json?["scope"]?.string ?? "")
  }
}

/// One TCP listener on 127.0.0.1, port chosen by the kernel, for the sign-in's redirect.
final class LoopbackListener: @unchecked Sendable {
  private let fd: Int32
  let port: Int

  init() throws {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw AdminFailure("cannot open a loopback socket (errno \(errno))") }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
        bind(fd, pointer, length) == 0 && listen(fd, 4) == 0 && getsockname(fd, pointer, &length) == 0
      }
    }
    guard bound else {
      Glibc.close(fd)
      throw AdminFailure("cannot listen on 127.0.0.1 (errno \(errno))")
    }
    self.fd = fd
    self.port = Int(UInt16(bigEndian: address.sin_port))
  }

  func close() { Glibc.close(fd) }

  /// Serves requests until one to `/` carries `state` (with a code or an error), and returns its
  /// query. Anything else (a favicon, a stray request) gets 404 and the wait goes on.
  func awaitRedirect(state: String, timeout: Int) throws -> [String: String] {
    let deadline = Date().addingTimeInterval(Double(timeout))
    while true {
      let left = Int32(max(0, deadline.timeIntervalSinceNow * 1000))
      var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
      guard left > 0, poll(&poller, 1, left) > 0 else {
        throw AdminFailure("no browser came back to 127.0.0.1:\(port) within \(timeout) s; run the command again")
      }
      let client = accept(fd, nil, nil)
      guard client >= 0 else { continue }
      defer { Glibc.close(client) }
      var timeout = timeval(tv_sec: 5, tv_usec: 0)
      setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
      let head = Self.readHead(client)
      let target = head.split(separator: "\r\n", maxSplits: 1).first?.split(separator: " ")
      guard let target, target.count >= 2, target[0] == "GET" else {
        Self.answer(client, status: "400 Bad Request", text: "Not a sign-in redirect.")
        continue
      }
      let path = target[1]
      let parts = path.split(separator: "?", maxSplits: 1)
      guard parts.first == "/", parts.count == 2 else {
        Self.answer(client, status: "404 Not Found", text: "Not found.")
        continue
      }
      var query: [String: String] = [:]
      for pair in parts[1].split(separator: "&") {
        let kv = pair.split(separator: "=", maxSplits: 1)
        let key = String(kv[0]).removingPercentEncoding ?? String(kv[0])
        let value =
          kv.count > 1 ? (String(kv[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "") : ""
        query[key] = value
      }
      guard query["state"] == state else {
        Self.answer(client, status: "400 Bad Request", text: "This answer does not belong to this sign-in.")
        continue
      }
      Self.answer(
        client, status: "200 OK",
        text: query["code"] != nil
          ? "Signed in. You can close this tab and return to s2s-doctor."
          : "The sign-in did not complete. Return to s2s-doctor for the reason.")
      return query
    }
  }

  private static func readHead(_ client: Int32) -> String {
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 2048)
    while bytes.count < 16_384 {
      let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
      guard n > 0 else { break }
      bytes += buffer[0..<n]
      if bytes.count >= 4, String(decoding: bytes.suffix(n + 3), as: UTF8.self).contains("\r\n\r\n") { break }
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  private static func answer(_ client: Int32, status: String, text: String) {
    let body =
      "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>S2S Doctor</title></head><body><p>\(text)</p></body></html>"
    let response =
      "HTTP/1.1 \(status)\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n\(body)"
    _ = Array(response.utf8).withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
  }
}
