import Foundation
import S2SDoctorCore

/// The network side of the wizard, injected by the command (the wizard has no network code).
public struct WizardServices: Sendable {
  /// Looks the tenant up (OpenID discovery); `nil` when it cannot be reached or is unknown.
  public var discoverTenant: @Sendable (_ tenant: String, _ settings: ConnectionSettings) async -> DiscoveredTenant?
  /// Runs the check suite, or only the checks named (empty = all).
  public var runChecks:
    @Sendable (_ settings: ConnectionSettings, _ secret: Secret?, _ only: [String]) async ->
      RunReport
  /// Renders a run for the console.
  public var render: @Sendable (_ report: RunReport, _ color: Bool) -> String
  public var profileStore: ProfileStore

  public init(
    discoverTenant: @escaping @Sendable (String, ConnectionSettings) async -> DiscoveredTenant?,
    runChecks: @escaping @Sendable (ConnectionSettings, Secret?, [String]) async -> RunReport,
    render: @escaping @Sendable (RunReport, Bool) -> String,
    profileStore: ProfileStore
  ) {
    self.discoverTenant = discoverTenant
    self.runChecks = runChecks
    self.render = render
    self.profileStore = profileStore
  }
}

/// Why the wizard stopped without finishing.
public enum WizardFailure: Error, Equatable, Sendable {
  /// Not enough (or unusable) answers without a terminal: exit 64 with this message.
  case usage(String)
  /// Ctrl-D: the person stopped the session.
  case aborted
  /// A signal (Ctrl-C is SIGINT) arrived at a prompt; the terminal is restored. Die by it.
  case interrupted(Int32)
  /// The terminal could not be read (errno).
  case terminal(Int32)

  init(_ error: PromptError) {
    switch error {
    case .endOfInput: self = .aborted
    case .interrupted(let signal): self = .interrupted(signal)
    case .notInteractive(let field):
      self = .usage("setup needs an answer for \(field), and there is no terminal to ask.")
    case .failed(let code): self = .terminal(code)
    }
  }
}

/// How a finished session went.
public struct WizardOutcome: Sendable {
  public var status: ExitStatus
  /// The final results (re-run checks merged in), when checks ran.
  public var report: RunReport?
  public var profilePath: String?
  public var settings: ConnectionSettings
}

/// The guided setup: asks (or takes from flags and the answers file) every value, validates it,
/// shows a summary, saves the profile and runs the checks, then walks through the portal steps
/// that are still open.
public final class SetupWizard {
  private let prompter: Prompter
  private let services: WizardServices
  private let input: WizardInput
  public private(set) var state: WizardState
  private var missing: [String] = []
  private var problems: [String] = []

  public init(prompter: Prompter, input: WizardInput, services: WizardServices) {
    self.prompter = prompter
    self.services = services
    self.input = input
    state = WizardState(base: input.base, profileName: input.profileName)
  }

  private var interactive: Bool { prompter.isInteractive }
  /// With an answers file (or no terminal), every known value and default is taken as is;
  /// only a question with neither is asked, and only on a terminal.
  private var scripted: Bool { !interactive || input.answers != nil }

