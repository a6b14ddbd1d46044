import ArgumentParser
import Foundation
import S2SDoctorCore
import S2SDoctorLive
import S2SDoctorReports
import S2SDoctorWizard

#if canImport(Glibc)
  import Glibc
#endif

/// `s2s-doctor setup`: the guided set-up on libedit, or a scripted run with `--answers FILE`.
struct Setup: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "setup",
    abstract: "Walk through the registration step by step, then run the checks.",
    discussion: """
      On a terminal, setup asks for each value, explains where to find it (type ? at any \
      question), validates it and saves the result as a profile (never the secret). Without a \
      terminal it never asks: pass --answers FILE, a JSON object with the keys \
      \(AnswersFile.allKeys.joined(separator: ", ")); flags override the file. The secret comes \
      from AZURE_CLIENT_SECRET, --client-secret-file or --client-secret-stdin.

      Examples:
        s2s-doctor setup
        s2s-doctor setup --profile contoso-prod --tenant contoso.onmicrosoft.com
        s2s-doctor setup --answers answers.json --client-secret-file secret.txt
      Exit codes: 0 checks passed · 1 a check failed · 2 could not test · 64 usage error · \
      130 interrupted.
      """)

  enum Format: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
  }

  @OptionGroup var connection: ConnectionOptions

  @OptionGroup(title: "Creating the registration (--create)") var creation: CreateOptions

  @Option(
    help:
      "Answers for a scripted run (JSON object; see above). Needed when standard input is not a terminal."
  )
  var answers: String?

  @Option(
    help: "text, or json to also print the final report as JSON on standard output. Default: text.")
  var format: Format = .text

  @Option(
    help: ArgumentHelp(
      "Application permissions already added (comma-separated), e.g. API.ReadWrite.All,Automation.ReadWrite.All, or none.",
      valueName: "names"))
  var permissions: String?

  @Flag(name: .shortAndLong, help: "Show evidence for each check.")
  var verbose = false

  static let valueFlags = [
    "--deployment online|onprem", "--tenant ID|DOMAIN", "--client-id ID",
    "--environment NAME (online)", "--bc-url URL (on-premises)", "--company NAME",
    "--redirect-uri URI", "--certificate FILE", "--permissions NAMES", "--profile NAME",
  ]

  func run() async throws {
    if creation.create { await SetupCreate.run(connection: connection, options: creation) }
    let env = ProcessInfo.processInfo.environment
    let interactive = isatty(STDIN_FILENO) == 1 && isatty(STDERR_FILENO) == 1
    let profileName = connection.profile ?? "default"

    // No terminal and no answers file: never prompt, say what to pass instead.
    if !interactive && answers == nil {
      Output.err(Self.usageWithoutTerminal(stdinIsTerminal: isatty(STDIN_FILENO) == 1))
      terminate(.usage)
    }

    var answersFile: AnswersFile?
    if let answers {
      do {
        answersFile = try AnswersFile.load(path: answers)
      } catch {
        Output.err("s2s-doctor setup: \(error)\n")
        terminate(.usage)
      }
    }

    // The profile named here is the one to write; an existing one only gives defaults.
    var options = connection
    options.profile = nil
    var (settings, secret) = try options.resolve(environment: env)
    if let permissions {
      // Checked like a typed answer by the wizard (unknown names are a usage error).
      settings.permissions = permissions.split(separator: ",").map {
        $0.trimmedSpaces
      }.filter { !$0.isEmpty }
      settings.sources["permissions"] = .flag
    }
    let store = ProfileStore(environment: env)
    var existing: Profile?
    if ProfileStore.isValidName(profileName),
      FileManager.default.fileExists(atPath: store.path(for: profileName))
    {
      do {
        existing = try store.load(profileName)
      } catch {
        Output.err("! \(error) Its values are not used; setup replaces it.\n")
      }
    }

    let input = WizardInput.make(
      settings: settings, secret: secret, existingProfile: existing, answers: answersFile,
      answersFileName: answers, profileName: profileName)

    let prompter: any Prompter
    if interactive,
      let terminal = TerminalPrompter(
        historyDirectory: WizardPaths.historyDirectory(environment: env))
    {
      prompter = terminal
    } else {
      prompter = PlainPrompter()
    }

    let verbose = self.verbose
    let services = WizardServices(
      discoverTenant: Self.discoverTenant,
      runChecks: Self.runChecks,
      render: { report, color in
        ConsoleText.report(report, verbose: verbose, color: color, width: Output.errorWidth) + "\n"
      },
      profileStore: store)

    let wizard = SetupWizard(prompter: prompter, input: input, services: services)
    let outcome: WizardOutcome
    do throws(WizardFailure) {
      outcome = try await wizard.run()
    } catch {
      switch error {
      case .usage(let message):
        Output.err("s2s-doctor setup: \(message)\n")
        terminate(.usage)
      case .aborted:
        TerminalGuard.restore()
        Output.err("\nStopped (Ctrl-D). Nothing more was saved.\n")
        terminate(.interrupted)
      case .interrupted(let signal):
        Output.err("\nInterrupted. Nothing more was saved.\n")
        TerminalGuard.exitBySignal(signal)
      case .terminal(let code):
        TerminalGuard.restore()
        Output.err(
          "s2s-doctor setup: cannot read the terminal (\(String(cString: strerror(code)))).\n")
        terminate(.couldNotTest)
      }
    }
    if let next = ConsoleText.taskTwo(outcome.settings, width: Output.errorWidth) { Output.err("\n" + next) }
    if format == .json, let report = outcome.report {
      Output.out(Output.encodeJSON(report))
    }
    terminate(outcome.status)
  }

  /// Live OpenID discovery, through the check runner's network layer.
  @Sendable static func discoverTenant(_ tenant: String, _ settings: ConnectionSettings) async
    -> DiscoveredTenant?
  {
    guard
      let found = await LiveCheckSuite.discoverTenant(
        tenant, authorityHost: settings.authorityHost, caFile: settings.caFile,
        timeout: settings.timeoutSeconds)
    else { return nil }
    return DiscoveredTenant(tenantID: found.tenantID, cloudInstance: found.cloudInstance)
  }

  /// The live check suite: all checks, or only those of one portal step.
  @Sendable static func runChecks(
    _ settings: ConnectionSettings, _ secret: Secret?, _ only: [String]
  ) async -> RunReport {
    await LiveCheckSuite(settings: settings, secret: secret).run(only: only)
  }

  static func usageWithoutTerminal(stdinIsTerminal: Bool) -> String {
    let which = stdinIsTerminal ? "standard error" : "standard input"
    return """
      s2s-doctor setup: \(which) is not a terminal, so setup will not ask questions.
      For a scripted run, pass --answers FILE: a JSON object with the keys
        \(AnswersFile.allKeys.joined(separator: ", "))
      These flags override the file: \(valueFlags.joined(separator: ", ")).
      The secret is never in the file: set AZURE_CLIENT_SECRET, or pass --client-secret-file FILE or --client-secret-stdin.
      Example:
        echo '{"tenant":"contoso.onmicrosoft.com","clientId":"…","credential":"secret","runChecks":true}' > answers.json
        AZURE_CLIENT_SECRET=… s2s-doctor setup --answers answers.json --profile contoso
      To check without saving a profile: s2s-doctor check --tenant … --client-id …

      """
  }
}
