import Crypto
import Foundation
import Testing
import _CryptoExtras

@testable import S2SDoctorEmulator

@Suite("Entra ID")
struct EntraTests {
  static let scope = "https://api.businesscentral.dynamics.com/.default"

  // MARK: - Helpers

  /// Asserts the 7-key Entra error shape and returns the body.
  @discardableResult
  static func expectEntraError(
    _ fetched: Fetched, status: Int, error: String, code: Int, correlation: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws -> [String: Any] {
    #expect(fetched.status == status, "status", sourceLocation: sourceLocation)
    let body = try #require(fetched.json, "JSON body", sourceLocation: sourceLocation)
    #expect(
      Set(body.keys) == [
        "error", "error_description", "error_codes", "timestamp", "trace_id", "correlation_id", "error_uri",
      ],
      sourceLocation: sourceLocation)
    #expect(body["error"] as? String == error, sourceLocation: sourceLocation)
    #expect(body["error_codes"] as? [Int] == [code], sourceLocation: sourceLocation)
    let timestamp = try #require(body["timestamp"] as? String, sourceLocation: sourceLocation)
    #expect(timestamp.wholeMatch(of: /\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ/) != nil, sourceLocation: sourceLocation)
    let trace = try #require(body["trace_id"] as? String, sourceLocation: sourceLocation)
    let correlationID = try #require(body["correlation_id"] as? String, sourceLocation: sourceLocation)
    #expect(StableID.isGUID(trace) && StableID.isGUID(correlationID), sourceLocation: sourceLocation)
    if let correlation { #expect(correlationID == correlation, sourceLocation: sourceLocation) }
    let description = try #require(body["error_description"] as? String, sourceLocation: sourceLocation)
    #expect(
      description.hasSuffix(
        "\r\nTrace ID: \(trace)\r\nCorrelation ID: \(correlationID)\r\nTimestamp: \(timestamp)"),
      sourceLocation: sourceLocation)
    #expect(description.hasPrefix("AADSTS\(code): "), sourceLocation: sourceLocation)
    #expect((body["error_uri"] as? String)?.hasSuffix("/error?code=\(code)") == true, sourceLocation: sourceLocation)
    #expect(fetched.header("Cache-Control") == "no-store, no-cache", sourceLocation: sourceLocation)
    #expect(fetched.header("Pragma") == "no-cache", sourceLocation: sourceLocation)
    #expect(fetched.header("Expires") == "-1", sourceLocation: sourceLocation)
    #expect(fetched.header("Content-Type") == "application/json; charset=utf-8", sourceLocation: sourceLocation)
    #expect(fetched.header("x-ms-request-id") == trace, sourceLocation: sourceLocation)
    #expect(fetched.header("Date") != nil, sourceLocation: sourceLocation)
    return body
  }

  static func tokenURL(_ tenant: String = World.mainTenantID) async throws -> String {
    try await Shared.info().baseURL + "/\(tenant)/oauth2/v2.0/token"
  }

