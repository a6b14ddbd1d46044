import Foundation

/// A problem with a value the user gave, found before any network call.
public struct InputProblem: Sendable, Equatable, Error, CustomStringConvertible {
  public var reason: String
  public var detail: String

  public init(_ reason: String, _ detail: String) {
    self.reason = reason
    self.detail = detail
  }

  public var description: String { "\(detail) (\(reason))" }
}

/// Validation of every user-supplied connection value. Each function returns `nil` when the
/// value is usable, or the `input.*` reason with a sentence that says what to change.
public enum InputValidation {
  static let placeholderMarkers = [
    "<", ">", "{", "}", "tenant_id", "tenantid", "tenant-id", "your-tenant", "yourtenant",
    "enter_the", "enter-the", "xxxxxxxx", "client_id", "clientid", "client-id", "your-client",
    "app-id", "appid", "application_id", "guid",
  ]

  public static func isGUID(_ text: String) -> Bool {
    UUID(uuidString: text) != nil && text.count == 36
  }

  public static func tenant(_ raw: String) -> InputProblem? {
    let value = raw.trimmedWhitespace
    let lower = value.lowercased()
    if value.isEmpty {
      return InputProblem(
        Reason.inputTenantInvalid,
        "No tenant given. Use the Directory (tenant) ID GUID or a verified domain such as contoso.onmicrosoft.com."
      )
    }
    if ["common", "organizations", "consumers"].contains(lower) {
      return InputProblem(
        Reason.inputTenantNotSpecific,
        "'\(value)' is not one tenant. Client credentials need the customer's Directory (tenant) ID or verified domain."
      )
    }
    if lower.contains("://") || lower.contains("/") {
      return InputProblem(
        Reason.inputTenantInvalid,
        "'\(value)' looks like a URL or path. Give only the tenant: the GUID or the domain, without https:// or /oauth2/…"
      )
    }
    if placeholderMarkers.contains(where: { lower.contains($0) }) {
      return InputProblem(
        Reason.inputTenantInvalid,
        "'\(value)' looks like placeholder text. Copy the Directory (tenant) ID from Microsoft Entra admin center > Overview."
      )
    }
    if isGUID(value) {
      if lower == "00000000-0000-0000-0000-000000000000" {
        return InputProblem(
          Reason.inputTenantInvalid, "The all-zero GUID is not a tenant. Copy the real Directory (tenant) ID.")
      }
      return nil
    }
    if isDomain(value) { return nil }
    return InputProblem(
      Reason.inputTenantInvalid,
      "'\(value)' is neither a GUID nor a DNS domain. Use the Directory (tenant) ID or a verified domain.")
  }

