/// Masks the secrets a person pastes along with an error: form fields, JSON and Python dict
/// values, environment assignments, Authorization headers and tokens. `explain` reads the
/// original and shows only the masked text.
public enum PastedSecrets {
  /// Names whose value is a secret, however it is written (`name=…`, `"name": "…"`,
  /// `'name': '…'`, `name: …`, `$env:NAME = "…"`).
  static let names = [
    "client_secret", "clientsecret", "client-secret", "azure_client_secret", "client_assertion", "password",
    "access_token", "refresh_token", "id_token", "secret", "passwd", "pwd", "apikey", "api_key", "assertion",
  ]
  static let mask = Array("***".utf8)

  public static func masked(_ text: String) -> String {
    var bytes = Redactor.maskTokens(in: Array(text.utf8)) ?? Array(text.utf8)
    bytes = maskAuthorization(bytes)
    var lowered = bytes.map(lower)
    for name in names {
      let needle = Array(name.utf8)
      guard ByteSearch.firstIndex(of: needle, in: lowered) != nil else { continue }
      let masked = maskValues(of: needle, in: bytes, lowered: lowered)
      if masked != bytes {
        bytes = masked
        lowered = bytes.map(lower)
      }
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  static func lower(_ b: UInt8) -> UInt8 { b >= 65 && b <= 90 ? b + 32 : b }

  static func isNameByte(_ b: UInt8) -> Bool {
    (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2D
  }

  /// Every value after `name` (case-insensitive, whole name) replaced by `***`.
  static func maskValues(of name: [UInt8], in input: [UInt8], lowered: [UInt8]) -> [UInt8] {
    var out = [UInt8]()
    out.reserveCapacity(input.count)
    var copied = 0
    var from = 0
    while let at = ByteSearch.firstIndex(of: name, in: lowered, from: from) {
      from = at + name.count
      let end = at + name.count
      if at > 0, isNameByte(input[at - 1]) { continue }
      if end < input.count, isNameByte(input[end]) { continue }
      var i = end
      if i < input.count, input[i] == UInt8(ascii: "\"") || input[i] == UInt8(ascii: "'") { i += 1 }
      while i < input.count, input[i] == 0x20 || input[i] == 0x09 { i += 1 }
      guard i < input.count, input[i] == UInt8(ascii: "=") || input[i] == UInt8(ascii: ":") else { continue }
      i += 1
      while i < input.count, input[i] == 0x20 || input[i] == 0x09 { i += 1 }
      var quote: UInt8?
      if i < input.count, input[i] == UInt8(ascii: "\"") || input[i] == UInt8(ascii: "'") {
        quote = input[i]
        i += 1
      }
      let start = i
      while i < input.count {
        let b = input[i]
        if let quote {
          if b == quote && (i == start || input[i - 1] != UInt8(ascii: "\\")) { break }
          if b == 0x0A { break }
        } else if b <= 0x20 || b == UInt8(ascii: "&") || b == UInt8(ascii: ",") || b == UInt8(ascii: ";")
          || b == UInt8(ascii: "}") || b == UInt8(ascii: ")") || b == UInt8(ascii: "\"") || b == UInt8(ascii: "'")
        {
          break
        }
        i += 1
      }
      // Nothing to mask, or a value that is itself a placeholder or already masked.
      guard i > start, !(i - start <= 3 && input[start..<i].allSatisfy({ $0 == UInt8(ascii: "*") })) else { continue }
      out.append(contentsOf: input[copied..<start])
      out.append(contentsOf: mask)
      copied = i
      from = i
    }
    out.append(contentsOf: input[copied...])
    return out
  }

  /// `Authorization: Bearer x`, `Authorization: Basic x`, `-H "Authorization: …"`, and a lone
  /// `Bearer x` whose value is not a JWT (those are masked already).
  static func maskAuthorization(_ input: [UInt8]) -> [UInt8] {
    var bytes = input
    for scheme in ["bearer ", "basic "] {
      let needle = Array(scheme.utf8)
      let lowered = bytes.map(lower)
      guard ByteSearch.firstIndex(of: needle, in: lowered) != nil else { continue }
      var out = [UInt8]()
      out.reserveCapacity(bytes.count)
      var copied = 0
      var from = 0
      while let at = ByteSearch.firstIndex(of: needle, in: lowered, from: from) {
        from = at + needle.count
        if at > 0, isNameByte(bytes[at - 1]) { continue }
        var i = at + needle.count
        while i < bytes.count, bytes[i] == 0x20 { i += 1 }
        let start = i
        while i < bytes.count, bytes[i] > 0x20, bytes[i] != UInt8(ascii: "\""), bytes[i] != UInt8(ascii: "'"),
          bytes[i] != UInt8(ascii: ",")
        {
          i += 1
        }
        // Short words ("Bearer token", "Bearer error=") are prose, not credentials.
        let value = bytes[start..<i]
        guard value.count >= 16, !value.contains(UInt8(ascii: "=")) || value.count > 24,
          !(value.starts(with: mask))
        else { continue }
        out.append(contentsOf: bytes[copied..<start])
        out.append(contentsOf: mask)
        copied = i
        from = i
      }
      out.append(contentsOf: bytes[copied...])
      bytes = out
    }
    return bytes
  }
}