  static func secretForm(_ name: String) async throws -> [(String, String)] {
    let scenario = try await Shared.scenario(name)
    let args = ScenarioArguments(scenario.args)
    return [
      ("client_id", try #require(args["--client-id"])),
      ("scope", scope),
      ("client_secret", try #require(scenario.env["AZURE_CLIENT_SECRET"])),
      ("grant_type", "client_credentials"),
    ]
  }

  // MARK: - Discovery

  @Test func discoveryByGUIDAndByDomainGiveGUIDEndpoints() async throws {
    let base = try await Shared.info().baseURL
    for tenant in [World.mainTenantID, World.mainTenantDomain, World.mainTenantDomain.uppercased()] {
      let fetched = try await TestHTTP.get("\(base)/\(tenant)/v2.0/.well-known/openid-configuration")
      #expect(fetched.status == 200)
      #expect(fetched.header("Cache-Control") == "max-age=86400, private")
      let document = try #require(fetched.json)
      #expect(document["token_endpoint"] as? String == "\(base)/\(World.mainTenantID)/oauth2/v2.0/token")
      #expect(document["authorization_endpoint"] as? String == "\(base)/\(World.mainTenantID)/oauth2/v2.0/authorize")
      #expect(document["jwks_uri"] as? String == "\(base)/\(World.mainTenantID)/discovery/v2.0/keys")
      #expect(document["issuer"] as? String == "\(base)/\(World.mainTenantID)/v2.0")
      #expect(document["cloud_instance_name"] as? String == "microsoftonline.com")
      #expect(document["tenant_region_scope"] as? String == "WW")
      #expect(
        document["token_endpoint_auth_methods_supported"] as? [String]
          == ["client_secret_post", "private_key_jwt", "client_secret_basic"])
      #expect(document.count == 23)
    }
  }

  @Test func discoveryOfUnknownTenantIs400InvalidTenant() async throws {
    let base = try await Shared.info().baseURL
    let unknown = try await TestHTTP.get("\(base)/\(World.unknownTenantID)/v2.0/.well-known/openid-configuration")
    let body = try Self.expectEntraError(unknown, status: 400, error: "invalid_tenant", code: 90002)
    #expect((body["error_description"] as? String)?.contains("Tenant '\(World.unknownTenantID)' not found") == true)
    let malformed = try await TestHTTP.get("\(base)/not%20a%20tenant/v2.0/.well-known/openid-configuration")
    try Self.expectEntraError(malformed, status: 400, error: "invalid_tenant", code: 900023)
  }

  @Test func otherCloudTenantSaysSo() async throws {
    let base = try await Shared.info().baseURL
    let fetched = try await TestHTTP.get("\(base)/\(World.govTenantID)/v2.0/.well-known/openid-configuration")
    #expect(fetched.status == 200)
    #expect(fetched.json?["cloud_instance_name"] as? String == "microsoftonline.us")
    #expect(fetched.json?["tenant_region_scope"] as? String == "USGov")
  }

  @Test func jwksPublishesTheSigningKey() async throws {
    let base = try await Shared.info().baseURL
    for path in ["\(World.mainTenantID)/discovery/v2.0/keys", "common/discovery/keys"] {
      let fetched = try await TestHTTP.get("\(base)/\(path)")
      #expect(fetched.status == 200)
      let keys = try #require(fetched.json?["keys"] as? [[String: Any]])
      #expect(keys.count == 1)
      let key = keys[0]
      for member in ["kty", "use", "kid", "x5t", "n", "e", "x5c", "issuer"] {
        #expect(key[member] != nil, "\(member)")
      }
      #expect(key["kty"] as? String == "RSA")
      #expect(key["kid"] as? String == key["x5t"] as? String)
      let der = try #require((key["x5c"] as? [String])?.first.flatMap { Data(base64Encoded: $0) })
      #expect(Base64URL.encode(Insecure.SHA1.hash(data: der)) == key["x5t"] as? String)
    }
  }

  @Test func instanceDiscoveryKnowsOnlyTheEmulatorHost() async throws {
    let base = try await Shared.info().baseURL
    let own = "https://127.0.0.1/\(World.mainTenantID)/oauth2/v2.0/authorize"
    let ok = try await TestHTTP.get(
      "\(base)/common/discovery/instance?api-version=1.1&authorization_endpoint=\(own.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? own)"
    )
    #expect(ok.status == 200)
    #expect(
      ok.json?["tenant_discovery_endpoint"] as? String
        == "\(base)/\(World.mainTenantID)/v2.0/.well-known/openid-configuration")
    let other = try await TestHTTP.get(
      "\(base)/common/discovery/instance?api-version=1.1&authorization_endpoint=https%3A%2F%2Fexample.com%2Fcommon%2Foauth2%2Fv2.0%2Fauthorize"
    )
    try Self.expectEntraError(other, status: 400, error: "invalid_instance", code: 50049)
  }

  // MARK: - Token success

