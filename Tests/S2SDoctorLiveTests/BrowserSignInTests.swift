import Foundation
import S2SDoctorTestSupport
import Testing

@testable import S2SDoctorCore
@testable import S2SDoctorEmulator
@testable import S2SDoctorLive

/// The browser sign-in (authorization code + PKCE on a loopback redirect) against the emulator's
/// `/authorize`, with curl as the browser: it follows the emulator's redirect to the listener.
@Suite(.serialized) struct BrowserSignInTests {
  /// Runs curl on `url`; with `follow`, it follows the redirect (the browser coming back),
  /// otherwise it returns the redirect's target.
  @discardableResult
  static func browse(_ url: String, caFile: String?, follow: Bool) async throws -> String {
    var arguments = ["-sS", "--max-time", "20", "-o", "/dev/null"]
    if let caFile { arguments += ["--cacert", caFile] }
    arguments += follow ? ["-L"] : ["-w", "%{redirect_url}"]
    return try await ProcessRun.run("/usr/bin/curl", arguments + [url], limit: 30).stdout
  }

  static func signIn(_ clientID: String) async throws -> (BrowserSignIn, EmulatorInfo) {
    let info = try await SharedEmulator.shared.start()
    let transport = try HTTPTransport(caFile: info.caFile, timeout: 10)
    var signIn = BrowserSignIn(
      transport: transport, authorityHost: info.baseURL, tenant: World.setupTenantID, clientID: clientID)
    signIn.timeoutSeconds = 30
    return (signIn, info)
  }

  @Test func theBrowserComesBackToTheLoopbackAndTheCodeIsRedeemedWithTheVerifier() async throws {
    let (signIn, info) = try await Self.signIn(DeviceCodeSignIn.defaultClientID)
    let shown = URLBox()
    let token = try await signIn.signIn { url in
      shown.url = url
      Task.detached { _ = try? await Self.browse(url, caFile: info.caFile, follow: true) }
    }
    let url = try #require(URLComponents(string: shown.url))
    let items = Dictionary(uniqueKeysWithValues: (url.queryItems ?? []).map { ($0.name, $0.value ?? "") })
    #expect(url.path == "/\(World.setupTenantID)/oauth2/v2.0/authorize")
    #expect(items["code_challenge_method"] == "S256" && items["code_challenge"]?.count == 43)
    #expect(items["redirect_uri"]?.hasPrefix("http://127.0.0.1:") == true)
    #expect(items["response_type"] == "code" && (items["state"]?.count ?? 0) >= 32)
    let claims = try #require(TokenClaims.decode(token.accessToken))
    #expect(claims.audiences == ["https://graph.microsoft.com"])
    #expect(claims.scopes?.contains("Application.ReadWrite.All") == true)
    #expect(Redactor.shared.redact("t=" + token.accessToken) != "t=" + token.accessToken, "the admin token is masked")
    await signIn.transport.shutdown()
  }

  @Test func aDeclinedSignInStops() async throws {
    let (signIn, info) = try await Self.signIn(StableID.guid("public/declined"))
    do {
      _ = try await signIn.signIn { url in
        Task.detached { _ = try? await Self.browse(url, caFile: info.caFile, follow: true) }
      }
      Issue.record("a declined sign-in gave a token")
    } catch {
      #expect("\(error)".contains("declined"), "\(error)")
    }
    await signIn.transport.shutdown()
  }

  /// The emulator redeems a code only once, for the same client and redirect, and only with the
  /// verifier whose SHA-256 is the challenge.
  @Test func theEmulatorChecksTheVerifierAndUsesACodeOnce() async throws {
    let info = try await SharedEmulator.shared.start()
    let (verifier, challenge) = BrowserSignIn.pkcePair()
    let redirect = "http://127.0.0.1:9/"
    let client = DeviceCodeSignIn.defaultClientID
    let base = "\(info.baseURL)/\(World.setupTenantID)/oauth2/v2.0"
    let authorize =
      "\(base)/authorize?client_id=\(client)&response_type=code&redirect_uri=\(BrowserSignIn.queryEncode(redirect))"
      + "&scope=\(BrowserSignIn.queryEncode(DeviceCodeSignIn.graphScopes.joined(separator: " ")))&state=s1"
      + "&code_challenge=\(challenge)&code_challenge_method=S256"
    let location = try #require(
      URLComponents(string: try await Self.browse(authorize, caFile: info.caFile, follow: false)))
    #expect(location.host == "127.0.0.1" && location.port == 9)
    let code = try #require(location.queryItems?.first { $0.name == "code" }?.value)
    #expect(location.queryItems?.first { $0.name == "state" }?.value == "s1")

    let transport = try HTTPTransport(caFile: info.caFile, timeout: 10)
    func redeem(_ code: String, _ verifier: String) async throws -> HTTPResponse {
      let body = [
        ("grant_type", "authorization_code"), ("client_id", client), ("code", code), ("redirect_uri", redirect),
        ("code_verifier", verifier),
      ].map { "\($0.0)=\(Redactor.formEncode($0.1))" }.joined(separator: "&")
      return try await transport.send(
        HTTPRequest(
          method: "POST", url: "\(base)/token", headers: [("Content-Type", "application/x-www-form-urlencoded")],
          body: Data(body.utf8)))
    }
    let wrong = try await redeem(code, BrowserSignIn.pkcePair().verifier)
    #expect(wrong.status == 400 && wrong.json?["error"]?.string == "invalid_grant")
    #expect(wrong.json?["error_codes"]?.array?.first?.int == 501481)
    // The failed attempt used the code up, as Entra ID does: a new code for the right verifier.
    #expect(try await redeem(code, verifier).status == 400)
    let again = try #require(
      URLComponents(string: try await Self.browse(authorize, caFile: info.caFile, follow: false))?.queryItems?.first {
        $0.name == "code"
      }?.value)
    let right = try await redeem(again, verifier)
    #expect(right.status == 200 && right.json?["access_token"]?.string != nil)
    #expect(try await redeem(again, verifier).status == 400, "a code is redeemed once")
    let withoutChallenge = try await Self.browse(
      authorize.replacingOccurrences(of: "&code_challenge=\(challenge)", with: ""), caFile: info.caFile, follow: false)
    #expect(withoutChallenge.contains("error=invalid_request"), "\(withoutChallenge)")
    await transport.shutdown()
  }
}

final class URLBox: @unchecked Sendable { var url = "" }
