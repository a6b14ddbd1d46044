import Foundation
import S2SDoctorCore

/// The outcome of checking one answer.
public enum Validation: Sendable, Equatable {
  /// The value to keep (normalised), and an optional remark to show.
  case accepted(String, note: String? = nil)
  /// Why the answer cannot be used: the `input.*` reason (if the catalogue has one) and what to do.
  case rejected(reason: String?, message: String)

  static func from(_ problem: InputProblem?, value: String) -> Validation {
    if let problem { return .rejected(reason: problem.reason, message: problem.detail) }
    return .accepted(value)
  }

  /// A Core validation that also normalises the value.
  static func from(_ result: Result<String, InputProblem>) -> Validation {
    switch result {
    case .success(let value): .accepted(value)
    case .failure(let problem): .rejected(reason: problem.reason, message: problem.detail)
    }
  }
}

/// One row of the question table.
public struct Question: Sendable {
  public var field: Field
  /// Short name for summaries ("Tenant").
  public var title: String
  /// The prompt text, without default and colon.
  public var prompt: String
  /// One or two lines shown before the prompt: what this is and why it is needed.
  public var intro: @Sendable (WizardState) -> String
  /// Shown for `?`: where to find the value (portal path, BC page), with this registration's values.
  public var help: @Sendable (WizardState) -> String
  public var defaultValue: @Sendable (WizardState) -> String?
  /// Tab completion, for questions whose answers form a closed set.
  public var completions: [String]
  public var validate: @Sendable (String, WizardState) -> Validation
  public var applies: @Sendable (WizardState) -> Bool
  /// Optional questions accept `none` (or `-`) for "not set".
  public var isOptional: Bool
  /// The command-line flag(s) that answer it.
  public var flag: String
  /// The environment variable that gives a default, if any.
  public var environmentVariable: String?
  /// The key in an `--answers` file (`nil` for the secret: it is never in the file).
  public var answersKey: String?
}

/// The wizard's questions, in order.
public enum Questions {
  static let portal = "Microsoft Entra admin center (https://entra.microsoft.com)"
  static let appRegistrations = "Identity > Applications > App registrations"
  static let knownPermissions = [
    BusinessCentral.apiRole, BusinessCentral.automationRole, BusinessCentral.adminRole,
  ]
  static let noneWords: Set<String> = ["none", "-", "no", "skip"]

  public static func question(_ field: Field) -> Question {
    all.first { $0.field == field }!
  }

  public static let all: [Question] = [
    deployment, tenant, clientId, credential, secret, certificate, permissions, redirectUri,
    environment, bcUrl, company,
  ]

  // MARK: deployment

  static let deployment = Question(
    field: .deployment, title: "Deployment",
    prompt: "Business Central online or on-premises (online/onprem)",
    intro: { _ in
      "Business Central online is reached through api.businesscentral.dynamics.com; on-premises through your own server."
    },
    help: { _ in
      """
      online  – Business Central online (SaaS), environments managed in the Business Central admin center.
      onprem  – your own server (version 18.11/19.5 or later, with Microsoft Entra authentication).
      """
    },
    defaultValue: { _ in "online" },
    completions: ["online", "onprem"],
    validate: { raw, _ in
      let key = raw.lowercased().filter { $0.isLetter }
      switch key {
      case "online", "saas", "cloud": return .accepted("online")
      case "onprem", "onpremises", "onpremise", "premises", "local": return .accepted("onprem")
      default: return .rejected(reason: nil, message: "Answer online or onprem.")
      }
    },
    applies: { _ in true }, isOptional: false, flag: "--deployment online|onprem",
    environmentVariable: nil, answersKey: "deployment")

  // MARK: tenant

  static let tenant = Question(
    field: .tenant, title: "Tenant",
    prompt: "Directory (tenant) ID or verified domain",
    intro: { _ in
      "The customer's Microsoft Entra tenant: the directory that issues the app's tokens."
    },
    help: { _ in
      """
      Where to find it:
        \(portal) > Identity > Overview > Properties > Tenant ID (a GUID).
        Or a verified domain: Identity > Settings > Domain names (e.g. contoso.onmicrosoft.com).
      Give only the GUID or the domain: no https://, no /oauth2/…, and not common or organizations.
      """
    },
    defaultValue: { _ in nil },
    completions: [],
    validate: { raw, _ in
      let value = raw.trimmedSpaces
      return .from(InputValidation.tenant(value), value: value)
    },
    applies: { _ in true }, isOptional: false, flag: "--tenant",
    environmentVariable: "AZURE_TENANT_ID", answersKey: "tenant")

