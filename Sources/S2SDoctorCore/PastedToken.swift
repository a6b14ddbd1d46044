import Foundation

/// A token found in pasted text — a raw JWT, an `Authorization: Bearer …` header, or the decoded
/// claims as jwt.ms and jwt.io show them — read without verifying its signature.
///
/// Only claims leave this type; the token and its signature are never kept.
public struct PastedToken: Sendable, Equatable {
  public var claims: TokenClaims

  /// The claims shown in `explain` output (never the token).
  public struct Shown: Sendable, Equatable, Encodable {
    public var aud: [String]
    public var roles: [String]?
    public var scp: String?
    public var idtyp: String?
    public var tid: String?
    public var appid: String?
    public var iss: String?
    public var ver: String?
    public var exp: String?
    public var nbf: String?
    /// The claims that decided the diagnosis.
    public var decided: [String]
  }

  /// One claim-based finding: the reason it points to and the sentence that says why.
  public struct Finding: Sendable, Equatable {
    public var reason: String
    public var score: Int
    public var because: String
    public var claims: [String]
  }

  /// The first token or decoded claims object in the text.
  public static func find(in raw: String) -> PastedToken? {
    let bytes = Array(raw.utf8)
    if let jwt = firstJWT(bytes), let claims = TokenClaims.decode(jwt) {
      return PastedToken(claims: claims)
    }
    if let object = claimsObject(bytes) {
      return PastedToken(claims: TokenClaims(header: [:], claims: object))
    }
    return nil
  }

  /// `eyJ…​.eyJ…​.sig` anywhere (also after `Bearer `, inside JSON or a header dump).
  static func firstJWT(_ bytes: [UInt8]) -> String? {
    var from = 0
    let start = Array("eyJ".utf8)
    var tries = 0
    while let at = ByteSearch.firstIndex(of: start, in: bytes, from: from), tries < 100 {
      tries += 1
      var i = at
      var dots = 0
      while i < bytes.count, isTokenByte(bytes[i]) || (bytes[i] == UInt8(ascii: ".") && dots < 2) {
        if bytes[i] == UInt8(ascii: ".") { dots += 1 }
        i += 1
      }
      if dots >= 1, i - at >= 40 {
        let candidate = String(decoding: bytes[at..<i], as: UTF8.self)
        let parts = candidate.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count >= 2, parts[1].hasPrefix("eyJ") { return candidate }
      }
      from = at + 3
    }
    return nil
  }

