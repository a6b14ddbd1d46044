import Foundation

/// What the URLs in a pasted text say: which endpoint was called and how the URL is shaped.
///
/// A support engineer reads the URL before the error: a token URL's tenant segment, a Business
/// Central URL's API version, environment, route and company, an on-premises `host:port/instance`.
/// The shape becomes tags (`url:` conditions of the catalogue's match rules) and the endpoint.
public struct URLFacts: Sendable, Equatable {
  /// token, bc-api, automation, admin, onprem or consent, from the most telling URL.
  public var endpoint: String?
  /// Shape tags, e.g. `tenant-common`, `custom-route`, `company-segment`, `onprem-url`.
  public var tags: Set<String> = []
  /// The tenant segment of a token or consent URL, as written.
  public var tokenTenant: String?
  /// The tenant segment of a Business Central URL, when it has one.
  public var bcTenant: String?
  public var environment: String?
  /// The on-premises server instance (`BC230` in `https://bc:7048/BC230/api/v2.0/…`).
  public var serverInstance: String?

  static let loginHosts = [
    "login.microsoftonline.com", "login.windows.net", "login.microsoftonline.us", "login.partner.microsoftonline.cn",
    "login.chinacloudapi.cn", "login.microsoft.com",
  ]
  static let bcHosts = [
    "api.businesscentral.dynamics.com", "businesscentral.dynamics.com", "api.businesscentral.dynamics.us",
  ]
  static let nonTenants: Set<String> = ["common", "organizations", "consumers"]

  /// Every tag `read` can set (the catalogue loader rejects others).
  public static let knownTags: Set<String> = [
    "token-url", "consent-url", "tenant-common", "tenant-placeholder", "tenant-malformed", "bc-url", "admin-url",
    "no-environment", "environment-segment", "odata", "soap", "standard-route", "api-v1", "api-v2",
    "automation-route", "custom-route", "company-segment", "companies-list", "onprem-url", "tenant-parameter",
    "no-tenant-parameter", "onprem-redirect", "online-redirect", "client-id-malformed",
  ]

  /// Reads at most 40 URLs of the (normalized) text.
  public static func read(_ text: SearchableText) -> URLFacts {
    var facts = URLFacts()
    var endpoints: [(rank: Int, endpoint: String)] = []
    var from = 0
    var count = 0
    let bytes = text.bytes
    while count < 40, let at = text.find(Array("http".utf8), from: from) {
      from = at + 4
      var i = at + 4
      if i < bytes.count, bytes[i] == UInt8(ascii: "s") || bytes[i] == UInt8(ascii: "S") { i += 1 }
      guard i + 3 <= bytes.count, bytes[i] == UInt8(ascii: ":"), bytes[i + 1] == UInt8(ascii: "/"),
        bytes[i + 2] == UInt8(ascii: "/")
      else { continue }
      let start = i + 3
      var end = start
      while end < bytes.count, end - start < 2048, isURLByte(bytes[end]) { end += 1 }
      from = end
      count += 1
      let url = String(decoding: bytes[start..<end], as: UTF8.self)
      if let (rank, endpoint) = facts.absorb(url) { endpoints.append((rank, endpoint)) }
    }
    facts.endpoint = endpoints.max { $0.rank < $1.rank }?.endpoint
    facts.readTenantsNamedInMessages(text)
    facts.readClientIDNamedInMessages(text)
    return facts
  }

  static func isURLByte(_ b: UInt8) -> Bool {
    b > 0x20 && b < 0x7F && b != UInt8(ascii: "\"") && b != UInt8(ascii: "'") && b != UInt8(ascii: "<")
      && b != UInt8(ascii: ">") && b != UInt8(ascii: "`") && b != UInt8(ascii: "\\")
  }