  public func run() async throws(WizardFailure) -> WizardOutcome {
    guard ProfileStore.isValidName(input.profileName) else {
      throw .usage(
        "'\(input.profileName)' is not a valid profile name: use letters, digits, '-', '_' or '.' (e.g. --profile contoso-prod)."
      )
    }
    if interactive {
      show(
        """
        \(bold("S2S Doctor setup")) — registers a Business Central service-to-service connection, checks it, and saves it as profile "\(input.profileName)".
        At each question: Enter takes the [default], Tab completes, ? shows where to find the value, Ctrl-D or Ctrl-C stops.
        Nothing is saved before you confirm the summary.

        """)
    } else {
      show("S2S Doctor setup (no terminal: answers from \(input.answersFileName ?? "flags")).\n")
    }

    for question in Questions.all where question.applies(state) {
      if question.field == .secret {
        try askSecret(question)
      } else {
        try resolve(question)
      }
      if question.field == .tenant, interactive, state.value(.tenant) != nil {
        await lookUpTenant()
      }
    }
    if !interactive {
      if !missing.isEmpty || !problems.isEmpty { throw .usage(nonInteractiveMessage()) }
      if state.value(.tenant) != nil { await lookUpTenant() }
    }

    show(summary())

    let (save, check) = try confirm()
    if !save && !check {
      show(
        "Nothing saved and no checks run. Run `s2s-doctor setup --profile \(input.profileName)` again at any time.\n"
      )
      return WizardOutcome(status: .ok, report: nil, profilePath: nil, settings: state.settings)
    }

    var profilePath: String?
    var saveFailed = false
    if save {
      let profile = Profile(name: input.profileName, settings: state.settings)
      do {
        try services.profileStore.save(profile)
        profilePath = services.profileStore.path(for: input.profileName)
        show(
          """
          ✓ Saved profile "\(input.profileName)" to \(profilePath!) (readable only by you; the secret is not in it).
            Use it with: s2s-doctor check --profile \(input.profileName)\(state.usesCertificate ? "" : " (give the secret with AZURE_CLIENT_SECRET or --client-secret-file)")

          """)
      } catch {
        saveFailed = true
        show(
          "✗ Could not save the profile: \(error). Check that \(services.profileStore.directory) is writable, then run setup again.\n"
        )
      }
    }

    guard check else {
      show(stillToDo(nil))
      return WizardOutcome(
        status: saveFailed ? .couldNotTest : .ok, report: nil, profilePath: profilePath,
        settings: state.settings)
    }

    show("Running the checks…\n")
    var report = await services.runChecks(state.settings, state.credentialSecret, [])
    show(services.render(report, prompter.usesColor))
    report = try await credentialAgain(after: report, save: save && !saveFailed)
    report = try await portalSteps(after: report)
    show(stillToDo(report))

    var status = report.exitStatus
    if status == .ok && saveFailed { status = .couldNotTest }
    return WizardOutcome(
      status: status, report: report, profilePath: profilePath, settings: state.settings)
  }

  // MARK: Questions

  private func resolve(_ question: Question, fresh: Bool = false) throws(WizardFailure) {
    let prefill = fresh ? nil : input.prefill[question.field]
    var softDefault: Prefill?
    var rejectedPrefill = false
    if let prefill {
      if prefill.isAuthoritative || scripted {
        switch question.validate(prefill.value, state) {
        case .accepted(let value, let note):
          accept(question, value, source: prefill.source, note: note, announce: true)
          return
        case .rejected(let reason, let message):
          if !interactive {
            problems.append(
              "\(origin(of: question, prefill.source)): \(message)\(reason.map { " (\($0))" } ?? "")"
            )
            return
          }
          show(
            "\n✗ \(reason.map { $0 + ": " } ?? "")The \(question.title.lowercased()) from \(describe(prefill.source)) cannot be used. \(message)\n"
          )
          rejectedPrefill = true
        }
      } else if case .accepted = question.validate(prefill.value, state) {
        softDefault = prefill
      }
    }

    if scripted && softDefault == nil && !rejectedPrefill {
      if let value = question.defaultValue(state) {
        switch question.validate(value, state) {
        case .accepted(let value, let note):
          accept(question, value, source: .defaultValue, note: note, announce: false)
          return
        case .rejected(let reason, let message):
          if !interactive {
            problems.append("\(question.flag): \(message)\(reason.map { " (\($0))" } ?? "")")
            return
          }
        }
      } else if question.isOptional {
        accept(question, "", source: .defaultValue, note: nil, announce: false)
        return
      } else if !interactive {
        missing.append(requirement(question))
        return
      }
    }

    show("\n\(bold(question.title)) — \(question.intro(state)) Type ? for help.\n")
    let defaultText =
      softDefault?.value ?? question.defaultValue(state) ?? (question.isOptional ? "none" : nil)
    let defaultSource: ValueSource = softDefault?.source ?? .defaultValue
    while true {
      let raw = try ask(
        PromptRequest(
          field: question.field.rawValue, label: question.prompt, defaultValue: defaultText,
          completions: question.completions))
      let answer = raw.trimmedSpaces
      if answer == "?" {
        show(indent(question.help(state)) + "\n")
        continue
      }
      if answer.isEmpty {
        show("  An answer is needed here. Type ? for where to find it.\n")
        continue
      }
      let typed = defaultText == nil || answer != defaultText
      switch question.validate(answer, state) {
      case .accepted(let value, let note):
        if typed { prompter.remember(answer, field: question.field.rawValue) }
        accept(question, value, source: typed ? .typed : defaultSource, note: note, announce: false)
        return
      case .rejected(let reason, let message):
        show(
          "  ✗ \(reason.map { $0 + ": " } ?? "")\(message)\n    Try again, or type ? for help.\n")
      }
    }
  }

