import Foundation
import S2SDoctorCore
import Testing

@testable import S2SDoctorWizard

/// Issue 14, point 8: a rejected credential loops back to its question with the fix shown, and
/// the closing "Still to do" always lists both portal tasks.
@Suite struct WizardNoDeadEndTests {
  typealias Flow = WizardFlowTests

  func input() -> WizardInput {
    WizardInput.make(
      settings: ConnectionSettings(), secret: nil, existingProfile: nil, answers: nil, answersFileName: nil,
      profileName: "default")
  }

  static func tokenFailed(_ reason: String) -> RunReport {
    Reports.make([
      ("entra.token", .failed(reason)), ("token.roles", Outcome(.skipped, detail: "needs entra.token")),
      ("bc.companies", Outcome(.skipped, detail: "needs entra.token")),
    ])
  }

  @Test(arguments: ["entra.secret-invalid", "entra.secret-expired", "input.secret-looks-like-id"])
  func aRejectedSecretIsAskedAgainWithTheFix(_ reason: String) async throws {
    let fake = FakeServices(
      reports: [Self.tokenFailed(reason), Reports.allPassed], directory: temporaryDirectory())
    var replies = Flow.typedSession
    replies.append(.secret("CANARY~the.right-Value_2"))
    let prompter = ScriptedPrompter(replies)
    let outcome = try await SetupWizard(prompter: prompter, input: input(), services: fake.services).run()
    #expect(prompter.replies.isEmpty)
    #expect(prompter.secretLabels.count == 2)
    #expect(fake.checkRuns == [[], []])
    #expect(prompter.shown.contains("✗ \(reason): "))
    #expect(prompter.shown.contains("  Fix: "))
    #expect(prompter.shown.contains("Enter the client secret again"))
    #expect(outcome.status == .ok)
    #expect(!prompter.transcript.contains("CANARY~the.right-Value_2"))
  }

  @Test func aRejectedCertificateIsAskedAgain() async throws {
    let directory = temporaryDirectory()
    let pem =
      "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"
    let first = directory + "/old.pem"
    let second = directory + "/new.pem"
    try pem.write(toFile: first, atomically: true, encoding: .utf8)
    try pem.write(toFile: second, atomically: true, encoding: .utf8)
    let fake = FakeServices(
      reports: [Self.tokenFailed("entra.certificate-rejected"), Reports.allPassed], directory: directory)
    let replies: [ScriptedPrompter.Reply] = [
      .line("online"), .line(Flow.tenant), .line(Flow.client), .line("certificate"), .line(first),
      .line("API.ReadWrite.All"), .enter, .enter, .enter, .line("yes"), .line(second),
    ]
    let prompter = ScriptedPrompter(replies)
    let outcome = try await SetupWizard(prompter: prompter, input: input(), services: fake.services).run()
    #expect(prompter.replies.isEmpty)
    #expect(prompter.shown.contains("✗ entra.certificate-rejected: "))
    #expect(prompter.shown.contains("Enter the certificate again"))
    #expect(prompter.asked.filter { $0.field == "certificate" }.count == 2)
    #expect(outcome.settings.certificatePath == second)
    #expect(outcome.status == .ok)
    // The saved profile follows the new certificate.
    let saved = try #require(outcome.profilePath.flatMap { FileManager.default.contents(atPath: $0) })
    #expect(String(decoding: saved, as: UTF8.self).contains("new.pem"))
  }

  @Test(arguments: [true, false])
  func stillToDoListsBothTasksWhetherOrNotAnythingFailed(_ allPassed: Bool) async throws {
    let fake = FakeServices(
      reports: [allPassed ? Reports.allPassed : Reports.notRegistered], directory: temporaryDirectory())
    var replies = Flow.typedSession
    if !allPassed { replies.append(.line("skip")) }
    let prompter = ScriptedPrompter(replies)
    _ = try await SetupWizard(prompter: prompter, input: input(), services: fake.services).run()
    let shown = prompter.shown
    let tail = try #require(shown.range(of: "Still to do (").map { String(shown[$0.lowerBound...]) })
    #expect(tail.contains("Task 1 — Add the Business Central permissions and grant admin consent"))
    #expect(tail.contains("API permissions > Add a permission"))
    #expect(tail.contains("Grant admin consent for \(Flow.tenant)"))
    #expect(tail.contains("Task 2 — Register the app in Business Central"))
    #expect(tail.contains("Client ID: \(Flow.client)"))
    #expect(tail.contains("Description: name the partner"))
    #expect(tail.contains("Set State to Enabled"))
    #expect(tail.contains("User Permission Sets"))
    #expect(tail.contains("never SUPER"))
    #expect(tail.contains("Grant Consent on the same card"))
    // Task 1 is proved by token.roles in both runs; Task 2 only when bc.companies passed.
    #expect(tail.components(separatedBy: "This run's checks passed for this task.").count - 1 == (allPassed ? 2 : 1))
  }

  @Test func saveOnlyStillListsBothTasks() async throws {
    let fake = FakeServices(reports: [], directory: temporaryDirectory())
    var replies = Flow.typedSession
    replies[replies.count - 1] = .line("save-only")
    let prompter = ScriptedPrompter(replies)
    _ = try await SetupWizard(prompter: prompter, input: input(), services: fake.services).run()
    #expect(prompter.shown.contains("Task 1 — Add the Business Central permissions"))
    #expect(prompter.shown.contains("Task 2 — Register the app in Business Central"))
    #expect(fake.checkRuns.isEmpty)
  }
}
