import Foundation
import S2SDoctorCore
import Testing

@testable import S2SDoctorReports

/// No secret and no token reaches any report format, in any encoding.
@Suite struct RedactionTests {
  /// Entra secrets use letters, digits and `~._-`; `+/=&` make the encoded forms differ.
  static let canarySecret = "Kq8~CANARY.secret_Value-0123456789+abc/def=&x"
  /// JWT-shaped (base64url JSON header, payload, signature).
  static let canaryToken =
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsImtpZCI6ImNhbmFyeSJ9.eyJjYW5hcnkiOiJ0b2tlbi0xMjM0NTY3ODkwIiwiYXVkIjoiaHR0cHM6Ly9hcGkuYnVzaW5lc3NjZW50cmFsLmR5bmFtaWNzLmNvbSJ9.Q0FOQVJZLXNpZ25hdHVyZS0wMTIzNDU2Nzg5YWJjZGVm"
  /// An opaque (non-JWT) access token that only the Bearer pattern can catch.
  static let opaqueToken = "CANARYopaque0123456789abcdefOPAQUE"
  static let assertion = "CANARYassertion.0123456789abcdef.signature"

  static var forbidden: [String] {
    let secret = canarySecret
    let b64 = Data(secret.utf8).base64EncodedString()
    let b64url = b64.replacingOccurrences(of: "+", with: "-").replacingOccurrences(
      of: "/", with: "_"
    )
    .replacingOccurrences(of: "=", with: "")
    let segments = canaryToken.split(separator: ".").map(String.init)
    return [
      secret, b64, b64url, Redactor.formEncode(secret),
      secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!,
      secret.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!,
      secret.replacingOccurrences(of: "&", with: "&amp;"),
      "CANARY.secret",  // any recognisable piece of the secret
      canaryToken, segments[1], segments[2],
      Data(canaryToken.utf8).base64EncodedString(),
      canaryToken.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!,
      opaqueToken, assertion,
    ]
  }

  /// A run with the canaries in every kind of field.
  static func leakyReport() -> RunReport {
    Redactor.shared.register(canarySecret)
    let secret = canarySecret
    let b64 = Data(secret.utf8).base64EncodedString()
    var report = Fixtures.everyStatus
    report.target.company = "Company \(secret)"
    report.target.credential = "client secret \(secret)"
    var failed = report.results[12]
    failed.detail =
      "Token request with client_secret=\(Redactor.formEncode(secret)) returned \(canaryToken)"
    failed.summary = "Summary with \(secret)"
    failed.why = "Why: Authorization: Bearer \(opaqueToken)"
    failed.fix = "Fix with token \(canaryToken) and secret \(b64)"
    failed.steps = [
      "Step with \(secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"
    ]
    failed.evidence = [
      "authorization": "Bearer \(canaryToken)",
      "request":
        "POST /token\nclient_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=\(assertion)&client_id=\(Fixtures.clientID)",
      "header": "Authorization: Bearer \(opaqueToken)",
      "json": #"{"access_token": "\#(opaqueToken)", "token_type": "Bearer"}"#,
      "secret-\(secret)": "base64 \(b64)",
      "body": "client_secret=\(secret)&grant_type=client_credentials",
    ]
    report.results[12] = failed
    var passed = report.results[6]
    passed.detail = "Got token \(canaryToken)"
    passed.evidence["access_token"] = canaryToken
    report.results[6] = passed
    return report
  }

  static let everything = """
    {{toolName}} {{tenant}} {{company}} {{credential}} {{targetLine}}
    {{#targetRows}}{{{value}}}{{/targetRows}}
    {{#results}}{{{title}}} {{{reason}}} {{{summary}}} {{{detail}}} {{{why}}} {{{fix}}} {{#steps}}{{{text}}}{{/steps}}
    {{#docs}}{{{url}}}{{/docs}}{{#evidence}}{{{key}}}={{{value}}}{{/evidence}}{{/results}}
    """

  @Test(arguments: ReportFormat.allCases)
  func canariesAppearInNoFormat(format: ReportFormat) throws {
    for redactIDs in [false, true] {
      let text = try ReportRenderer.render(
        Self.leakyReport(), format: format, redactIDs: redactIDs, verbose: true)
      for needle in Self.forbidden {
        #expect(!text.contains(needle), "\(format) (redactIDs \(redactIDs)) contains «\(needle)»")
      }
      #expect(text.contains("REDACTED") || text.contains("token …"))
    }
  }

  @Test func canariesAppearNotInAUserTemplateEvenUnescaped() throws {
    let text = try ReportRenderer.render(
      Self.leakyReport(), template: Self.everything, redactIDs: false)
    for needle in Self.forbidden {
      #expect(!text.contains(needle), "template output contains «\(needle)»")
    }
    #expect(text.contains("s2s-doctor"))
  }