  private func askSecret(_ question: Question, fresh: Bool = false) throws(WizardFailure) {
    if !fresh, let secret = input.secret, let prefill = input.prefill[.secret] {
      let from = secretOrigin(prefill.source)
      switch question.validate(secret.value, state) {
      case .accepted:
        if prefill.isAuthoritative || scripted {
          state.secret = secret
          state.sources[.secret] = prefill.source
          show("  \(question.title): \(secret) (\(from))\n")
          return
        }
      case .rejected(let reason, let message):
        if !interactive {
          problems.append(
            "client secret from \(from): \(message)\(reason.map { " (\($0))" } ?? "")")
          return
        }
        show(
          "\n✗ \(reason.map { $0 + ": " } ?? "")The client secret from \(from) cannot be used. \(message)\n"
        )
      }
    }
    if !interactive {
      missing.append(requirement(question))
      return
    }

    let keep: Secret? = input.secret.flatMap { secret in
      if fresh { return nil }
      if case .accepted = question.validate(secret.value, state) { return secret }
      return nil
    }
    show("\n\(bold(question.title)) — \(question.intro(state)) Type ? for help.\n")
    let label =
      keep.map {
        "\(question.prompt) [Enter keeps \(secretOrigin(input.prefill[.secret]?.source ?? .environment)) \($0)]"
      }
      ?? question.prompt
    while true {
      var bytes: [UInt8]
      do throws(PromptError) {
        bytes = try prompter.askSecret(label)
      } catch {
        throw WizardFailure(error)
      }
      defer { SecretReader.wipe(&bytes) }
      if bytes == [UInt8(ascii: "?")] {
        show(indent(question.help(state)) + "\n")
        continue
      }
      if bytes.isEmpty {
        if let keep {
          state.secret = keep
          state.sources[.secret] = input.prefill[.secret]?.source ?? .environment
          return
        }
        show("  A secret is needed here (or Ctrl-D to stop). Type ? for where to find it.\n")
        continue
      }
      let text = String(decoding: bytes, as: UTF8.self)
      // Registered before anything else can print or store it.
      Redactor.shared.register(text)
      switch question.validate(text, state) {
      case .accepted:
        state.secret = Secret(text)
        state.sources[.secret] = .typed
        show("  Client secret: \(Secret(text)) (typed, \(text.count) characters)\n")
        return
      case .rejected(let reason, let message):
        show("  ✗ \(reason.map { $0 + ": " } ?? "")\(message)\n    Type it again, or ? for help.\n")
      }
    }
  }

  private func accept(
    _ question: Question, _ value: String, source: ValueSource, note: String?, announce: Bool
  ) {
    state.values[question.field] = value
    state.sources[question.field] = source
    if announce {
      show("  \(question.title): \(value.isEmpty ? "none" : value) (\(describe(source)))\n")
    }
    if let note { show(indent(note) + "\n") }
  }

