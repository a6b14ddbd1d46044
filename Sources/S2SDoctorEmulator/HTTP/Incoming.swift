import Foundation
import HTTPTypes
import NIOCore

/// What a handler needs from a request.
struct Incoming: Sendable {
  let method: HTTPRequest.Method
  /// The path without the query, as sent (percent-encoded).
  let path: String
  let query: String?
  let headers: HTTPFields
  /// `scheme://host:port` as the client addressed the emulator.
  let base: String
  /// The host the client addressed, without port.
  let hostName: String
  var body: ByteBuffer?

  /// The request URL as the client addressed it.
  var url: String { base + path + (query.map { "?" + $0 } ?? "") }

  /// `client-request-id` when it looks like one (MSAL sends a GUID).
  var clientRequestID: String? {
    guard let value = headers[.clientRequestID], StableID.isGUID(value) else { return nil }
    return value.lowercased()
  }

  /// The value of a `Bearer` authorization header.
  var bearerToken: Substring? {
    guard let value = headers[.authorization] else { return nil }
    let prefix = "bearer "
    guard value.count > prefix.count, value.prefix(prefix.count).lowercased() == prefix else {
      return nil
    }
    return value.dropFirst(prefix.count).drop { $0 == " " }
  }

  /// HTTP Basic credentials (RFC 6749 §2.3.1: both parts form-encoded before base64).
  var basicCredentials: (user: String, password: String)? {
    guard let value = headers[.authorization], value.lowercased().hasPrefix("basic "),
      let data = Data(base64Encoded: String(value.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
      let text = String(data: data, encoding: .utf8),
      let colon = text.firstIndex(of: ":")
    else { return nil }
    return (
      FormBody.decode(text[..<colon]) ?? String(text[..<colon]),
      FormBody.decode(text[text.index(after: colon)...]) ?? String(text[text.index(after: colon)...])
    )
  }

  func queryItem(_ name: String) -> String? {
    guard let query else { return nil }
    return FormBody.parse(Substring(query))[name]
  }
}

/// `application/x-www-form-urlencoded` bodies and query strings.
enum FormBody {
  /// The fields of a form body. Unknown fields are kept and ignored by callers; for a repeated
  /// field the first value wins.
  static func parse(_ text: Substring) -> [String: String] {
    var fields: [String: String] = [:]
    for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
      let name: Substring
      let value: Substring
      if let equals = pair.firstIndex(of: "=") {
        name = pair[..<equals]
        value = pair[pair.index(after: equals)...]
      } else {
        name = pair
        value = ""
      }
      guard let key = decode(name), fields[key] == nil else { continue }
      fields[key] = decode(value) ?? String(value)
    }
    return fields
  }

  /// Form decoding: `+` is a space, then percent-decoding. `nil` for a malformed escape.
  static func decode(_ text: Substring) -> String? {
    if !text.contains("+") && !text.contains("%") { return String(text) }
    return text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
  }
}