  @Test func tokenForOkCarriesBCClaimsAndAVerifiableSignature() async throws {
    let base = try await Shared.info().baseURL
    let form = try await Self.secretForm("ok")
    let before = Int(Date().timeIntervalSince1970)
    let fetched = try await TestHTTP.postForm(try await Self.tokenURL(), form + [("client_info", "1")])
    #expect(fetched.status == 200)
    #expect(fetched.header("Cache-Control") == "no-store, no-cache")
    #expect(fetched.header("Content-Type") == "application/json; charset=utf-8")
    #expect(fetched.text.hasPrefix(#"{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":""#))
    let body = try #require(fetched.json)
    #expect(Set(body.keys) == ["token_type", "expires_in", "ext_expires_in", "access_token"])
    let token = try #require(body["access_token"] as? String)
    let jwt = try #require(JWT.decode(token))

    let keys = try await TestHTTP.get("\(base)/\(World.mainTenantID)/discovery/v2.0/keys")
    let key = try #require((keys.json?["keys"] as? [[String: Any]])?.first)
    #expect(jwt.header["alg"] as? String == "RS256")
    #expect(jwt.header["typ"] as? String == "JWT")
    #expect(jwt.header["kid"] as? String == key["kid"] as? String)
    #expect(jwt.header["x5t"] as? String == key["kid"] as? String)

    let clientID = form[0].1
    let claims = jwt.claims
    #expect(claims["aud"] as? String == "https://api.businesscentral.dynamics.com")
    #expect(claims["iss"] as? String == "https://sts.windows.net/\(World.mainTenantID)/")
    #expect(claims["idp"] as? String == "https://sts.windows.net/\(World.mainTenantID)/")
    #expect(claims["tid"] as? String == World.mainTenantID)
    #expect(claims["appid"] as? String == clientID)
    #expect(claims["appidacr"] as? String == "1")
    #expect(claims["idtyp"] as? String == "app")
    #expect(claims["ver"] as? String == "1.0")
    #expect(claims["roles"] as? [String] == ["Automation.ReadWrite.All", "app_access", "API.ReadWrite.All"])
    #expect(claims["scp"] == nil)
    let oid = try #require(claims["oid"] as? String)
    #expect(StableID.isGUID(oid) && claims["sub"] as? String == oid && oid != clientID)
    let iat = try #require(claims["iat"] as? Int)
    let nbf = try #require(claims["nbf"] as? Int)
    let exp = try #require(claims["exp"] as? Int)
    #expect(iat == nbf && abs(iat - (before - 300)) <= 30)
    #expect(abs(exp - (before + 3599)) <= 30)
    for opaque in ["aio", "rh", "uti", "app_displayname"] { #expect(claims[opaque] is String, "\(opaque)") }

    // Verify RS256 with the JWKS modulus and exponent.
    let n = try #require(Base64URL.decode(key["n"] as? String ?? ""))
    let e = try #require(Base64URL.decode(key["e"] as? String ?? ""))
    let publicKey = try _RSA.Signing.PublicKey(n: n, e: e)
    let parts = token.split(separator: ".")
    let input = Data((parts[0] + "." + parts[1]).utf8)
    #expect(
      publicKey.isValidSignature(
        _RSA.Signing.RSASignature(rawRepresentation: jwt.signature), for: SHA256.hash(data: input),
        padding: .insecurePKCS1v1_5))
    var tampered = jwt.signature
    tampered[tampered.count - 1] ^= 1
    #expect(
      !publicKey.isValidSignature(
        _RSA.Signing.RSASignature(rawRepresentation: tampered), for: SHA256.hash(data: input),
        padding: .insecurePKCS1v1_5))
  }

  @Test func secretMayComeAsHTTPBasic() async throws {
    let form = try await Self.secretForm("ok")
    let user = TestHTTP.formEncode([("x", form[0].1)]).dropFirst(2)
    let password = TestHTTP.formEncode([("x", form[2].1)]).dropFirst(2)
    let basic = Data("\(user):\(password)".utf8).base64EncodedString()
    let fetched = try await TestHTTP.postForm(
      try await Self.tokenURL(), [("grant_type", "client_credentials"), ("scope", Self.scope)],
      headers: [("Authorization", "Basic \(basic)")])
    #expect(fetched.status == 200)
  }

  @Test func domainAliasTokenEndpointWorks() async throws {
    let form = try await Self.secretForm("ok-domain")
    let fetched = try await TestHTTP.postForm(try await Self.tokenURL(World.mainTenantDomain), form)
    #expect(fetched.status == 200)
    let claims = try #require(JWT.decode(fetched.json?["access_token"] as? String ?? "")?.claims)
    #expect(claims["tid"] as? String == World.mainTenantID)
  }

  @Test func certificateAssertionIsVerified() async throws {
    let ok = try await Shared.scenario("ok-certificate")
    let args = ScenarioArguments(ok.args)
    let clientID = try #require(args["--client-id"])
    let url = try await Self.tokenURL()
    func form(_ pem: String, _ audience: String = url) throws -> [(String, String)] {
      [
        ("grant_type", "client_credentials"), ("client_id", clientID), ("scope", Self.scope),
        ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
        ("client_assertion", try JWT.clientAssertion(pemFile: pem, clientID: clientID, audience: audience)),
      ]
    }
    let good = try await TestHTTP.postForm(url, try form(try #require(args["--certificate"])))
    #expect(good.status == 200)
    let claims = try #require(JWT.decode(good.json?["access_token"] as? String ?? "")?.claims)
    #expect(claims["appidacr"] as? String == "2")

    let rogue = ScenarioArguments(try await Shared.scenario("entra.certificate-rejected").args)
    let rejected = try await TestHTTP.postForm(url, try form(try #require(rogue["--certificate"])))
    try Self.expectEntraError(rejected, status: 401, error: "invalid_client", code: 700027)

    let wrongAudience = try await TestHTTP.postForm(
      url, try form(try #require(args["--certificate"]), "https://login.microsoftonline.com/x/oauth2/v2.0/token"))
    #expect(wrongAudience.status == 401)

    let secretInstead = try await TestHTTP.postForm(
      url,
      [
        ("grant_type", "client_credentials"), ("client_id", clientID), ("scope", Self.scope),
        ("client_secret", "x+y/z%~="),
      ])
    try Self.expectEntraError(secretInstead, status: 401, error: "invalid_client", code: 7000215)
  }

  // MARK: - Errors

  static let errorScenarios: [(String, Int, String, Int)] = [
    ("entra.tenant-not-found", 400, "invalid_request", 90002),
    ("entra.tenant-in-other-cloud", 400, "invalid_request", 900432),
    ("entra.app-not-found", 400, "unauthorized_client", 700016),
    ("entra.secret-invalid", 401, "invalid_client", 7000215),
    ("entra.secret-expired", 401, "invalid_client", 7000222),
    ("entra.credential-missing", 401, "invalid_client", 7000216),
    ("entra.tenant-not-specified", 400, "invalid_request", 50059),
    ("entra.scope-invalid", 400, "invalid_scope", 1002012),
    ("entra.resource-not-found", 400, "invalid_resource", 500011),
    ("entra.app-disabled", 400, "unauthorized_client", 7000112),
    ("entra.conditional-access", 400, "invalid_grant", 53003),
    ("entra.throttled", 429, "temporarily_unavailable", 90055),
    ("entra.unavailable", 503, "temporarily_unavailable", 90033),
    ("entra.unknown-error", 400, "invalid_request", 50169),
  ]

  @Test(arguments: errorScenarios)
  func entraErrorScenario(_ name: String, _ status: Int, _ error: String, _ code: Int) async throws {
    let scenario = try await Shared.scenario(name)
    let args = ScenarioArguments(scenario.args)
    let base = try #require(args["--authority-host"])
    let correlation = UUID().uuidString.lowercased()
    let fetched = try await TestHTTP.postForm(
      "\(base)/\(try #require(args["--tenant"]))/oauth2/v2.0/token", try await Self.secretForm(name),
      headers: [("client-request-id", correlation)])
    try Self.expectEntraError(fetched, status: status, error: error, code: code, correlation: correlation)
    if status == 429 || status == 503 { #expect(fetched.header("Retry-After") == "1") }
  }

  @Test func requestMistakesGetTheirOwnCodes() async throws {
    let url = try await Self.tokenURL()
    let form = try await Self.secretForm("ok")
    func without(_ name: String) -> [(String, String)] { form.filter { $0.0 != name } }
    func replacing(_ name: String, _ value: String) -> [(String, String)] {
      form.map { $0.0 == name ? (name, value) : $0 }
    }
    try Self.expectEntraError(
      try await TestHTTP.postForm(url, replacing("grant_type", "password")), status: 400,
      error: "unsupported_grant_type", code: 70003)
    try Self.expectEntraError(
      try await TestHTTP.postForm(url, without("scope")), status: 400, error: "invalid_request", code: 900144)
    try Self.expectEntraError(
      try await TestHTTP.postForm(url, without("client_id")), status: 400, error: "invalid_request", code: 900144)
    try Self.expectEntraError(
      try await TestHTTP.postForm(url, without("scope") + [("resource", "https://api.businesscentral.dynamics.com")]),
      status: 400, error: "invalid_request", code: 901002)
    try Self.expectEntraError(
      try await TestHTTP.postForm(url, replacing("scope", "https://api.businesscentral.dynamics.com")),
      status: 400, error: "invalid_scope", code: 1002012)
    try Self.expectEntraError(
      try await TestHTTP.postForm(url, replacing("scope", "https://api.contoso.example/.default")),
      status: 400, error: "invalid_resource", code: 500011)
    try Self.expectEntraError(
      try await TestHTTP.postForm(url, without("client_secret")), status: 401, error: "invalid_client", code: 7000216)
    try Self.expectEntraError(
      try await TestHTTP.postForm(url, replacing("client_secret", "")), status: 401, error: "invalid_client",
      code: 7000216)
    let base = try await Shared.info().baseURL
    try Self.expectEntraError(
      try await TestHTTP.postForm("\(base)/common/oauth2/v2.0/token", form), status: 400,
      error: "invalid_request", code: 9001023)
    let get = try await TestHTTP.get(url)
    try Self.expectEntraError(get, status: 400, error: "invalid_request", code: 900561)
  }

  @Test func gettingTheSecretWrongByFormEncodingFails() async throws {
    // A client that does not encode '+' sends a space: the secret no longer matches.
    let form = try await Self.secretForm("ok")
    let raw = form.map {
      "\($0.0)=\($0.0 == "client_secret" ? $0.1 : TestHTTP.formEncode([("x", $0.1)]).dropFirst(2).description)"
    }
    .joined(separator: "&")
    let fetched = try await TestHTTP.send(
      "POST", try await Self.tokenURL(), headers: [("Content-Type", "application/x-www-form-urlencoded")],
      body: raw, client: nil, limit: 1 << 20, timeout: 10)
    try Self.expectEntraError(fetched, status: 401, error: "invalid_client", code: 7000215)
  }
}
