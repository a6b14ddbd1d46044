import Foundation
import S2SDoctorCore

/// Everything known before the first question: resolved flags and environment, the secret
/// (from AZURE_CLIENT_SECRET, `--client-secret-file` or `--client-secret-stdin`), an existing
/// profile of the same name, and the answers file.
public struct WizardInput: Sendable {
  /// Settings the wizard does not ask about (authority host, API host, CA file, timeout…).
  public var base: ConnectionSettings
  public var prefill: [Field: Prefill]
  public var secret: Secret?
  public var answers: AnswersFile?
  public var answersFileName: String?
  public var profileName: String

  public init(
    base: ConnectionSettings, prefill: [Field: Prefill], secret: Secret?, answers: AnswersFile?,
    answersFileName: String?, profileName: String
  ) {
    self.base = base
    self.prefill = prefill
    self.secret = secret
    self.answers = answers
    self.answersFileName = answersFileName
    self.profileName = profileName
  }

  /// Flags beat the answers file; both beat the environment, which beats an existing profile.
  public static func make(
    settings: ConnectionSettings, secret: Secret?, existingProfile: Profile?,
    answers: AnswersFile?, answersFileName: String? = nil, profileName: String
  ) -> WizardInput {
    var base = settings
    var prefill: [Field: Prefill] = [:]
    let sourced: [(Field, String, String?)] = [
      (.tenant, "tenant", settings.tenant),
      (.clientId, "clientID", settings.clientID),
      (.environment, "environment", settings.environment),
      (.company, "company", settings.company),
      (.bcUrl, "bcURL", settings.bcURL),
      (.redirectUri, "redirectURI", settings.redirectURI),
      (.certificate, "certificatePath", settings.certificatePath),
    ]
    for (field, key, value) in sourced {
      if let value, let source = settings.sources[key] { prefill[field] = Prefill(value, source) }
    }
    if let source = settings.sources["permissions"] {
      prefill[.permissions] = Prefill(
        settings.permissions.isEmpty ? "none" : settings.permissions.joined(separator: ", "), source
      )
    }
    if let source = settings.sources["deployment"] {
      prefill[.deployment] = Prefill(settings.deployment.rawValue, source)
    }
    if let certificate = prefill[.certificate] {
      prefill[.credential] = Prefill("certificate", certificate.source)
    } else if secret != nil, let source = settings.sources["secret"] {
      prefill[.credential] = Prefill("secret", source)
    }
    if secret != nil {
      prefill[.secret] = Prefill("", settings.sources["secret"] ?? .environment)
    }

    if let answers {
      for (field, value) in answers.values where prefill[field]?.source != .flag {
        prefill[field] = Prefill(value, .answers)
      }
    }

    if let profile = existingProfile?.settings {
      let saved: [(Field, String?)] = [
        (.tenant, profile.tenant), (.clientId, profile.clientID),
        (.environment, profile.deployment == .online ? profile.environment : nil),
        (.company, profile.company), (.bcUrl, profile.bcURL),
        (.redirectUri, profile.redirectURI), (.certificate, profile.certificatePath),
        (.deployment, profile.deployment.rawValue),
        (
          .permissions,
          profile.permissions.isEmpty ? nil : profile.permissions.joined(separator: ", ")
        ),
      ]
      for (field, value) in saved where prefill[field] == nil {
        if let value { prefill[field] = Prefill(value, .profile) }
      }
      if prefill[.credential] == nil {
        prefill[.credential] = Prefill(
          profile.certificatePath == nil ? "secret" : "certificate", .profile)
      }
      // Settings the wizard does not ask about come back from the profile unless given again.
      if base.sources["authorityHost"] == nil { base.authorityHost = profile.authorityHost }
      if base.sources["bcAPIHost"] == nil { base.bcAPIHost = profile.bcAPIHost }
      if base.sources["caFile"] == nil, let ca = profile.caFile { base.caFile = ca }
      if base.sources["serverTenant"] == nil, let t = profile.serverTenant { base.serverTenant = t }
      if base.sources["apiPath"] == nil, let p = profile.apiPath { base.apiPath = p }
    }
    return WizardInput(
      base: base, prefill: prefill, secret: secret, answers: answers,
      answersFileName: answersFileName, profileName: profileName)
  }
}
