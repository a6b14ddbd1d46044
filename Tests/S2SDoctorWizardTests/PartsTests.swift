import Foundation
import S2SDoctorCore
import Testing

@testable import S2SDoctorWizard

@Suite struct CompletionTests {
  let permissions = [BusinessCentral.apiRole, BusinessCentral.automationRole, "none"]

  @Test func uniqueMatchCompletesAndFixesCase() {
    #expect(
      Completion.complete("aut", candidates: permissions)
        == .replace(wordLength: 3, text: "Automation.ReadWrite.All"))
    #expect(
      Completion.complete("API.ReadWrite.All, aut", candidates: permissions)
        == .replace(wordLength: 3, text: "Automation.ReadWrite.All"))
    #expect(
      Completion.complete("N", candidates: permissions) == .replace(wordLength: 1, text: "none"))
  }

  @Test func ambiguousWithoutProgressLists() {
    #expect(
      Completion.complete("", candidates: ["online", "onprem"])
        == .replace(wordLength: 0, text: "on"))
    #expect(
      Completion.complete("on", candidates: ["online", "onprem"]) == .list(["online", "onprem"]))
    #expect(Completion.complete("a", candidates: permissions) == .replace(wordLength: 1, text: "A"))
    #expect(
      Completion.complete("A", candidates: permissions)
        == .list([BusinessCentral.apiRole, BusinessCentral.automationRole]))
  }

  @Test func noMatchOrCompleteWord() {
    #expect(Completion.complete("x", candidates: permissions) == .none)
    #expect(Completion.complete("none", candidates: permissions) == .none)
  }
}

@Suite struct UTF8DecodingTests {
  @Test func decodesMultiByteCharacters() {
    #expect(UTF8Decoding.decode([0x41]) == .complete(0x41))
    #expect(UTF8Decoding.decode([0xC3]) == .needMore)
    #expect(UTF8Decoding.decode([0xC3, 0xBC]) == .complete(0xFC))  // ü
    #expect(UTF8Decoding.decode([0xE6, 0x9D]) == .needMore)
    #expect(UTF8Decoding.decode([0xE6, 0x9D, 0xB1]) == .complete(0x6771))  // 東
    #expect(UTF8Decoding.decode([0xF0, 0x9F, 0x98, 0x80]) == .complete(0x1F600))
    #expect(UTF8Decoding.decode([0xC3, 0x41]) == .invalid)
    #expect(UTF8Decoding.decode([0xFF]) == .invalid)
  }
}

@Suite struct AnswersFileTests {
  @Test func parsesEveryKey() throws {
    let json = """
      {"deployment":"online","tenant":"contoso.onmicrosoft.com","clientId":"11111111-2222-3333-4444-555555555555",
       "credential":"certificate","certificate":"/tmp/app.pem","permissions":["API.ReadWrite.All","Automation.ReadWrite.All"],
       "redirectUri":"https://businesscentral.dynamics.com/OAuthLanding.htm","environment":"production",
       "bcUrl":null,"company":"Zürich-東京 GmbH","saveProfile":false,"runChecks":true}
      """
    let answers = try AnswersFile.parse(Data(json.utf8))
    #expect(answers.values[.tenant] == "contoso.onmicrosoft.com")
    #expect(answers.values[.permissions] == "API.ReadWrite.All, Automation.ReadWrite.All")
    #expect(answers.values[.company] == "Zürich-東京 GmbH")
    #expect(answers.values[.bcUrl] == nil)
    #expect(answers.saveProfile == false)
    #expect(answers.runChecks == true)
  }

