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
  let prompter: Prompter
  let services: WizardServices
  let input: WizardInput
  public internal(set) var state: WizardState
  var missing: [String] = []
  var problems: [String] = []

  public init(prompter: Prompter, input: WizardInput, services: WizardServices) {
    self.prompter = prompter
    self.services = services
    self.input = input
    state = WizardState(base: input.base, profileName: input.profileName)
  }

  var interactive: Bool { prompter.isInteractive }
  /// With an answers file (or no terminal), every known value and default is taken as is;
  /// only a question with neither is asked, and only on a terminal.
  var scripted: Bool { !interactive || input.answers != nil }

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

}