  private func ask(_ request: PromptRequest) throws(WizardFailure) -> String {
    do throws(PromptError) {
      return try prompter.ask(request)
    } catch {
      throw WizardFailure(error)
    }
  }

  // MARK: Tenant look-up

  private func lookUpTenant() async {
    guard let tenant = state.value(.tenant) else { return }
    let settings = state.settings
    show("  Looking up \(tenant) at \(settings.authorityHost)…\n")
    guard let found = await services.discoverTenant(tenant, settings) else {
      state.discovery = nil
      show(
        "  ! Could not look the tenant up (no answer from \(settings.authorityHost)). Continuing; the checks test it again.\n"
      )
      return
    }
    state.discovery = found
    let cloud = found.cloudInstance.map { ", cloud \($0)" } ?? ""
    show("  ✓ Tenant \(tenant) found: tenant ID \(found.tenantID)\(cloud).\n")
    if let instance = found.cloudInstance,
      let expected = Self.authorityHost(forCloudInstance: instance),
      BusinessCentral.clouds.values.contains(settings.authorityHost),
      expected != settings.authorityHost
    {
      let name = BusinessCentral.clouds.first { $0.value == expected }?.key ?? instance
      show(
        "  ! This tenant is in the \(instance) cloud, but the authority host is \(settings.authorityHost). Run setup again with --cloud \(name).\n"
      )
    }
  }

  static func authorityHost(forCloudInstance instance: String) -> String? {
    switch instance.lowercased() {
    case "microsoftonline.com": BusinessCentral.clouds["public"]
    case "microsoftonline.us": BusinessCentral.clouds["usgov"]
    case "partner.microsoftonline.cn", "chinacloudapi.cn": BusinessCentral.clouds["china"]
    default: nil
    }
  }

  // MARK: Summary and confirmation

  func summary() -> String {
    let settings = state.settings
    var rows: [(String, String, String)] = []
    func row(_ title: String, _ value: String, _ source: ValueSource?) {
      rows.append((title, value, source.map(describe) ?? "default"))
    }
    row(
      "Deployment", state.deployment == .online ? "online" : "on-premises",
      state.sources[.deployment])
    var tenant = state.value(.tenant) ?? "–"
    if let found = state.discovery, found.tenantID.lowercased() != tenant.lowercased() {
      tenant += " (tenant ID \(found.tenantID))"
    }
    row("Tenant", tenant, state.sources[.tenant])
    row("Client ID", state.value(.clientId) ?? "–", state.sources[.clientId])
    if state.usesCertificate {
      row(
        "Credential", "certificate \(state.value(.certificate) ?? "–")", state.sources[.certificate]
      )
    } else {
      row(
        "Credential", "client secret \(state.secret.map { "\($0)" } ?? "–")", state.sources[.secret]
      )
    }
    row(
      "Permissions", state.permissions.isEmpty ? "none" : state.permissions.joined(separator: ", "),
      state.sources[.permissions])
    row("Redirect URI", state.value(.redirectUri) ?? "none", state.sources[.redirectUri])
    if state.isOnline {
      row("Environment", settings.environment, state.sources[.environment])
    } else {
      row("Server URL", state.value(.bcUrl) ?? "–", state.sources[.bcUrl])
    }
    row("Company", state.value(.company) ?? "none (all companies)", state.sources[.company])
    if let source = settings.sources["authorityHost"] {
      row("Authority host", settings.authorityHost, source)
    }
    if state.isOnline, let source = settings.sources["bcAPIHost"] {
      row("BC API host", settings.bcAPIHost, source)
    }
    if let ca = settings.caFile { row("CA file", ca, settings.sources["caFile"]) }

    let width = rows.map(\.0.count).max() ?? 10
    var out = "\n\(bold("Summary")) (profile \"\(input.profileName)\")\n"
    for (title, value, source) in rows {
      out +=
        "  " + title.padding(toLength: width, withPad: " ", startingAt: 0)
        + "  \(value)  (\(source))\n"
    }
    if let url = settings.adminConsentURL {
      out +=
        "\nAdmin consent URL for this tenant and client (an administrator opens it once to grant the permissions):\n  \(url)\n"
    }
    out +=
      "\nThe profile is saved to \(services.profileStore.path(for: input.profileName)); the secret is never saved.\n"
    return out
  }