  static func isTokenByte(_ b: UInt8) -> Bool {
    (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == UInt8(ascii: "-")
      || b == UInt8(ascii: "_")
  }

  /// A JSON object with an `aud` claim and at least one other token claim, as a decoder shows it.
  static func claimsObject(_ bytes: [UInt8]) -> [String: JSONValue]? {
    guard let aud = ByteSearch.firstIndex(of: Array("\"aud\"".utf8), in: bytes) else { return nil }
    // Walk back to the "{" that opens the object holding "aud" (at most 8 KB back).
    var depth = 0
    var open: Int?
    var i = aud
    while i > 0, aud - i < 8192 {
      i -= 1
      if bytes[i] == UInt8(ascii: "}") { depth += 1 }
      if bytes[i] == UInt8(ascii: "{") {
        if depth == 0 {
          open = i
          break
        }
        depth -= 1
      }
    }
    guard let open else { return nil }
    // Forward to its matching "}", minding strings.
    var j = open
    depth = 0
    var inString = false
    while j < bytes.count, j - open < 65_536 {
      let b = bytes[j]
      if inString {
        if b == UInt8(ascii: "\\") {
          j += 2
          continue
        }
        if b == UInt8(ascii: "\"") { inString = false }
      } else if b == UInt8(ascii: "\"") {
        inString = true
      } else if b == UInt8(ascii: "{") {
        depth += 1
      } else if b == UInt8(ascii: "}") {
        depth -= 1
        if depth == 0 { break }
      }
      j += 1
    }
    guard j < bytes.count, case .object(let object)? = JSONValue.parse(Data(bytes[open...j])) else { return nil }
    let tokenClaims = ["iss", "tid", "appid", "azp", "roles", "scp", "exp", "idtyp", "oid", "ver", "iat"]
    guard tokenClaims.contains(where: { object[$0] != nil }) else { return nil }
    return object
  }

  /// What the claims say about a Business Central S2S call. `tenantNamed` is a tenant GUID named
  /// elsewhere in the text (a token or BC URL); `reference` is the time of the error when the text
  /// gives one, else now.
  public func findings(endpoint: String?, tenantNamed: String?, reference: Date?, now: Date) -> [Finding] {
    var out: [Finding] = []
    let aud = claims.audiences
    let roles = claims.roles ?? []
    let appOnly = claims.identityType.map { $0 == "app" } ?? (claims.scopes == nil)
    if !aud.isEmpty, !aud.contains(where: { BusinessCentral.audiences.contains($0.lowercased()) }) {
      out.append(
        .init(
          reason: Reason.tokenAudienceNotBc, score: 160,
          because: "aud is \(aud.joined(separator: ", ")), not https://api.businesscentral.dynamics.com",
          claims: ["aud"]))
    }
    if claims.scopes != nil || claims.identityType == "user" {
      out.append(
        .init(
          reason: Reason.tokenNotAppOnly, score: 150,
          because: claims.scopes != nil
            ? "the token has scp (\(claims.scopes ?? "")): it is a delegated user token" : "idtyp is user",
          claims: claims.scopes != nil ? ["scp", "idtyp"] : ["idtyp"]))
    }
    if appOnly {
      if roles.isEmpty {
        out.append(
          .init(
            reason: Reason.tokenRolesMissing, score: 140,
            because: "the token has no roles claim: no Business Central application permission is consented",
            claims: ["roles"]))
      } else if endpoint == "automation", !roles.contains(BusinessCentral.automationRole) {
        out.append(
          .init(
            reason: Reason.tokenAutomationRoleMissing, score: 135,
            because: "roles is \(roles.joined(separator: ", ")) without Automation.ReadWrite.All", claims: ["roles"]))
      } else if !roles.contains(BusinessCentral.apiRole), endpoint != "automation", endpoint != "admin" {
        out.append(
          .init(
            reason: Reason.tokenApiRoleMissing, score: 135,
            because: "roles is \(roles.joined(separator: ", ")) without API.ReadWrite.All", claims: ["roles"]))
      }
    }
    if let tid = claims.tenantID?.lowercased(), let named = tenantNamed?.lowercased(), tid != named {
      out.append(
        .init(
          reason: Reason.tokenTenantMismatch, score: 130,
          because: "tid is \(tid) but the request names tenant \(named)", claims: ["tid"]))
    }
    if let version = claims.version, let issuer = claims.issuer {
      let v2Issuer = issuer.hasSuffix("/v2.0") || issuer.hasSuffix("/v2.0/")
      if (version == "1.0" && v2Issuer) || (version == "2.0" && issuer.contains("sts.windows.net")) {
        out.append(
          .init(
            reason: Reason.tokenIssuerMismatch, score: 110,
            because: "ver is \(version) but iss is \(issuer)", claims: ["iss", "ver"]))
      }
    }
    let at = reference ?? now
    if let exp = claims.expires, exp < at {
      // Against the error's own time this decides; against today's clock an old paste always
      // looks expired, so it is only a candidate.
      out.append(
        .init(
          reason: Reason.tokenExpired, score: reference != nil ? 125 : 45,
          because: "exp \(Self.format(exp)) is before \(reference != nil ? "the time of the error" : "now")",
          claims: ["exp"]))
    } else if let nbf = claims.notBefore, nbf > at.addingTimeInterval(300) {
      out.append(
        .init(
          reason: Reason.tokenExpired, score: reference != nil ? 120 : 45,
          because: "nbf \(Self.format(nbf)) is after \(reference != nil ? "the time of the error" : "now")",
          claims: ["nbf"]))
    }
    return out
  }

  /// Token-level reasons these claims rule out (the claim that would show them is right).
  public func ruledOut(endpoint: String?) -> Set<String> {
    // A token was there to read, so one was sent.
    var out: Set<String> = [Reason.tokenNotSent]
    let aud = claims.audiences
    if aud.contains(where: { BusinessCentral.audiences.contains($0.lowercased()) }) {
      out.insert(Reason.tokenAudienceNotBc)
    }
    let appOnly = claims.scopes == nil && (claims.identityType.map { $0 == "app" } ?? true)
    if appOnly { out.insert(Reason.tokenNotAppOnly) }
    let roles = claims.roles ?? []
    if !roles.isEmpty { out.insert(Reason.tokenRolesMissing) }
    if roles.contains(BusinessCentral.apiRole) { out.insert(Reason.tokenApiRoleMissing) }
    if roles.contains(BusinessCentral.automationRole) { out.insert(Reason.tokenAutomationRoleMissing) }
    return out
  }

  /// Whether the claims are what Business Central needs (audience, app-only, the role).
  public func isGoodForBC(endpoint: String?) -> Bool {
    let right = ruledOut(endpoint: endpoint)
    let role = endpoint == "automation" ? Reason.tokenAutomationRoleMissing : Reason.tokenApiRoleMissing
    return right.isSuperset(of: [Reason.tokenAudienceNotBc, Reason.tokenNotAppOnly, role])
  }

  public func shown(decided: [String]) -> Shown {
    Shown(
      aud: claims.audiences, roles: claims.roles, scp: claims.scopes, idtyp: claims.identityType,
      tid: claims.tenantID, appid: claims.appID, iss: claims.issuer, ver: claims.version,
      exp: claims.expires.map(Self.format), nbf: claims.notBefore.map(Self.format), decided: decided)
  }

  static func format(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    return formatter.string(from: date)
  }
}
