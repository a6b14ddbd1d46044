import Foundation

/// The claims of an access token that matter for a Business Central S2S diagnosis.
///
/// The tool decodes tokens to explain them; it never trusts them (it verifies no signature).
public struct TokenClaims: Sendable, Equatable, Codable {
  public var header: [String: JSONValue]
  public var claims: [String: JSONValue]

  public var algorithm: String? { header["alg"]?.string }
  public var audiences: [String] { claims["aud"]?.strings ?? [] }
  public var issuer: String? { claims["iss"]?.string }
  public var tenantID: String? { claims["tid"]?.string }
  public var appID: String? { claims["appid"]?.string ?? claims["azp"]?.string }
  public var roles: [String]? { claims["roles"].map(\.strings) }
  public var scopes: String? { claims["scp"]?.string }
  public var identityType: String? { claims["idtyp"]?.string }
  public var objectID: String? { claims["oid"]?.string }
  public var version: String? { claims["ver"]?.string }
  public var issuedAt: Date? { claims["iat"]?.int.map { Date(timeIntervalSince1970: Double($0)) } }
  public var notBefore: Date? { claims["nbf"]?.int.map { Date(timeIntervalSince1970: Double($0)) } }
  public var expires: Date? { claims["exp"]?.int.map { Date(timeIntervalSince1970: Double($0)) } }

  /// The claims worth showing in a report: never the token itself.
  public var displayEvidence: [EvidenceItem] {
    var items: [EvidenceItem] = []
    func add(_ key: String, _ value: String?) { if let value { items.append(.init(key, value)) } }
    add("token.aud", audiences.isEmpty ? nil : audiences.joined(separator: ", "))
    add("token.iss", issuer)
    add("token.tid", tenantID)
    add("token.appid", appID)
    add(CheckID.tokenRoles, roles.map { $0.isEmpty ? "(empty)" : $0.joined(separator: ", ") } ?? "(none)")
    add("token.idtyp", identityType)
    add("token.scp", scopes)
    add("token.ver", version)
    add("token.exp", expires.map(ISO8601DateFormatter().string(from:)))
    return items
  }

  public init(header: [String: JSONValue], claims: [String: JSONValue]) {
    self.header = header
    self.claims = claims
  }

  /// Decodes `header.payload.signature`. Returns `nil` for anything that is not a JWT.
  public static func decode(_ token: String) -> TokenClaims? {
    let parts = token.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 3 || parts.count == 2 else { return nil }
    guard let headerData = base64URLDecode(String(parts[0])),
      let payloadData = base64URLDecode(String(parts[1])),
      case .object(let header)? = JSONValue.parse(headerData),
      case .object(let claims)? = JSONValue.parse(payloadData)
    else { return nil }
    return TokenClaims(header: header, claims: claims)
  }

  public static func base64URLDecode(_ text: String) -> Data? {
    var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    while s.count % 4 != 0 { s += "=" }
    return Data(base64Encoded: s)
  }

  public static func base64URLEncode(_ data: Data) -> String {
    data.base64EncodedString().replacingOccurrences(of: "+", with: "-")
      .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
  }
}

/// Facts about Business Central as an Entra resource.
public enum BusinessCentral {
  public static let resource = "https://api.businesscentral.dynamics.com"
  public static let resourceAppID = "996def3d-b36c-4153-8607-a6fd3c01b89f"
  public static let scope = "https://api.businesscentral.dynamics.com/.default"
  public static let apiHost = "https://api.businesscentral.dynamics.com"
  public static let apiRole = "API.ReadWrite.All"
  public static let automationRole = "Automation.ReadWrite.All"
  public static let adminRole = "AdminCenter.ReadWrite.All"
  public static let onlineRedirectURI = "https://businesscentral.dynamics.com/OAuthLanding.htm"
  /// The `aud` values Business Central accepts (v1 tokens carry one of these).
  public static let audiences: Set<String> = [resource, resource + "/", resourceAppID]

  /// Named Entra clouds and their authority hosts.
  public static let clouds: [String: String] = [
    "public": "https://login.microsoftonline.com",
    "usgov": "https://login.microsoftonline.us",
    "china": "https://login.partner.microsoftonline.cn",
  ]
}