  /// Adds one URL (without its scheme); returns how telling its endpoint is.
  mutating func absorb(_ url: String) -> (Int, String)? {
    let pathStart = url.firstIndex { $0 == "/" || $0 == "?" } ?? url.endIndex
    let authority = url[..<pathStart].lowercased()
    let host = String(authority.split(separator: ":").first ?? "")
    let port = authority.split(separator: ":").dropFirst().first.map(String.init)
    let rest = String(url[pathStart...])
    let pathPart =
      rest.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
    let parts = rest.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
    let query = parts.count == 2 ? String(parts[1]).lowercased() : ""
    let segments = pathPart.split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
    let lower = segments.map { $0.lowercased() }

    if Self.loginHosts.contains(host) {
      guard let first = segments.first else { return nil }
      // Only a sign-in endpoint's first segment is a tenant (not /error?code=…, not /favicon.ico).
      let signIn = lower.contains { ["oauth2", "adminconsent", ".well-known", "authorize", "token"].contains($0) }
      if pathPart.hasPrefix("//") && signIn {
        tags.insert("tenant-placeholder")
      } else if signIn {
        readTenantSegment(first)
      }
      if lower.filter({ $0 == "oauth2" }).count > 1 { tags.insert("tenant-malformed") }
      if lower.contains("adminconsent") || lower.contains("authorize") {
        tags.insert("consent-url")
        return (2, "consent")
      }
      if lower.contains("token") || lower.contains("oauth2") {
        tags.insert("token-url")
        return (1, "token")
      }
      return nil
    }
    if Self.bcHosts.contains(host) {
      tags.insert("bc-url")
      if host == "businesscentral.dynamics.com" && !lower.contains("api") && !lower.contains("odatav4") {
        return nil
      }
      if lower.first == "admin" {
        tags.insert("admin-url")
        return (5, "admin")
      }
      // /v2.0/{tenant?}/{environment}/api/… or /v2.0/{tenant?}/{environment}/ODataV4/…
      var index = 0
      if lower.first.map({ $0.hasPrefix("v1.0") || $0.hasPrefix("v2.0") }) == true { index = 1 }
      let routeAt = lower.firstIndex { $0 == "api" || $0 == "odatav4" || $0 == "ws" }
      if let routeAt {
        let between = Array(segments[index..<routeAt])
        if between.isEmpty {
          tags.insert("no-environment")
        } else {
          tags.insert("environment-segment")
          environment = between.last
          if between.count >= 2 {
            bcTenant = between[0]
            readTenantSegment(between[0], bc: true)
          }
        }
      }
      return (4, classifyRoute(lower, routeAt: routeAt))
    }
    // BC's consent landing page on a host of the customer's: an on-premises web client.
    if lower.last == "oauthlanding.htm" {
      tags.insert(host.hasSuffix("dynamics.com") ? "online-redirect" : "onprem-redirect")
      return nil
    }
    // Anything else that speaks the BC API is a server of the customer's: on-premises (or a container).
    let hasBCRoute =
      lower.contains("odatav4")
      || (lower.contains("api") && lower.contains { $0.hasPrefix("v2.0") || $0.hasPrefix("v1.0") })
      || lower.contains("ws") && lower.contains { $0.hasSuffix("services") }
    let onPremPort = port.map { ["7046", "7047", "7048", "7049", "7085", "7086"].contains($0) } ?? false
    guard hasBCRoute || onPremPort else { return nil }
    if host.hasSuffix("microsoft.com") || host.hasSuffix("azure.com") || host.hasSuffix("dynamics.com") { return nil }
    tags.insert("onprem-url")
    if let routeAt = lower.firstIndex(where: { $0 == "api" || $0 == "odatav4" || $0 == "ws" }), routeAt >= 1 {
      serverInstance = segments[routeAt - 1]
    }
    tags.insert(query.contains("tenant=") ? "tenant-parameter" : "no-tenant-parameter")
    _ = classifyRoute(lower, routeAt: lower.firstIndex { $0 == "api" || $0 == "odatav4" || $0 == "ws" })
    return (6, "onprem")
  }

  /// Tags for the route after `api/` and the endpoint it calls.
  mutating func classifyRoute(_ lower: [String], routeAt: Int?) -> String {
    guard let routeAt else { return "bc-api" }
    let route = Array(lower[(routeAt + 1)...])
    if lower[routeAt] == "odatav4" {
      tags.insert("odata")
    } else if lower[routeAt] == "ws" {
      tags.insert("soap")
    } else if route.first.map({ $0.hasPrefix("v2.0") }) == true {
      tags.insert("standard-route")
      tags.insert("api-v2")
    } else if route.first.map({ $0.hasPrefix("v1.0") || $0.hasPrefix("beta") }) == true {
      tags.insert("standard-route")
      tags.insert("api-v1")
    } else if route.count >= 2, route[0] == "microsoft", route[1] == "automation" {
      tags.insert("automation-route")
      if route.contains(where: { $0.hasPrefix("companies(") }) || route.contains("companies") {
        tags.insert("company-segment")
      }
      return "automation"
    } else if !route.isEmpty {
      tags.insert("custom-route")
    }
    if route.contains(where: { $0.hasPrefix("companies(") || $0.hasPrefix("company(") }) {
      tags.insert("company-segment")
    } else if route.last.map({ $0 == "companies" }) == true {
      tags.insert("companies-list")
    }
    if lower.contains(where: { $0.hasPrefix("company(") }) { tags.insert("company-segment") }
    return "bc-api"
  }

