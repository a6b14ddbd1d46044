import Foundation
import Testing

@testable import S2SDoctorCore
@testable import S2SDoctorEmulator
@testable import S2SDoctorLive

/// The device-code sign-in against the emulator's RFC 8628 answers.
@Suite struct DeviceCodeTests {
  static func signIn(_ clientID: String) async throws -> (DeviceCodeSignIn, [Int], PromptBox) {
    let info = try await SharedEmulator.shared.start()
    let transport = try HTTPTransport(caFile: info.caFile, timeout: 10)
    let signIn = DeviceCodeSignIn(
      transport: transport, authorityHost: info.baseURL, tenant: World.setupTenantID, clientID: clientID)
    return (signIn, [], PromptBox())
  }

  final class PromptBox: @unchecked Sendable {
    var prompts: [String] = []
    var waits: [Int] = []
  }

  @Test func pendingThenApprovedGivesADelegatedGraphToken() async throws {
    let (signIn, _, box) = try await Self.signIn(DeviceCodeSignIn.defaultClientID)
    let token = try await signIn.signIn(prompt: { box.prompts.append($0) }, sleep: { box.waits.append($0) })
    #expect(box.prompts.first?.contains("https://microsoft.com/devicelogin") == true)
    #expect(box.waits == [1, 1], "one authorization_pending, then the token")
    let claims = try #require(TokenClaims.decode(token.accessToken))
    #expect(claims.audiences == ["https://graph.microsoft.com"])
    #expect(claims.scopes?.contains("Application.ReadWrite.All") == true)
    #expect(claims.scopes?.contains("AppRoleAssignment.ReadWrite.All") == true)
    #expect(Redactor.shared.redact("t=" + token.accessToken) != "t=" + token.accessToken, "the admin token is masked")
    await signIn.transport.shutdown()
  }

  @Test func slowDownAddsFiveSeconds() async throws {
    let (signIn, _, box) = try await Self.signIn(StableID.guid("public/slow-down"))
    _ = try await signIn.signIn(prompt: { _ in }, sleep: { box.waits.append($0) })
    #expect(box.waits == [1, 6, 6])
    await signIn.transport.shutdown()
  }

  @Test func declinedAndExpiredStop() async throws {
    for (name, words) in [("public/declined", "declined"), ("public/expired", "expired")] {
      let (signIn, _, _) = try await Self.signIn(StableID.guid(name))
      await #expect(throws: AdminFailure.self) {
        try await signIn.signIn(prompt: { _ in }, sleep: { _ in })
      }
      do {
        _ = try await signIn.signIn(prompt: { _ in }, sleep: { _ in })
      } catch {
        #expect("\(error)".contains(words), "\(error)")
      }
      await signIn.transport.shutdown()
    }
  }
}
