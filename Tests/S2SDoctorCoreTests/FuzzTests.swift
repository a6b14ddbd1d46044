import Foundation
import Testing

@testable import S2SDoctorCore

/// `explain` and the parsers must return a well-formed result for any input: random bytes,
/// truncated and deeply nested JSON, huge strings, invalid UTF-8.
@Suite struct FuzzTests {
  static let cases = Int(ProcessInfo.processInfo.environment["S2S_FUZZ_CASES"] ?? "") ?? 10_000

  static let seeds: [String] =
    ExplainFixture.all.map(\.text) + [
      #"{"error":{"code":"Authentication_InvalidCredentials","message":"x"}}"#,
      #"{"code":"environmentNotFound","message":"m","target":"BusinessCentral/x"}"#,
    ]

  static func mutate(_ seed: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
    var bytes = seed
    switch Int.random(in: 0..<7, using: &rng) {
    case 0:  // random bytes
      return (0..<Int.random(in: 0..<512, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
    case 1:  // truncate
      if !bytes.isEmpty { bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &rng))) }
    case 2:  // flip bytes
      for _ in 0..<Int.random(in: 1...8, using: &rng) where !bytes.isEmpty {
        bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
      }
    case 3:  // deep nesting
      let depth = Int.random(in: 100...5000, using: &rng)
      bytes = Array(String(repeating: "{\"error\":[", count: depth).utf8) + bytes
    case 4:  // splice two seeds
      let other = Array(seeds[Int.random(in: 0..<seeds.count, using: &rng)].utf8)
      bytes = Array(bytes.prefix(bytes.count / 2)) + Array(other.suffix(other.count / 2))
    case 5:  // invalid UTF-8 and escapes
      bytes.insert(
        contentsOf: [0xC3, 0x28, 0x5C, 0x75, 0xD8, 0x00, 0xFF, 0x25],
        at: bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &rng))
    default:  // repeat anchors
      bytes += Array(
        String(repeating: "AADSTS\"code\":\"correlation id: %", count: Int.random(in: 1...200, using: &rng)).utf8)
    }
    return bytes
  }

  @Test func explainNeverCrashesOnMutatedInput() {
    let explainer = Explainer()
    var rng = SplitMix64(seed: 0x5EED)
    let seeds = Self.seeds.map { Array($0.utf8) }
    for _ in 0..<Self.cases {
      let bytes = Self.mutate(seeds[Int.random(in: 0..<seeds.count, using: &rng)], &rng)
      let text = String(decoding: bytes, as: UTF8.self)
      let result = explainer.explain(text)
      // Well-formed: encodable, every diagnosis names a catalogue reason.
      #expect(result.diagnoses.allSatisfy { Catalogue.builtIn.reason($0.reason) != nil })
      #expect((try? JSONEncoder().encode(result)) != nil)
    }
  }

  @Test func jsonParserSurvivesHostileInput() {
    var rng = SplitMix64(seed: 42)
    let seeds = Self.seeds.map { Array($0.utf8) }
    for _ in 0..<Self.cases {
      let bytes = Self.mutate(seeds[Int.random(in: 0..<seeds.count, using: &rng)], &rng)
      _ = JSONValue.parse(Data(bytes))
      _ = TokenClaims.decode(String(decoding: bytes, as: UTF8.self))
    }
    #expect(JSONValue.parse(String(repeating: "[", count: 100_000)) == nil)
  }

  /// The readers `explain` added for pasted URLs, tokens, secrets and folded phrases, each on its
  /// own: seeds that carry URLs, JWTs, claims JSON and secret assignments, then mutated.
  static let pastedSeeds: [String] =
    [
      "POST https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token?x=1 -> 401",
      "GET https://api.businesscentral.dynamics.com/v2.0/6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b/Production/api/contoso/app/v1.0/companies(1)/items 404",
      "https://bc.local:7048/BC240/ODataV4/Company('x')/Customers?tenant=default (401)",
      "Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2dyYXBoLm1pY3Jvc29mdC5jb20iLCJyb2xlcyI6W119.c2ln",
      #"{"aud": "https://api.businesscentral.dynamics.com", "tid": "x", "roles": ["API.ReadWrite.All"], "exp": 1}"#,
      "client_secret=abc&client_assertion='def' AZURE_CLIENT_SECRET=\"ghi\" password: jkl Basic dXNlcjpwYXNz",
      "Tenant '{{tenantid}}' not found AADSTS90002 tenant identifier 'x' doesn't have the permission * ",
    ] + seeds

  @Test func pastedTextReadersSurviveHostileInput() {
    var rng = SplitMix64(seed: 0xBEEF)
    let seeds = Self.pastedSeeds.map { Array($0.utf8) }
    for _ in 0..<Self.cases {
      let bytes = Self.mutate(seeds[Int.random(in: 0..<seeds.count, using: &rng)], &rng)
      let text = String(decoding: bytes, as: UTF8.self)
      let searchable = SearchableText(text)
      let facts = URLFacts.read(searchable)
      #expect(facts.tags.isSubset(of: URLFacts.knownTags))
      _ = PastedToken.find(in: text)?.findings(endpoint: "bc-api", tenantNamed: "t", reference: nil, now: Date())
      let masked = PastedSecrets.masked(text)
      #expect(!masked.isEmpty || text.isEmpty)
      let folded = TextFolding.fold(bytes)
      #expect(folded.first == 0x20)
      _ = TextFolding.find(
        TextFolding.foldPhrase(String(decoding: bytes.prefix(24), as: UTF8.self) + " * x"), in: folded)
    }
  }

  @Test func tenMegabyteInputIsHandled() {
    var text = String(repeating: "2024-05-03 INFO request ok; ", count: 350_000)
    text += #"{"error":"invalid_client","error_codes":[7000215]}"#
    #expect(text.utf8.count > 9_000_000)
    let result = Explainer().explain(text)
    #expect(result.diagnoses.first?.reason == "entra.secret-invalid")
  }
}