  private func confirm() throws(WizardFailure) -> (save: Bool, check: Bool) {
    let answers = input.answers
    if !interactive || answers?.saveProfile != nil || answers?.runChecks != nil {
      let save = answers?.saveProfile ?? true
      let check = answers?.runChecks ?? true
      show("Save profile: \(save ? "yes" : "no"). Run checks: \(check ? "yes" : "no").\n")
      return (save, check)
    }
    while true {
      let reply = try ask(
        PromptRequest(
          field: nil, label: "Save profile and run checks? (yes/no/save-only/check-only)",
          defaultValue: "yes", completions: ["yes", "no", "save-only", "check-only"]))
      switch reply.trimmedSpaces.lowercased() {
      case "yes", "y": return (true, true)
      case "no", "n": return (false, false)
      case "save-only", "save": return (true, false)
      case "check-only", "check": return (false, true)
      case "?":
        show(
          "  yes: save the profile, then run the checks · save-only: save without checks · check-only: run the checks without saving · no: stop here.\n"
        )
      default:
        show("  Answer yes, no, save-only or check-only.\n")
      }
    }
  }

  // MARK: Credential rejected

  /// Reasons that mean the client secret itself is wrong: ask for it again.
  static let secretReasons: Set<String> = [
    Reason.entraSecretInvalid, Reason.entraSecretExpired, Reason.inputSecretLooksLikeId,
    Reason.inputSecretHasStrayCharacters, Reason.inputSecretMissing,
  ]
  /// Reasons that mean the certificate is wrong: ask for it again.
  static let certificateReasons: Set<String> = [Reason.entraCertificateRejected, Reason.inputCertificateInvalid]

  /// A rejected credential does not end the session: the fix is shown, the secret (or the
  /// certificate) is asked again and the checks run again, until it passes or the person stops.
  private func credentialAgain(after first: RunReport, save: Bool) async throws(WizardFailure) -> RunReport {
    var report = first
    while interactive,
      let rejected = report.results.first(where: { result in
        result.status == .failed
          && (Self.secretReasons.union(Self.certificateReasons)).contains(result.reason ?? "")
      })
    {
      let reason = rejected.reason ?? ""
      let certificate = Self.certificateReasons.contains(reason)
      var text = "\n✗ \(reason): \(rejected.summary ?? rejected.title)\n"
      if let fix = rejected.fix { text += "  Fix: \(fix)\n" }
      text += "  Enter the \(certificate ? "certificate" : "client secret") again (Ctrl-C stops).\n"
      show(text)
      if certificate, let question = Questions.all.first(where: { $0.field == .certificate }) {
        try resolve(question, fresh: true)
        if save { saveAgain() }
      } else if let question = Questions.all.first(where: { $0.field == .secret }) {
        state.secret = nil
        try askSecret(question, fresh: true)
      }
      show("Running the checks again…\n")
      report = await services.runChecks(state.settings, state.credentialSecret, [])
      show(services.render(report, prompter.usesColor))
    }
    return report
  }

  /// The profile again after the certificate changed (it holds the certificate's path).
  private func saveAgain() {
    do {
      try services.profileStore.save(Profile(name: input.profileName, settings: state.settings))
      show("  Profile \"\(input.profileName)\" updated with the new certificate.\n")
    } catch {
      show("✗ Could not update the profile: \(error).\n")
    }
  }