  // MARK: client id

  static let clientId = Question(
    field: .clientId, title: "Client ID",
    prompt: "Application (client) ID",
    intro: { _ in
      "The app registration that Business Central will accept: its Application (client) ID."
    },
    help: { state in
      """
      Where to find it:
        \(portal) > \(appRegistrations) > (your app) > Overview > Application (client) ID.
        The app registration lives in tenant \(state.tenantText) (or is multitenant and consented there).
      Not the Object ID, and not the Directory (tenant) ID shown on the same page.
      The same ID is entered later in Business Central: search Microsoft Entra Applications > New > Client ID.
      """
    },
    defaultValue: { _ in nil },
    completions: [],
    validate: { raw, state in
      let value = raw.trimmedSpaces
      if let problem = InputValidation.clientID(value) {
        return .rejected(reason: problem.reason, message: problem.detail)
      }
      let tenantGUID = state.discovery?.tenantID ?? state.value(.tenant)
      if let tenantGUID, tenantGUID.lowercased() == value.lowercased() {
        return .rejected(
          reason: Reason.inputClientIdInvalid,
          message:
            "That is the Directory (tenant) ID. Copy the Application (client) ID from the app registration's Overview page."
        )
      }
      return .accepted(value.lowercased())
    },
    applies: { _ in true }, isOptional: false, flag: "--client-id",
    environmentVariable: "AZURE_CLIENT_ID", answersKey: "clientId")

  // MARK: credential

  static let credential = Question(
    field: .credential, title: "Credential",
    prompt: "Credential: a client secret or a certificate (secret/certificate)",
    intro: { _ in "How the app proves who it is to Microsoft Entra ID." },
    help: { state in
      """
      Where to find or create it:
        \(portal) > \(appRegistrations) > (app \(state.clientText)) > Certificates & secrets.
        secret       – Client secrets > New client secret; copy the Value column (shown once), not the Secret ID.
        certificate  – Certificates > Upload certificate; give the tool one PEM file with the certificate and its private key.
      """
    },
    defaultValue: { _ in "secret" },
    completions: ["secret", "certificate"],
    validate: { raw, _ in
      let key = raw.lowercased().trimmedSpaces
      if ["secret", "client-secret", "client secret", "s"].contains(key) {
        return .accepted("secret")
      }
      if ["certificate", "cert", "c"].contains(key) { return .accepted("certificate") }
      return .rejected(reason: nil, message: "Answer secret or certificate.")
    },
    applies: { _ in true }, isOptional: false,
    flag:
      "--certificate FILE, or a secret via AZURE_CLIENT_SECRET / --client-secret-file FILE / --client-secret-stdin",
    environmentVariable: nil, answersKey: "credential")

  // MARK: secret

  static let secret = Question(
    field: .secret, title: "Client secret",
    prompt: "Client secret (the Value; typing is not shown)",
    intro: { _ in
      "The secret's Value. It is not shown while you type, not kept in any history and never saved in the profile."
    },
    help: { state in
      """
      Where to find it:
        \(portal) > \(appRegistrations) > (app \(state.clientText)) > Certificates & secrets > Client secrets.
        The Value is shown only right after New client secret; if it was not copied, create a new one.
        Use the Value column, not the Secret ID (a GUID).
      Next time, skip this question with AZURE_CLIENT_SECRET, --client-secret-file FILE or --client-secret-stdin.
      """
    },
    defaultValue: { _ in nil },
    completions: [],
    validate: { raw, _ in
      if let problem = InputValidation.secret(raw, hasCertificate: false) {
        return .rejected(reason: problem.reason, message: problem.detail)
      }
      return .accepted(raw)
    },
    applies: { $0.values[.credential] == "secret" }, isOptional: false,
    flag: "AZURE_CLIENT_SECRET, --client-secret-file FILE or --client-secret-stdin",
    environmentVariable: "AZURE_CLIENT_SECRET", answersKey: nil)

  // MARK: certificate

