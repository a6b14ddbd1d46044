import Foundation
import S2SDoctorCore
import Testing

@testable import S2SDoctorWizard

/// The wizard's flow, driven through a scripted prompter (no terminal, no network).
@Suite struct WizardFlowTests {
  static let tenant = "contoso.onmicrosoft.com"
  static let tenantID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
  static let client = "5b0c7a44-2f1d-4e0b-9d55-0c1f2e3d4a5b"
  static let canary = "CANARY~s3cr3t.Value_9Zq"

  func input(
    _ settings: ConnectionSettings = ConnectionSettings(), secret: Secret? = nil,
    answers: AnswersFile? = nil, profile: Profile? = nil
  ) -> WizardInput {
    WizardInput.make(
      settings: settings, secret: secret, existingProfile: profile, answers: answers,
      answersFileName: answers == nil ? nil : "answers.json", profileName: "default")
  }

  /// A whole online session, every value typed.
  static let typedSession: [ScriptedPrompter.Reply] = [
    .line("online"), .line(tenant), .line(client), .line("secret"), .secret(canary),
    .line("API.ReadWrite.All, Automation.ReadWrite.All"), .enter, .line("sandbox"),
    .line("Zürich-東京 GmbH"), .line("yes"),
  ]

  @Test func typedSessionSavesProfileAndRunsChecks() async throws {
    let directory = temporaryDirectory()
    let fake = FakeServices(
      reports: [Reports.allPassed],
      discovery: DiscoveredTenant(tenantID: Self.tenantID, cloudInstance: "microsoftonline.com"),
      directory: directory)
    let prompter = ScriptedPrompter(Self.typedSession)
    let wizard = SetupWizard(prompter: prompter, input: input(), services: fake.services)
    let outcome = try await wizard.run()

    #expect(outcome.status == .ok)
    #expect(prompter.replies.isEmpty)
    let settings = outcome.settings
    #expect(settings.tenant == Self.tenant)
    #expect(settings.clientID == Self.client)
    #expect(settings.environment == "sandbox")
    #expect(settings.company == "Zürich-東京 GmbH")
    #expect(settings.redirectURI == BusinessCentral.onlineRedirectURI)
    #expect(settings.permissions == [BusinessCentral.apiRole, BusinessCentral.automationRole])
    #expect(settings.sources["tenant"] == .typed)
    #expect(settings.sources["redirectURI"] == .defaultValue)
    #expect(settings.sources["secret"] == .typed)
    #expect(fake.checkRuns == [[]])

    // Tenant look-up shown; summary with sources, masked secret and consent URL.
    #expect(prompter.shown.contains("tenant ID \(Self.tenantID)"))
    #expect(prompter.shown.contains("Summary"))
    #expect(prompter.shown.contains("(typed)"))
    #expect(prompter.shown.contains("/\(Self.tenant)/adminconsent?client_id=\(Self.client)"))
    #expect(prompter.shown.contains("••••" + String(Self.canary.suffix(4))))

    // The profile: written 0600, without the secret.
    let path = try #require(outcome.profilePath)
    let data = try #require(FileManager.default.contents(atPath: path))
    let text = String(decoding: data, as: UTF8.self)
    #expect(!text.contains(Self.canary))
    #expect(text.contains("Zürich-東京 GmbH"))
    let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
    #expect(mode == 0o600)

    // The secret is in no output and no history.
    #expect(!prompter.transcript.contains(Self.canary))
    #expect(!prompter.remembered.contains { $0.answer.contains(Self.canary) })
    #expect(prompter.remembered.contains { $0.field == "tenant" && $0.answer == Self.tenant })
  }