  public static func isDomain(_ value: String) -> Bool {
    let labels = value.split(separator: ".", omittingEmptySubsequences: false)
    guard labels.count >= 2, value.count <= 253 else { return false }
    for label in labels {
      guard !label.isEmpty, label.count <= 63, label.first != "-", label.last != "-" else {
        return false
      }
      guard label.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
        return false
      }
    }
    return labels.last!.allSatisfy(\.isLetter)
  }

  public static func clientID(_ raw: String) -> InputProblem? {
    let value = raw.trimmedWhitespace
    if value.isEmpty {
      return InputProblem(
        Reason.inputClientIdInvalid,
        "No client ID given. Copy the Application (client) ID from the app registration's Overview page.")
    }
    if isGUID(value) && value != "00000000-0000-0000-0000-000000000000" { return nil }
    return InputProblem(
      Reason.inputClientIdInvalid,
      "'\(value)' is not an Application (client) ID. It must be a GUID like 11111111-2222-3333-4444-555555555555, from the app registration's Overview page."
    )
  }

  /// Checks a client secret. The secret itself never appears in the returned text.
  public static func secret(_ value: String?, hasCertificate: Bool) -> InputProblem? {
    guard let value, !value.isEmpty else {
      if hasCertificate { return nil }
      return InputProblem(
        Reason.inputSecretMissing,
        "No client secret and no certificate. Set AZURE_CLIENT_SECRET, or pass --client-secret-file, --client-secret-stdin or --certificate."
      )
    }
    if value.trimmedWhitespace.isEmpty {
      return InputProblem(Reason.inputSecretMissing, "The client secret is blank.")
    }
    if isGUID(value.trimmedWhitespace) {
      return InputProblem(
        Reason.inputSecretLooksLikeId,
        "The client secret is a GUID: that is the Secret ID. Copy the secret's Value instead (it is shown only once; create a new secret if it is lost)."
      )
    }
    let first = value.unicodeScalars.first!
    let last = value.unicodeScalars.last!
    if CharacterSet.whitespacesAndNewlines.contains(first)
      || CharacterSet.whitespacesAndNewlines.contains(last)
    {
      return InputProblem(
        Reason.inputSecretHasStrayCharacters,
        "The client secret starts or ends with white space or a line break (copy-paste damage). Remove it.")
    }
    if value.contains("\n") || value.contains("\r") || value.contains("\t") {
      return InputProblem(
        Reason.inputSecretHasStrayCharacters, "The client secret contains a line break or a tab.")
    }
    if let f = value.first, let l = value.last, value.count >= 2,
      (f == "\"" && l == "\"") || (f == "'" && l == "'")
    {
      return InputProblem(
        Reason.inputSecretHasStrayCharacters,
        "The client secret is wrapped in quotes. Remove the quotes; they are not part of the value.")
    }
    if let stray = value.unicodeScalars.first(where: isInvisibleInSecret) {
      return InputProblem(
        Reason.inputSecretHasStrayCharacters,
        "The client secret contains \(describeInvisible(stray)), which no Entra secret has (copy-paste or editor damage). Copy the Value again."
      )
    }
    return nil
  }

  /// Control characters (C0, DEL, C1), any space but U+0020, and invisible format characters
  /// (zero-width, bidi, a byte-order mark): none is part of a secret Entra ID generates.
  static func isInvisibleInSecret(_ scalar: Unicode.Scalar) -> Bool {
    if scalar == " " { return false }
    switch scalar.properties.generalCategory {
    case .control, .format, .spaceSeparator, .lineSeparator, .paragraphSeparator: return true
    default: return false
    }
  }

  static func describeInvisible(_ scalar: Unicode.Scalar) -> String {
    switch scalar {
    case "\u{FEFF}": "a byte-order mark (U+FEFF)"
    case "\u{A0}": "a no-break space (U+00A0)"
    case "\u{200B}": "a zero-width space (U+200B)"
    default:
      scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
        ? "a control character (U+\(String(format: "%04X", scalar.value)))"
        : "an invisible character (U+\(String(format: "%04X", scalar.value)))"
    }
  }

  public static func environment(_ raw: String) -> InputProblem? {
    let value = raw.trimmedSpaces
    if value.isEmpty {
      return InputProblem(
        Reason.inputEnvironmentInvalid,
        "No environment name. Copy it from the Business Central admin center (for example 'Production').")
    }
    let valid =
      value.count <= 30
      && value.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    if !valid {
      return InputProblem(
        Reason.inputEnvironmentInvalid,
        "'\(value)' cannot be a Business Central environment name: use letters, digits, '-' or '_' only, at most 30 characters."
      )
    }
    return nil
  }

  /// Checks a redirect URI for consent from the Business Central web client.
  public static func redirectURI(_ raw: String, online: Bool) -> InputProblem? {
    let value = raw.trimmedSpaces
    guard let url = URLComponents(string: value), url.scheme?.lowercased() == "https",
      let host = url.host, !host.isEmpty
    else {
      return InputProblem(
        Reason.inputRedirectUriInvalid,
        "'\(value)' is not an absolute https URL. Use for example \(BusinessCentral.onlineRedirectURI).")
    }
    if url.port == 443 || value.contains(":443/") {
      return InputProblem(
        Reason.inputRedirectUriDefaultPort,
        "Remove ':443' from the redirect URI: browsers drop the default port, so '\(value)' never matches what Business Central sends."
      )
    }
    if !url.path.hasSuffix("/OAuthLanding.htm") {
      let hint =
        url.path.lowercased().hasSuffix("/oauthlanding.htm")
        ? "The redirect URI is case-sensitive: it must end in /OAuthLanding.htm exactly."
        : "The redirect URI must end in /OAuthLanding.htm."
      return InputProblem(Reason.inputRedirectUriNotOauthlanding, hint)
    }
    if online && value != BusinessCentral.onlineRedirectURI {
      return InputProblem(
        Reason.inputRedirectUriOnlineMismatch,
        "Business Central online always sends \(BusinessCentral.onlineRedirectURI); register exactly that URI."
      )
    }
    return nil
  }

  /// The redirect URI an on-premises web client sends: its public URL, `:443` dropped.
  public static func onPremRedirectURI(webClientURL raw: String) -> String? {
    guard var url = URLComponents(string: raw.trimmedSpaces),
      url.scheme?.lowercased() == "https", url.host != nil
    else { return nil }
    if url.port == 443 { url.port = nil }
    url.query = nil
    url.fragment = nil
    var path = url.path
    if path.hasSuffix("/OAuthLanding.htm") { path.removeLast("/OAuthLanding.htm".count) }
    if let range = path.range(of: "/", options: .backwards),
      path[range.upperBound...].contains(".")
    {
      path = String(path[..<range.lowerBound])
    }
    while path.hasSuffix("/") { path.removeLast() }
    url.path = path + "/OAuthLanding.htm"
    return url.string
  }

  public static func scope(_ raw: String) -> InputProblem? {
    let value = raw.trimmedSpaces
    let accepted = [
      BusinessCentral.scope, BusinessCentral.resourceAppID + "/.default",
    ]
    if accepted.contains(value) { return nil }
    if !value.hasSuffix("/.default") {
      return InputProblem(
        Reason.inputScopeInvalid,
        "'\(value)' is not a /.default scope. Client credentials take only \(BusinessCentral.scope).")
    }
    return InputProblem(
      Reason.inputScopeInvalid,
      "'\(value)' is for another resource. Business Central needs \(BusinessCentral.scope).")
  }

  /// The on-premises server instance URL, normalised (no trailing slash, no `/ODataV4`):
  /// `https://<server>:<OData port>/<server instance>`.
  public static func serverURL(_ raw: String, allowHTTP: Bool = false) -> Result<String, InputProblem> {
    var value = raw.trimmedSpaces
    while value.hasSuffix("/") { value.removeLast() }
    if value.lowercased().hasSuffix("/odatav4") { value.removeLast("/ODataV4".count) }
    let schemes = allowHTTP ? ["https", "http"] : ["https"]
    guard let url = URLComponents(string: value), schemes.contains(url.scheme?.lowercased() ?? ""),
      let host = url.host, !host.isEmpty
    else {
      if !allowHTTP, value.lowercased().hasPrefix("http://") {
        return .failure(
          InputProblem(
            Reason.inputServerUrlInvalid,
            "'\(value)' is plain http: the token would travel in cleartext. Use the server's https:// address; for a local development container only, add --allow-http-bc-url."
          ))
      }
      return .failure(
        InputProblem(
          Reason.inputServerUrlInvalid,
          "'\(value)' is not an absolute https URL. Use https://<server>:<OData port>/<server instance>, for example https://bc.contoso.com:7048/BC (pass it with --bc-url)."
        ))
    }
    if url.path.split(separator: "/").isEmpty {
      return .failure(
        InputProblem(
          Reason.inputServerUrlInvalid,
          "'\(value)' has no server instance. Add it after the port, for example https://\(host):\(url.port ?? 7048)/BC."
        ))
    }
    return .success(value)
  }

  /// A PEM file with the certificate and its private key; `~/` and relative paths are resolved.
  /// (Whether the key matches the certificate is checked when the credential is loaded.)
  public static func certificateFile(_ raw: String) -> Result<String, InputProblem> {
    var path = raw.trimmedSpaces
    if path.hasPrefix("~/"), let home = ProcessInfo.processInfo.environment["HOME"] {
      path = home + path.dropFirst(1)
    }
    if !path.hasPrefix("/") { path = FileManager.default.currentDirectoryPath + "/" + path }
    guard let data = FileManager.default.contents(atPath: path) else {
      return .failure(
        InputProblem(
          Reason.inputCertificateInvalid, "Cannot read \(path). Check the path and that you may read the file."))
    }
    let text = String(decoding: data, as: UTF8.self)
    if !text.contains("-----BEGIN CERTIFICATE-----") {
      return .failure(
        InputProblem(
          Reason.inputCertificateInvalid,
          "\(path) holds no PEM certificate (-----BEGIN CERTIFICATE-----). Convert a .pfx with openssl pkcs12 -in app.pfx -out app.pem -nodes."
        ))
    }
    if !text.contains("PRIVATE KEY-----") {
      return .failure(
        InputProblem(
          Reason.inputCertificateInvalid,
          "\(path) has the certificate but no private key. Put the certificate and its private key in one PEM file."
        ))
    }
    return .success(path)
  }
}