  static let certificate = Question(
    field: .certificate, title: "Certificate",
    prompt: "PEM file with the certificate and its private key",
    intro: { _ in "One PEM file holding the certificate and its RSA private key." },
    help: { state in
      """
      The same certificate must be uploaded to:
        \(portal) > \(appRegistrations) > (app \(state.clientText)) > Certificates & secrets > Certificates.
      Convert a .pfx with: openssl pkcs12 -in app.pfx -out app.pem -nodes   (then chmod 600 app.pem)
      """
    },
    defaultValue: { _ in nil },
    completions: [],
    validate: { raw, _ in Validation.from(InputValidation.certificateFile(raw)) },
    applies: { $0.values[.credential] == "certificate" }, isOptional: false,
    flag: "--certificate FILE", environmentVariable: "AZURE_CLIENT_CERTIFICATE_PATH",
    answersKey: "certificate")

  // MARK: permissions

  static let permissions = Question(
    field: .permissions, title: "Permissions",
    prompt: "Application permissions added (Tab completes; comma-separated, or none)",
    intro: { _ in
      "Which Business Central application permissions the app registration has: API.ReadWrite.All for the APIs, Automation.ReadWrite.All for the automation APIs."
    },
    help: { state in
      """
      Where to add them:
        \(portal) > \(appRegistrations) > (app \(state.clientText)) > API permissions > Add a permission
          > Microsoft APIs > Dynamics 365 Business Central > Application permissions
          > API.ReadWrite.All and Automation.ReadWrite.All > Add permissions.
        Then choose "Grant admin consent for \(state.tenantText)" on the same page.
      \(consentLine(state))
      Or from Business Central: search Microsoft Entra Applications > the card for \(state.clientText)
        > Grant Consent (needs the redirect URI asked next).
      """
    },
    defaultValue: { _ in "\(BusinessCentral.apiRole), \(BusinessCentral.automationRole)" },
    completions: [BusinessCentral.apiRole, BusinessCentral.automationRole, "none"],
    validate: { raw, _ in
      let items = raw.split(whereSeparator: { $0 == "," || $0 == " " })
        .map { $0.trimmedSpaces }.filter { !$0.isEmpty }
      if items.count == 1, noneWords.contains(items[0].lowercased()) { return .accepted("") }
      var chosen: [String] = []
      for item in items {
        guard let known = knownPermissions.first(where: { $0.lowercased() == item.lowercased() })
        else {
          return .rejected(
            reason: nil,
            message:
              "'\(item)' is not a Business Central application permission. Use \(BusinessCentral.apiRole), \(BusinessCentral.automationRole), or none (Tab completes)."
          )
        }
        if !chosen.contains(known) { chosen.append(known) }
      }
      var notes: [String] = []
      if !chosen.contains(BusinessCentral.apiRole) {
        notes.append(
          "Without \(BusinessCentral.apiRole) Business Central refuses API calls: add it (type ? at this question for where); the checks will show the steps again."
        )
      }
      if !chosen.contains(BusinessCentral.automationRole) {
        notes.append(
          "Without \(BusinessCentral.automationRole) the automation API is left out of the checks.")
      }
      return .accepted(
        chosen.joined(separator: ", "), note: notes.isEmpty ? nil : notes.joined(separator: "\n"))
    },
    applies: { _ in true }, isOptional: false, flag: "--permissions NAMES",
    environmentVariable: nil, answersKey: "permissions")

  // MARK: redirect URI