  @Test func questionMarkShowsHelpWithValuesFilledIn() async throws {
    let fake = FakeServices(reports: [Reports.allPassed], directory: temporaryDirectory())
    var replies = Self.typedSession
    replies.insert(.line("?"), at: 1)  // at the tenant question
    replies.insert(.line("?"), at: 3)  // at the client ID question
    replies.insert(.line("?"), at: 7)  // at the permissions question
    let prompter = ScriptedPrompter(replies)
    _ = try await SetupWizard(prompter: prompter, input: input(), services: fake.services).run()
    #expect(
      prompter.shown.contains(
        "Microsoft Entra admin center (https://entra.microsoft.com) > Identity > Overview > Properties"
      ))
    #expect(prompter.shown.contains("The app registration lives in tenant \(Self.tenant)"))
    #expect(prompter.shown.contains("(app \(Self.client)) > API permissions > Add a permission"))
    #expect(prompter.shown.contains("Grant admin consent for \(Self.tenant)"))
    #expect(prompter.asked.filter { $0.field == "tenant" }.count == 2)
  }

  @Test func invalidAnswersNameTheReasonAndAskAgain() async throws {
    let fake = FakeServices(reports: [Reports.allPassed], directory: temporaryDirectory())
    var replies = Self.typedSession
    replies.insert(.line("https://login.microsoftonline.com/contoso"), at: 1)
    replies.insert(.line("not-a-guid"), at: 3)
    replies.insert(.secret("11111111-2222-3333-4444-555555555555"), at: 6)
    let prompter = ScriptedPrompter(replies)
    let outcome = try await SetupWizard(prompter: prompter, input: input(), services: fake.services)
      .run()
    #expect(outcome.status == .ok)
    #expect(prompter.shown.contains("✗ input.tenant-invalid:"))
    #expect(prompter.shown.contains("✗ input.client-id-invalid:"))
    #expect(prompter.shown.contains("✗ input.secret-looks-like-id:"))
    #expect(prompter.secretLabels.count == 2)
    // A rejected answer never reaches the history.
    #expect(!prompter.remembered.contains { $0.answer == "not-a-guid" })
  }

  @Test func flagsAreNotAskedAgainAndEnvironmentValuesAreDefaults() async throws {
    var settings = ConnectionSettings()
    settings.tenant = Self.tenant
    settings.sources["tenant"] = .flag
    settings.clientID = Self.client
    settings.sources["clientID"] = .environment
    settings.sources["secret"] = .environment
    let secret = Secret(Self.canary)
    let fake = FakeServices(reports: [Reports.allPassed], directory: temporaryDirectory())
    let prompter = ScriptedPrompter([
      .enter,  // deployment
      .enter,  // client id: AZURE_CLIENT_ID as default
      .enter,  // credential: secret (from the environment)
      .enter,  // secret: Enter keeps AZURE_CLIENT_SECRET
      .enter, .enter, .enter, .enter,  // permissions, redirect, environment, company
      .line("save-only"),
    ])
    let outcome = try await SetupWizard(
      prompter: prompter, input: input(settings, secret: secret), services: fake.services
    ).run()
    #expect(!prompter.asked.contains { $0.field == "tenant" })
    let clientPrompt = try #require(prompter.asked.first { $0.field == "clientId" })
    #expect(clientPrompt.defaultValue == Self.client)
    #expect(prompter.secretLabels.first?.contains("Enter keeps AZURE_CLIENT_SECRET") == true)
    #expect(outcome.settings.sources["tenant"] == .flag)
    #expect(outcome.settings.sources["clientID"] == .environment)
    #expect(outcome.settings.sources["secret"] == .environment)
    #expect(outcome.settings.company == nil)
    #expect(fake.checkRuns.isEmpty)
    #expect(outcome.report == nil)
    #expect(outcome.profilePath != nil)
  }

  @Test func permissionsFlagIsValidatedAndNotAsked() async throws {
    var settings = ConnectionSettings()
    settings.permissions = ["api.readwrite.all"]
    settings.sources["permissions"] = .flag
    let fake = FakeServices(reports: [Reports.allPassed], directory: temporaryDirectory())
    let prompter = ScriptedPrompter([
      .line("online"), .line(Self.tenant), .line(Self.client), .line("secret"),
      .secret(Self.canary),
      .enter, .enter, .enter, .line("no"),
    ])
    let outcome = try await SetupWizard(
      prompter: prompter, input: input(settings), services: fake.services
    )
    .run()
    #expect(!prompter.asked.contains { $0.field == "permissions" })
    #expect(outcome.settings.permissions == [BusinessCentral.apiRole])
    #expect(outcome.settings.checkAutomation == false)

    settings.permissions = ["Graph.Read"]
    let failing = ScriptedPrompter([], interactive: false)
    await #expect(throws: WizardFailure.self) {
      _ = try await SetupWizard(
        prompter: failing, input: self.input(settings, answers: AnswersFile()),
        services: fake.services
      ).run()
    }
  }

  @Test func ctrlDAbortsAndSavesNothing() async throws {
    let directory = temporaryDirectory()
    let fake = FakeServices(reports: [Reports.allPassed], directory: directory)
    let prompter = ScriptedPrompter([.line("online"), .line(Self.tenant), .endOfInput])
    await #expect(throws: WizardFailure.aborted) {
      _ = try await SetupWizard(prompter: prompter, input: input(), services: fake.services).run()
    }
    #expect(fake.store.list().isEmpty)
  }

  @Test func interruptAtTheSecretPromptIsReported() async throws {
    let fake = FakeServices(reports: [Reports.allPassed], directory: temporaryDirectory())
    let prompter = ScriptedPrompter([
      .line("online"), .line(Self.tenant), .line(Self.client), .line("secret"), .interrupt(SIGINT),
    ])
    await #expect(throws: WizardFailure.interrupted(SIGINT)) {
      _ = try await SetupWizard(prompter: prompter, input: input(), services: fake.services).run()
    }
  }

  @Test func onPremisesDerivesTheRedirectURIAndChecksTheServerURL() async throws {
    let fake = FakeServices(reports: [Reports.allPassed], directory: temporaryDirectory())
    let prompter = ScriptedPrompter([
      .line("on-premises"), .line(Self.tenantID), .line(Self.client), .line("secret"),
      .secret(Self.canary), .line("API.ReadWrite.All"),
      .line("https://bc.contoso.com:443/BC260/OAuthLanding.htm"),  // rejected: :443
      .line("https://bc.contoso.com:443/BC260/?company=CRONUS"),  // web client URL: derived
      .line("http://bc.contoso.com:7048/BC"),  // rejected: not https
      .line("https://bc.contoso.com:7048/BC/ODataV4/"),
      .enter, .line("save-only"),
    ])
    let outcome = try await SetupWizard(prompter: prompter, input: input(), services: fake.services)
      .run()
    #expect(prompter.shown.contains("input.redirect-uri-default-port"))
    #expect(prompter.shown.contains("input.server-url-invalid"))
    #expect(outcome.settings.deployment == .onprem)
    #expect(outcome.settings.redirectURI == "https://bc.contoso.com/BC260/OAuthLanding.htm")
    #expect(outcome.settings.bcURL == "https://bc.contoso.com:7048/BC")
    #expect(!prompter.asked.contains { $0.field == "environment" })
    // Automation.ReadWrite.All was not added: the automation API is left out.
    #expect(outcome.settings.checkAutomation == false)
  }

  @Test func nonInteractiveWithoutAnswersListsWhatIsMissing() async throws {
    let fake = FakeServices(reports: [Reports.allPassed], directory: temporaryDirectory())
    let prompter = ScriptedPrompter([], interactive: false)
    do {
      _ = try await SetupWizard(
        prompter: prompter, input: input(answers: AnswersFile()), services: fake.services
      ).run()
      Issue.record("expected a usage error")
    } catch {
      guard case .usage(let message) = error else {
        Issue.record("expected usage, got \(error)")
        return
      }
      #expect(message.contains("--tenant"))
      #expect(message.contains("--client-id"))
      #expect(message.contains("AZURE_CLIENT_SECRET"))
      #expect(message.contains("\"tenant\" in the answers file"))
    }
    #expect(prompter.asked.isEmpty)
  }

  @Test func nonInteractiveRejectsAnInvalidValueWithItsReason() async throws {
    let fake = FakeServices(reports: [Reports.allPassed], directory: temporaryDirectory())
    let answers = AnswersFile(values: [
      .tenant: "common", .clientId: Self.client, .credential: "secret",
    ])
    let prompter = ScriptedPrompter([], interactive: false)
    await #expect(throws: WizardFailure.self) {
      _ = try await SetupWizard(
        prompter: prompter, input: input(secret: Secret(Self.canary), answers: answers),
        services: fake.services
      ).run()
    }
    #expect(fake.checkRuns.isEmpty)
  }

  @Test func answersFileRunNeverAsks() async throws {
    let fake = FakeServices(
      reports: [Reports.allPassed],
      discovery: DiscoveredTenant(tenantID: Self.tenantID, cloudInstance: "microsoftonline.com"),
      directory: temporaryDirectory())
    var settings = ConnectionSettings()
    settings.sources["secret"] = .environment
    let answers = AnswersFile(
      values: [
        .tenant: Self.tenant, .clientId: Self.client, .credential: "secret",
        .permissions: "API.ReadWrite.All, Automation.ReadWrite.All", .company: "CRONUS USA, Inc.",
      ], saveProfile: true, runChecks: true)
    let prompter = ScriptedPrompter([], interactive: false)
    let outcome = try await SetupWizard(
      prompter: prompter, input: input(settings, secret: Secret(Self.canary), answers: answers),
      services: fake.services
    ).run()
    #expect(outcome.status == .ok)
    #expect(prompter.asked.isEmpty)
    #expect(outcome.settings.sources["tenant"] == .answers)
    #expect(outcome.settings.environment == "production")
    #expect(outcome.settings.redirectURI == BusinessCentral.onlineRedirectURI)
    #expect(fake.checkRuns == [[]])
    #expect(prompter.shown.contains("tenant ID \(Self.tenantID)"))
    #expect(!prompter.transcript.contains(Self.canary))
  }

  @Test func answersFileOnATerminalAsksOnlyForWhatIsWrongOrMissing() async throws {
    let fake = FakeServices(reports: [Reports.allPassed], directory: temporaryDirectory())
    var settings = ConnectionSettings()
    settings.sources["secret"] = .environment
    let answers = AnswersFile(
      values: [.tenant: Self.tenant, .credential: "secret", .environment: "prod env!"],
      saveProfile: false, runChecks: false)
    let prompter = ScriptedPrompter([.line(Self.client), .line("sandbox")])
    let outcome = try await SetupWizard(
      prompter: prompter, input: input(settings, secret: Secret(Self.canary), answers: answers),
      services: fake.services
    ).run()
    #expect(prompter.asked.map(\.field) == ["clientId", "environment"])
    #expect(prompter.shown.contains("input.environment-invalid"))
    #expect(outcome.settings.environment == "sandbox")
    #expect(prompter.secretLabels.isEmpty)
  }

  @Test func portalStepWaitsAndRerunsOnlyItsChecks() async throws {
    let fake = FakeServices(
      reports: [Reports.rolesMissing, Reports.rolesOnlyPassed], directory: temporaryDirectory())
    var replies = Self.typedSession
    replies.append(.enter)  // "Press Enter when done"
    let prompter = ScriptedPrompter(replies)
    let outcome = try await SetupWizard(prompter: prompter, input: input(), services: fake.services)
      .run()
    #expect(fake.checkRuns == [[], ["token.roles"]])
    #expect(prompter.shown.contains("1. Sign in to the Microsoft Entra admin center"))
    #expect(prompter.shown.contains("open the app with Application (client) ID \(Self.client)"))
    #expect(prompter.shown.contains("Grant admin consent for \(Self.tenant)"))
    #expect(prompter.shown.contains("✓ Done"))
    let report = try #require(outcome.report)
    #expect(report.results.first { $0.check == "token.roles" }?.status == .passed)
  }

  @Test func businessCentralRegistrationStepCanBeSkipped() async throws {
    let fake = FakeServices(reports: [Reports.notRegistered], directory: temporaryDirectory())
    var replies = Self.typedSession
    replies.append(.line("skip"))
    let prompter = ScriptedPrompter(replies)
    let outcome = try await SetupWizard(prompter: prompter, input: input(), services: fake.services)
      .run()
    #expect(outcome.status == .checkFailed)
    #expect(fake.checkRuns == [[]])
    #expect(
      prompter.shown.contains("Search (Alt+Q) for Microsoft Entra Applications and choose New"))
    #expect(prompter.shown.contains("Client ID: \(Self.client)"))
    #expect(prompter.shown.contains("https://businesscentral.dynamics.com/\(Self.tenant)/sandbox"))
  }

  @Test func businessCentralRegistrationRerunsCompanies() async throws {
    let fake = FakeServices(
      reports: [Reports.notRegistered, Reports.companiesOnlyPassed], directory: temporaryDirectory()
    )
    var replies = Self.typedSession
    replies.append(.enter)
    let prompter = ScriptedPrompter(replies)
    let outcome = try await SetupWizard(prompter: prompter, input: input(), services: fake.services)
      .run()
    #expect(fake.checkRuns == [[], ["bc.companies"]])
    #expect(outcome.status == .ok)
  }

  @Test func existingProfileGivesDefaults() async throws {
    var saved = ConnectionSettings()
    saved.tenant = Self.tenant
    saved.clientID = Self.client
    saved.company = "CRONUS"
    saved.authorityHost = "https://login.example.test"
    let profile = Profile(name: "default", settings: saved)
    let fake = FakeServices(reports: [Reports.allPassed], directory: temporaryDirectory())
    let prompter = ScriptedPrompter([
      .enter, .enter, .enter, .enter, .secret(Self.canary), .enter, .enter, .enter, .enter,
      .line("no"),
    ])
    let outcome = try await SetupWizard(
      prompter: prompter, input: input(profile: profile), services: fake.services
    )
    .run()
    #expect(outcome.settings.tenant == Self.tenant)
    #expect(outcome.settings.sources["tenant"] == .profile)
    #expect(outcome.settings.company == "CRONUS")
    #expect(outcome.settings.authorityHost == "https://login.example.test")
    #expect(outcome.profilePath == nil)
    #expect(fake.store.list().isEmpty)
  }

  @Test func invalidProfileNameIsAUsageError() async throws {
    let fake = FakeServices(reports: [Reports.allPassed], directory: temporaryDirectory())
    let input = WizardInput.make(
      settings: ConnectionSettings(), secret: nil, existingProfile: nil, answers: nil,
      profileName: "../x")
    await #expect(throws: WizardFailure.self) {
      _ = try await SetupWizard(
        prompter: ScriptedPrompter([]), input: input, services: fake.services
      ).run()
    }
  }
}