  @Test func unknownKeyIsNamed() {
    #expect(throws: AnswersFileError.self) {
      try AnswersFile.parse(Data(#"{"tenantId":"x"}"#.utf8))
    }
    do {
      _ = try AnswersFile.parse(Data(#"{"tenant":"a.b","tenantId":"x"}"#.utf8))
    } catch {
      #expect(error.description.contains("unknown key \"tenantId\""))
    }
  }

  @Test func secretIsRefused() {
    do {
      _ = try AnswersFile.parse(Data(#"{"clientSecret":"hunter2-hunter2"}"#.utf8))
      Issue.record("expected an error")
    } catch {
      #expect(error.description.contains("AZURE_CLIENT_SECRET"))
      #expect(!error.description.contains("hunter2"))
    }
  }

  @Test func wrongTypesAndShapes() {
    #expect(throws: AnswersFileError.self) {
      try AnswersFile.parse(Data(#"{"saveProfile":"yes"}"#.utf8))
    }
    #expect(throws: AnswersFileError.self) { try AnswersFile.parse(Data(#"{"tenant":5}"#.utf8)) }
    #expect(throws: AnswersFileError.self) {
      try AnswersFile.parse(Data(#"{"permissions":[1]}"#.utf8))
    }
    #expect(throws: AnswersFileError.self) { try AnswersFile.parse(Data(#"["tenant"]"#.utf8)) }
    #expect(throws: AnswersFileError.self) { try AnswersFile.parse(Data("{".utf8)) }
  }
}

@Suite struct QuestionTableTests {
  @Test func everyQuestionHasHelpAndAFlag() {
    let state = WizardState(base: ConnectionSettings(), profileName: "default")
    for question in Questions.all {
      #expect(!question.help(state).isEmpty, "\(question.field)")
      #expect(!question.flag.isEmpty, "\(question.field)")
      if question.field != .secret { #expect(question.answersKey != nil, "\(question.field)") }
    }
    #expect(Set(Questions.all.compactMap(\.answersKey)) == Set(AnswersFile.keys.keys))
  }

  @Test func redirectURIRules() {
    var state = WizardState(base: ConnectionSettings(), profileName: "p")
    let q = Questions.question(.redirectUri)
    #expect(q.validate("none", state) == .accepted(""))
    #expect(
      q.validate(BusinessCentral.onlineRedirectURI, state)
        == .accepted(BusinessCentral.onlineRedirectURI))
    if case .rejected(let reason, _) = q.validate(
      "https://businesscentral.dynamics.com/contoso/OAuthLanding.htm", state)
    {
      #expect(reason == "input.redirect-uri-online-mismatch")
    } else {
      Issue.record("expected a rejection")
    }
    state.values[.deployment] = "onprem"
    if case .rejected(let reason, _) = q.validate(
      "https://bc.contoso.com/BC/oauthlanding.htm", state)
    {
      #expect(reason == "input.redirect-uri-not-oauthlanding")
    } else {
      Issue.record("expected a rejection")
    }
    #expect(
      q.validate("https://bc.contoso.com:443/BC", state)
        == .accepted(
          "https://bc.contoso.com/BC/OAuthLanding.htm",
          note:
            "Redirect URI derived from the web client URL: https://bc.contoso.com/BC/OAuthLanding.htm"
        ))
  }

  @Test func clientIDMustNotBeTheTenantID() {
    var state = WizardState(base: ConnectionSettings(), profileName: "p")
    state.values[.tenant] = "72f988bf-86f1-41af-91ab-2d7cd011db47"
    let q = Questions.question(.clientId)
    if case .rejected(let reason, _) = q.validate("72F988BF-86F1-41AF-91AB-2D7CD011DB47", state) {
      #expect(reason == "input.client-id-invalid")
    } else {
      Issue.record("expected a rejection")
    }
  }

  @Test func certificateFileIsChecked() throws {
    let directory = temporaryDirectory("cert")
    let q = Questions.question(.certificate)
    let state = WizardState(base: ConnectionSettings(), profileName: "p")
    if case .rejected(let reason, _) = q.validate(directory + "/missing.pem", state) {
      #expect(reason == "input.certificate-invalid")
    } else {
      Issue.record("expected a rejection")
    }
    let onlyCert = directory + "/cert.pem"
    try "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".write(
      toFile: onlyCert, atomically: true, encoding: .utf8)
    if case .rejected(_, let message) = q.validate(onlyCert, state) {
      #expect(message.contains("no private key"))
    } else {
      Issue.record("expected a rejection")
    }
    let both = directory + "/both.pem"
    try
      "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"
      .write(toFile: both, atomically: true, encoding: .utf8)
    #expect(q.validate(both, state) == .accepted(both))
  }

  @Test func historyDirectoryFollowsXDG() {
    #expect(
      WizardPaths.historyDirectory(environment: ["XDG_STATE_HOME": "/s", "HOME": "/h"])
        == "/s/s2s-doctor/history")
    #expect(
      WizardPaths.historyDirectory(environment: ["HOME": "/h"])
        == "/h/.local/state/s2s-doctor/history")
  }
}

/// Issue 14, point 2: a question wider than the terminal is shown wrapped above a short input line.
@Suite struct PromptFitTests {
  @Test func aLongQuestionGoesAboveTheInputLine() {
    var shown = ""
    let long = "Redirect URI (optional; none to skip) [https://businesscentral.dynamics.com/OAuthLanding.htm]: "
    let prompt = TerminalPrompter.fit(long, width: 60) { shown += $0 }
    #expect(TextLayout.visibleCount(prompt) <= 60 - 38)
    for line in shown.split(separator: "\n") { #expect(line.count <= 60, "\(line)") }
    #expect((shown + prompt).replacingOccurrences(of: "\n", with: " ").contains("Redirect URI (optional; none"))
    // A short one is left alone.
    var nothing = ""
    #expect(TerminalPrompter.fit("Tenant: ", width: 60) { nothing += $0 } == "Tenant: ")
    #expect(nothing.isEmpty)
  }
}
