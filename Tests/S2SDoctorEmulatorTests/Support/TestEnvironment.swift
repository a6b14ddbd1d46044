import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import _CryptoExtras

@testable import S2SDoctorEmulator

/// One emulator (HTTPS, port 0) shared by every test of the suite, and a client that trusts it.
enum Shared {
  private static let started = Task { () throws -> (Emulator, EmulatorInfo, HTTPClient) in
    let emulator = try Emulator(options: EmulatorOptions())
    let info = try await emulator.start()
    let client = try TestHTTP.client(caFile: info.caFile)
    return (emulator, info, client)
  }

  static func info() async throws -> EmulatorInfo { try await started.value.1 }
  static func emulator() async throws -> Emulator { try await started.value.0 }
  static func client() async throws -> HTTPClient { try await started.value.2 }

  static func scenario(_ name: String) async throws -> ScenarioInfo {
    guard let scenario = try await info().scenarios[name] else {
      throw TestFailure("scenario \(name) is not listed")
    }
    return scenario
  }
}

struct TestFailure: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

/// A response read completely.
struct Fetched: Sendable {
  let status: Int
  let headers: HTTPHeaders
  let body: Data

  var text: String { String(decoding: body, as: UTF8.self) }
  var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] }
  func header(_ name: String) -> String? { headers.first(name: name) }
}

enum TestHTTP {
  /// A client that trusts the emulator's CA (or the system roots when `caFile` is nil), follows
  /// no redirects and gives up after `timeout`.
  static func client(caFile: String?, timeout: Int64 = 10) throws -> HTTPClient {
    var tls = TLSConfiguration.makeClientConfiguration()
    if let caFile { tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile)) }
    var configuration = HTTPClient.Configuration(
      tlsConfiguration: tls, redirectConfiguration: .disallow,
      timeout: .init(connect: .seconds(timeout), read: .seconds(timeout)))
    configuration.httpVersion = .http1Only
    // One client serves every test of the module, run in parallel; some hold a connection for
    // seconds on purpose (drip, timeout scenarios). The default of 8 per host made others queue
    // past their connect timeout.
    configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 128
    return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
  }

  static func get(
    _ url: String, headers: [(String, String)] = [], client: HTTPClient? = nil, limit: Int = 8 << 20,
    timeout: Int64 = 10
  ) async throws -> Fetched {
    try await send("GET", url, headers: headers, body: nil, client: client, limit: limit, timeout: timeout)
  }

  static func postForm(
    _ url: String, _ fields: [(String, String)], headers: [(String, String)] = [], client: HTTPClient? = nil,
    timeout: Int64 = 10
  ) async throws -> Fetched {
    try await send(
      "POST", url, headers: headers + [("Content-Type", "application/x-www-form-urlencoded")],
      body: formEncode(fields), client: client, limit: 8 << 20, timeout: timeout)
  }

  static func send(
    _ method: String, _ url: String, headers: [(String, String)], body: String?, client: HTTPClient?,
    limit: Int, timeout: Int64
  ) async throws -> Fetched {
    let http: HTTPClient
    if let client { http = client } else { http = try await Shared.client() }
    var request = HTTPClientRequest(url: url)
    request.method = HTTPMethod(rawValue: method)
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    if let body { request.body = .bytes(ByteBuffer(string: body)) }
    let response = try await http.execute(request, timeout: .seconds(timeout))
    let buffer = try await response.body.collect(upTo: limit)
    return Fetched(status: Int(response.status.code), headers: response.headers, body: Data(buffer.readableBytesView))
  }

  /// `application/x-www-form-urlencoded`, escaping everything but unreserved characters.
  static func formEncode(_ fields: [(String, String)]) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return fields.map { name, value in
      (name.addingPercentEncoding(withAllowedCharacters: allowed) ?? name) + "="
        + (value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)
    }.joined(separator: "&")
  }
}

/// Reading a scenario's flags.
struct ScenarioArguments {
  var values: [String: String] = [:]
  var flags: Set<String> = []

  init(_ args: [String]) {
    let booleans: Set<String> = ["--admin", "--no-automation", "--multi-tenant"]
    var index = 0
    while index < args.count {
      let arg = args[index]
      if booleans.contains(arg) {
        flags.insert(arg)
        index += 1
      } else if index + 1 < args.count {
        values[arg] = args[index + 1]
        index += 2
      } else {
        flags.insert(arg)
        index += 1
      }
    }
  }

  subscript(_ name: String) -> String? { values[name] }
}

/// JWT helpers for the tests.
enum JWT {
  static func decode(_ token: String) -> (header: [String: Any], claims: [String: Any], signature: Data)? {
    let parts = token.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 3,
      let header = Base64URL.decode(parts[0]).flatMap({ try? JSONSerialization.jsonObject(with: $0) })
        as? [String: Any],
      let claims = Base64URL.decode(parts[1]).flatMap({ try? JSONSerialization.jsonObject(with: $0) })
        as? [String: Any]
    else { return nil }
    return (header, claims, Base64URL.decode(parts[2]) ?? Data())
  }

  /// A client assertion signed with the key in a PEM file holding a certificate and its key.
  static func clientAssertion(pemFile: String, clientID: String, audience: String) throws -> String {
    let pem = try String(contentsOfFile: pemFile, encoding: .utf8)
    guard let certificateBase64 = block(pem, "CERTIFICATE"), let der = Data(base64Encoded: certificateBase64),
      let keyBase64 = block(pem, "PRIVATE KEY")
    else { throw TestFailure("\(pemFile) does not hold a certificate and a key") }
    let key = try _RSA.Signing.PrivateKey(
      pemRepresentation: "-----BEGIN PRIVATE KEY-----\n\(keyBase64)\n-----END PRIVATE KEY-----")
    let now = Int(Date().timeIntervalSince1970)
    let header = #"{"alg":"RS256","typ":"JWT","x5t#S256":"\#(Base64URL.encode(SHA256.hash(data: der)))"}"#
    let claims =
      #"{"aud":"\#(audience)","iss":"\#(clientID)","sub":"\#(clientID)","jti":"\#(UUID().uuidString)","nbf":\#(now),"exp":\#(now + 600)}"#
    let input = Base64URL.encode(header) + "." + Base64URL.encode(claims)
    let signature = try key.signature(for: SHA256.hash(data: Data(input.utf8)), padding: .insecurePKCS1v1_5)
    return input + "." + Base64URL.encode(signature.rawRepresentation)
  }

  private static func block(_ pem: String, _ label: String) -> String? {
    guard let start = pem.range(of: "-----BEGIN \(label)-----\n"),
      let end = pem.range(of: "-----END \(label)-----", range: start.upperBound..<pem.endIndex)
    else { return nil }
    return pem[start.upperBound..<end.lowerBound].replacingOccurrences(of: "\n", with: "")
  }
}