  @Test func theContextItselfHoldsNoCanary() throws {
    let json = try ReportRenderer.contextJSON(Self.leakyReport(), redactIDs: false)
    for needle in Self.forbidden { #expect(!json.contains(needle), "context contains «\(needle)»") }
  }

  // MARK: credential patterns

  @Test(arguments: [
    ("Authorization: Bearer abc123def456ghi789jkl", "Authorization: Bearer [REDACTED]"),
    (#""Authorization": "Bearer abc123def456ghi789jkl""#, #""Authorization": "Bearer [REDACTED]""#),
    ("authorization=Basic YWxhZGRpbjpvcGVuc2VzYW1l", "authorization=Basic [REDACTED]"),
    ("Authorization: 0123456789abcdef0123", "Authorization: [REDACTED]"),
    ("sent Bearer 0123456789abcdefghij to BC", "sent Bearer [REDACTED] to BC"),
    ("Basic YWxhZGRpbjpvcGVuc2VzYW1l", "Basic [REDACTED]"),
    (
      "client_assertion_type=urn%3Aietf&client_assertion=abc.def.ghi&client_id=42",
      "client_assertion_type=urn%3Aietf&client_assertion=[REDACTED]&client_id=42"
    ),
    ("client_secret=s3cr3t~value&scope=x", "client_secret=[REDACTED]&scope=x"),
    (#"{"client_secret": "s3cr3t~value", "a": 1}"#, #"{"client_secret": "[REDACTED]", "a": 1}"#),
    (
      #"{"access_token":"opaque-123","expires_in":3599}"#,
      #"{"access_token":"[REDACTED]","expires_in":3599}"#
    ),
    ("password: hunter22", "password: [REDACTED]"),
  ])
  func masksCredentialPatterns(input: String, expected: String) {
    #expect(ReportSanitizer.maskCredentials(in: input) == expected)
  }

  @Test(arguments: [
    #"WWW-Authenticate: Bearer authorization_uri="https://login.microsoftonline.com/x/oauth2/authorize", error="invalid_token""#,
    #"Bearer realm="", error="invalid_token", error_description="The token expired""#,
    "Bearer authorization_uri=https://login.microsoftonline.com/common/oauth2/authorize",
    "The Bearer token was rejected.",
    "Send the token as a Bearer token in the Authorization header.",
    "Authorization failed: the app has no permission.",
    "Basic authentication is disabled for web services.",
    "curl --data-urlencode \"client_secret=$SECRET\"",
    "client_secret=<paste the secret value here>",
    "&client_secret={{clientSecret}}",
    "token_type: Bearer",
    "The client_secret parameter is missing.",
    "Use a client secret or a client_assertion with a certificate.",
  ])
  func leavesOrdinaryTextAlone(text: String) {
    #expect(ReportSanitizer.maskCredentials(in: text) == text)
  }

  // MARK: ids

  @Test(arguments: ReportFormat.allCases)
  func redactIDsShortensTenantAndClientEverywhere(format: ReportFormat) throws {
    var report = Fixtures.everyStatus
    report.results[0].detail = "Tenant \(Fixtures.tenant.uppercased()) is a GUID."
    let text = try ReportRenderer.render(report, format: format, redactIDs: true, verbose: true)
    for id in [Fixtures.tenant, Fixtures.clientID] {
      #expect(!text.lowercased().contains(id), "\(format) still shows \(id)")
    }
    #expect(text.contains("…db47"))
    #expect(text.contains("…a5b6"))
  }

  @Test func idsStayByDefault() throws {
    for format in ReportFormat.allCases {
      let text = try ReportRenderer.render(Fixtures.everyStatus, format: format)
      #expect(text.contains(Fixtures.tenant), "\(format) should show the tenant id")
    }
  }

  @Test func shortDomainsAreShortenedToo() {
    let target = TargetInfo(
      tenant: "contoso.onmicrosoft.com", clientId: Fixtures.clientID, environment: nil,
      company: nil,
      deployment: "online", authorityHost: "https://login.microsoftonline.com", bcApiHost: nil,
      bcUrl: nil, credential: "none")
    let sanitizer = ReportSanitizer(redactIDs: true, target: target)
    #expect(sanitizer.clean("tenant contoso.onmicrosoft.com") == "tenant ….com")
  }

  @Test func invalidXMLCharactersAreDropped() {
    #expect(
      ReportSanitizer.dropInvalidXMLCharacters("a\u{0}b\u{1}c\u{1B}[31md\te\nf") == "abc[31md\te\nf"
    )
  }
}