  /// Entra's messages quote the tenant they could not use ("Specified tenant identifier
  /// '{{tenantid}}' is neither …", "Tenant 'contoso' not found"): a placeholder there is the cause.
  mutating func readTenantsNamedInMessages(_ text: SearchableText) {
    // Only Entra's own sentences: an on-premises server's "tenant 'x' is not mounted" is another tenant.
    let entra = text.find(Array("aadsts".utf8)) != nil
    for anchor in ["tenant identifier '", "tenant identifier \"", "tenant '", "tenant \"", "tenant named "]
    where entra || anchor.hasPrefix("tenant identifier") {
      var from = 0
      var tries = 0
      while let at = text.find(Array(anchor.utf8), from: from), tries < 10 {
        tries += 1
        from = at + anchor.utf8.count
        var i = from
        while i < text.bytes.count, i - from < 120,
          ![UInt8(ascii: "'"), UInt8(ascii: "\""), 0x0A, 0x20].contains(text.bytes[i])
        {
          i += 1
        }
        let value = String(decoding: text.bytes[from..<i], as: UTF8.self)
        guard !value.isEmpty else { continue }
        let saved = tokenTenant
        let wasMalformed = tags.contains("tenant-malformed")
        readTenantSegment(value, bc: false)
        // Quoted by Entra, only a placeholder is telling; a short name is Entra's own case.
        if !wasMalformed { tags.remove("tenant-malformed") }
        tokenTenant = saved ?? (UUID(uuidString: value) != nil ? value : nil)
      }
    }
  }

  /// Entra's "Application with identifier 'X' was not found" quotes the client id it was sent:
  /// a placeholder or anything but a GUID there is the input's fault, not a missing app.
  mutating func readClientIDNamedInMessages(_ text: SearchableText) {
    for anchor in ["application with identifier '", "application with identifier \"", "client_id '"] {
      guard let at = text.find(Array(anchor.utf8)) else { continue }
      let from = at + anchor.utf8.count
      var i = from
      while i < text.bytes.count, i - from < 120,
        ![UInt8(ascii: "'"), UInt8(ascii: "\""), 0x0A].contains(text.bytes[i])
      {
        i += 1
      }
      let value = String(decoding: text.bytes[from..<i], as: UTF8.self).trimmingCharacters(in: .whitespaces)
      // What someone masked before posting ("57c9xxxx", "<my client id>", "REDACTED") says
      // nothing; only what a template or script sent unfilled does ("{client-ID}", "$clientId",
      // "%CLIENT_ID%", "null").
      let lower = value.lowercased()
      // Sample configurations ship "Enter_the_Application_Id_here", "your-app-id", "CHANGEME".
      let words = Set(lower.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init))
      let template =
        lower.contains("{") || lower.hasPrefix("$") || (lower.hasPrefix("%") && lower.hasSuffix("%"))
        || ["null", "undefined", "none", "client_id", "clientid", "client-id"].contains(lower)
        || !words.isDisjoint(with: ["enter", "here", "your", "placeholder", "changeme", "todo"])
      if template { tags.insert("client-id-malformed") }
    }
  }

  /// Tags for a tenant segment as written: a GUID, a domain, `common`, a placeholder, a GUID
  /// with something glued on.
  mutating func readTenantSegment(_ raw: String, bc: Bool = false) {
    let segment = raw.trimmingCharacters(in: .whitespaces)
    let lower = segment.lowercased()
    if !bc { tokenTenant = segment }
    if Self.nonTenants.contains(lower) {
      if !bc { tags.insert("tenant-common") }
      return
    }
    if lower.contains("{") || lower.contains("<") || lower.contains("%7b") || lower.contains("$")
      || ["tenant", "tenant_id", "tenantid", "tenant-id", "your-tenant", "yourtenant", "null", "undefined", "none"]
        .contains(lower)
      || lower.hasPrefix("enter_the") || lower == "00000000-0000-0000-0000-000000000000"
    {
      tags.insert("tenant-placeholder")
      return
    }
    if UUID(uuidString: segment) != nil { return }
    // A tenant someone masked before pasting ("xxxxxxx", "***") says nothing.
    if lower.allSatisfy({ "x*.…#-".contains($0) }) { return }
    if segment.count > 36, UUID(uuidString: String(segment.prefix(36))) != nil {
      tags.insert("tenant-malformed")
      return
    }
    if !bc && !lower.contains(".") && lower != "oauth2" { tags.insert("tenant-malformed") }
  }
}