  static let redirectUri = Question(
    field: .redirectUri, title: "Redirect URI",
    prompt: "Redirect URI (optional; none to skip)",
    intro: { state in
      state.isOnline
        ? "Only needed to grant consent from Business Central (Grant Consent on the Microsoft Entra Application Card). Online it is always \(BusinessCentral.onlineRedirectURI)."
        : "Only needed to grant consent from Business Central (Grant Consent). On-premises it is the web client URL as the browser shows it, plus /OAuthLanding.htm; you can type the web client URL."
    },
    help: { state in
      let example =
        state.isOnline
        ? BusinessCentral.onlineRedirectURI : "https://bc.contoso.com/BC260/OAuthLanding.htm"
      return """
        When it is needed: only if consent is granted with the Grant Consent action in Business Central
        (search Microsoft Entra Applications > the app's card > Grant Consent). If an administrator grants
        consent in the Entra admin center or through the admin consent URL, answer none.
        Where to register it:
          \(portal) > \(appRegistrations) > (app \(state.clientText)) > Authentication
            > Add a platform > Web > Redirect URIs: \(example)
        Rules: https, exact case (/OAuthLanding.htm), no :443\(state.isOnline ? "" : ", the web client URL exactly as in the browser").
        """
    },
    defaultValue: { state in
      state.isOnline ? BusinessCentral.onlineRedirectURI : nil
    },
    completions: [],
    validate: { raw, state in
      let value = raw.trimmedSpaces
      if noneWords.contains(value.lowercased()) || value.isEmpty { return .accepted("") }
      if state.isOnline {
        return .from(InputValidation.redirectURI(value, online: true), value: value)
      }
      // On-premises: accept the web client URL and derive the redirect URI from it.
      let lastSegment = value.split(separator: "/").last.map(String.init)?.lowercased() ?? ""
      if lastSegment != "oauthlanding.htm",
        let derived = InputValidation.onPremRedirectURI(webClientURL: value)
      {
        if let problem = InputValidation.redirectURI(derived, online: false) {
          return .rejected(reason: problem.reason, message: problem.detail)
        }
        return .accepted(derived, note: "Redirect URI derived from the web client URL: \(derived)")
      }
      return .from(InputValidation.redirectURI(value, online: false), value: value)
    },
    applies: { _ in true }, isOptional: true, flag: "--redirect-uri",
    environmentVariable: nil, answersKey: "redirectUri")

  // MARK: environment

  static let environment = Question(
    field: .environment, title: "Environment",
    prompt: "Business Central environment name",
    intro: { _ in "The environment the app works in, by name (for example production or a sandbox)."
    },
    help: { state in
      """
      Where to find it:
        Business Central admin center (https://businesscentral.dynamics.com/\(state.tenantText)/admin) > Environments > Name column.
        It is also in the web client address: https://businesscentral.dynamics.com/\(state.tenantText)/<environment>.
      """
    },
    defaultValue: { state in state.base.environment },
    completions: [],
    validate: { raw, _ in
      let value = raw.trimmedSpaces
      return .from(InputValidation.environment(value), value: value)
    },
    applies: { $0.isOnline }, isOptional: false, flag: "--environment",
    environmentVariable: nil, answersKey: "environment")

  // MARK: server URL

  static let bcUrl = Question(
    field: .bcUrl, title: "Server URL",
    prompt: "Server instance URL (https://server:7048/BC)",
    intro: { _ in
      "The on-premises server instance's OData/API base URL: https://<server>:<OData port>/<instance>."
    },
    help: { _ in
      """
      Where to find it, on the server:
        Get-NAVServerConfiguration -ServerInstance BC -KeyName PublicODataBaseUrl
        Use that address without the trailing /ODataV4, e.g. https://bc.contoso.com:7048/BC.
      The APIs must be enabled (ApiServicesEnabled = true), and ValidAudiences must include https://api.businesscentral.dynamics.com.
      """
    },
    defaultValue: { _ in nil },
    completions: [],
    validate: { raw, _ in Validation.from(InputValidation.serverURL(raw)) },
    applies: { !$0.isOnline }, isOptional: false, flag: "--bc-url",
    environmentVariable: nil, answersKey: "bcUrl")

  // MARK: company

  static let company = Question(
    field: .company, title: "Company",
    prompt: "Company name or id to check (optional; none to skip)",
    intro: { _ in
      "A company to test access to. Without one, the checks list the companies the app can see."
    },
    help: { state in
      """
      Where to find it:
        Business Central > search Companies > Name (for example CRONUS USA, Inc.), or the company id from GET …/api/v2.0/companies.
        Environment: \(state.isOnline ? (state.value(.environment) ?? state.base.environment) : (state.value(.bcUrl) ?? "<server>")).
      """
    },
    defaultValue: { _ in nil },
    completions: [],
    validate: { raw, _ in
      let value = raw.trimmedSpaces
      if noneWords.contains(value.lowercased()) || value.isEmpty { return .accepted("") }
      if value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
        return .rejected(
          reason: nil, message: "The company name contains control characters; type it again.")
      }
      return .accepted(value)
    },
    applies: { _ in true }, isOptional: true, flag: "--company",
    environmentVariable: nil, answersKey: "company")

  // MARK: shared texts

  static func consentLine(_ state: WizardState) -> String {
    if let url = state.settings.adminConsentURL {
      return "Or have an administrator open the admin consent URL:\n  \(url)"
    }
    return "Or have an administrator open the admin consent URL (shown in the summary)."
  }
}