  /// Both portal tasks, every time: the checks can only prove part of them (nothing proves the
  /// description or that SUPER was left out), and a save-only session proves none.
  private func stillToDo(_ report: RunReport?) -> String {
    var out = "\n" + bold("Still to do") + " (each task once per tenant; skip what is already done)\n"
    for (index, step) in PortalSteps.all.enumerated() {
      let proved = report.map { step.isProved($0) } ?? false
      out += "Task \(index + 1) — " + step.text(state)
      if proved { out += "  (This run's checks passed for this task.)\n" }
    }
    return out
  }

  // MARK: Portal steps

  private func portalSteps(after first: RunReport) async throws(WizardFailure) -> RunReport {
    var report = first
    for step in PortalSteps.all where step.isNeeded(report) {
      show("\n" + bold("Still to do in a portal: ") + step.text(state))
      guard interactive else { continue }
      while true {
        let reply = try ask(
          PromptRequest(
            field: nil, label: "Press Enter when done (or type skip)", defaultValue: nil,
            completions: ["skip"]))
        let word = reply.trimmedSpaces.lowercased()
        if word == "skip" || word == "s" { break }
        if word == "?" {
          show(step.text(state))
          continue
        }
        show("Running \(step.checkIDs.joined(separator: ", ")) again…\n")
        let again = await services.runChecks(state.settings, state.credentialSecret, step.checkIDs)
        show(services.render(again, prompter.usesColor))
        report = Self.merge(report, again)
        let results = again.results.filter { step.checkIDs.contains($0.check) }
        if !results.isEmpty, results.allSatisfy({ $0.status == .passed || $0.status == .warning }) {
          show("✓ Done: \(step.title.lowercased()).\n")
          break
        }
        show("Not done yet: see above. Fix it, then press Enter to check again, or type skip.\n")
      }
    }
    return report
  }

  /// The first run with the results of a re-run put in place of the same checks.
  static func merge(_ base: RunReport, _ rerun: RunReport) -> RunReport {
    var merged = base
    for result in rerun.results {
      if let index = merged.results.firstIndex(where: { $0.check == result.check }) {
        merged.results[index] = result
      } else {
        merged.results.append(result)
      }
    }
    merged.summary = Summary(results: merged.results)
    merged.finishedAt = rerun.finishedAt
    return merged
  }

  // MARK: Texts

  private func show(_ text: String) { prompter.show(text) }

  private func bold(_ text: String) -> String {
    prompter.usesColor ? "\u{1B}[1m\(text)\u{1B}[0m" : text
  }

  private func indent(_ text: String) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(
      separator: "\n")
  }

  private func describe(_ source: ValueSource) -> String {
    switch source {
    case .typed: "typed"
    case .flag: "flag"
    case .environment: "environment"
    case .profile: "profile"
    case .defaultValue: "default"
    case .answers: "answers file"
    case .derived: "derived"
    }
  }

  private func origin(of question: Question, _ source: ValueSource) -> String {
    switch source {
    case .answers:
      "\"\(question.answersKey ?? question.field.rawValue)\" in \(input.answersFileName ?? "the answers file")"
    case .environment: question.environmentVariable ?? "the environment"
    case .profile: "profile \(input.profileName)"
    default: question.flag
    }
  }

  private func secretOrigin(_ source: ValueSource) -> String {
    source == .environment ? "AZURE_CLIENT_SECRET" : "--client-secret-file/--client-secret-stdin"
  }

  private func requirement(_ question: Question) -> String {
    if let key = question.answersKey {
      return "\(question.title): \(question.flag) (or \"\(key)\" in the answers file)"
    }
    return "\(question.title): \(question.flag)"
  }

  private func nonInteractiveMessage() -> String {
    var lines = ["setup has no terminal to ask on, and these answers are missing or unusable:"]
    lines += missing.map { "  - missing \($0)" }
    lines += problems.map { "  - \($0)" }
    lines.append("Give them as flags or in the --answers FILE, and run again.")
    return lines.joined(separator: "\n")
  }
}
