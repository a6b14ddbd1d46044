import ArgumentParser
import Foundation
import S2SDoctorCore
import S2SDoctorEmulator
import S2SDoctorLive
import S2SDoctorOnPrem
import S2SDoctorReports
import S2SDoctorWizard

/// Output options shared by `check` and `report`.
struct OutputOptions: ParsableArguments {
  @Option(help: "console, json, markdown, html, junit or text. Default: console.")
  var format: ReportFormat = .console

  @Option(
    help:
      "Write the report to this file (atomically, mode 0600; a device or FIFO is written in place) instead of standard output."
  )
  var output: String?

  @Option(help: "Render this Mustache template instead of a built-in format (see Templates/README.md).")
  var template: String?

  @Flag(name: .customLong("redact-ids"), help: "Also mask tenant and client ids in the report.")
  var redactIDs = false

  @Flag(name: .shortAndLong, help: "Show evidence (status codes, correlation ids, claims) and every fix step.")
  var verbose = false

  /// Renders and writes `report`; files are written atomically with mode 0600.
  func emit(_ report: RunReport) throws {
    let text: String
    if let template {
      text = try ReportRenderer.render(report, templateFile: template, redactIDs: redactIDs)
    } else {
      let color = output == nil && format == .console && Output.useColor
      text = try ReportRenderer.render(
        report, format: format, redactIDs: redactIDs, verbose: verbose, color: color,
        width: output == nil ? Output.width : ConsoleText.defaultWidth)
    }
    writeReport(text, to: output)
  }
}

struct Check: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check",
    abstract: "Run the check suite against one registration and say how to fix what fails.",
    discussion: """
      The secret comes from AZURE_CLIENT_SECRET, --client-secret-file or --client-secret-stdin, \
      never from a flag value; on a terminal, check asks for it when none is given.

      Examples:
        s2s-doctor check --profile contoso-prod
        s2s-doctor check --tenant contoso.onmicrosoft.com --client-id 3f2a…
        s2s-doctor check --profile contoso-prod --format markdown --output ticket.md
        s2s-doctor check --profile bc230-onprem --server-config CustomSettings.config
      Exit codes: 0 nothing failed (warnings allowed) · 1 a check failed · 2 could not test · \
      64 usage error · 130 interrupted.
      """)

  @OptionGroup var connection: ConnectionOptions
  @OptionGroup var output: OutputOptions
  @OptionGroup var checkFolders: CheckFolderOptions

  @Option(
    name: .customLong("check"),
    help: "Run only these checks or areas (comma-separated ids or areas), with their prerequisites.")
  var only: [String] = []

  @Option(help: "Skip these checks or areas (comma-separated); their dependents are skipped too.")
  var skip: [String] = []

  @Option(
    name: .customLong("record-fixtures"),
    help: ArgumentHelp(
      "Record this run as check fixtures under this folder (<check>/fixtures/<outcome>--<name>.json).",
      discussion:
        "Requests keep only method and URL; tokens keep only their claims; a certificate is not kept (replay signs with a throwaway one). For the emulator.",
      valueName: "dir"))
  var recordFixtures: String?

  @Option(name: .customLong("fixture-name"), help: "The name part of recorded fixture files.")
  var fixtureName: String = "recorded"

  func run() async throws {
    if let template = output.template {
      do {
        try ReportRenderer.validateTemplate(file: template)
      } catch {
        throw ValidationError("\(error)")
      }
    }
    var (settings, secret) = try connection.resolve()
    // Nothing says what to check: that is a usage error, and setup is where to start.
    if settings.tenant == nil && settings.clientID == nil && settings.bcURL == nil {
      throw ValidationError(
        "Nothing to check: give --tenant and --client-id (or AZURE_TENANT_ID and AZURE_CLIENT_ID), or --profile NAME. New here? Run `s2s-doctor setup`, which asks for each value and saves a profile."
      )
    }
    // Nothing gave a credential: on a terminal, ask for the secret (echo off) instead of failing.
    if secret == nil, settings.certificatePath == nil, SecretPrompt.isAvailable,
      let typed = SecretPrompt.ask("Client secret (input hidden): ")
    {
      Redactor.shared.register(typed)
      secret = Secret(typed)
      settings.sources["secret"] = .typed
    }
    if let path = settings.serverConfig {
      // A file that is not a server configuration is a usage error, reported before any check.
      do {
        _ = try ServerConfiguration.load(path: path)
      } catch {
        throw ValidationError("\(error)")
      }
    }
    let catalogue = try checkFolders.catalogue()
    let selectors = (only + skip).flatMap { $0.split(separator: ",").map(String.init) }
    for selector in selectors
    where catalogue.check(selector) == nil && !catalogue.checks.contains(where: { $0.area == selector }) {
      throw ValidationError("'\(selector)' is neither a check id nor an area. List them with `s2s-doctor checks`.")
    }
    var recorder: RecordingTransport?
    if recordFixtures != nil {
      guard Catalogue.isFixtureName(fixtureName) else {
        throw ValidationError("--fixture-name must be letters, digits and '-' ('\(fixtureName)' is not).")
      }
      recorder = RecordingTransport(
        try HTTPTransport(
          caFile: settings.caFile, timeout: settings.timeoutSeconds,
          cleartextOrigin: settings.allowHTTPBCURL == true ? settings.bcURL : nil))
    }
    let suite = LiveCheckSuite(settings: settings, secret: secret, catalogue: catalogue, transport: recorder)
    let report = await suite.run(
      only: only.flatMap { $0.split(separator: ",").map(String.init) },
      skip: skip.flatMap { $0.split(separator: ",").map(String.init) })
    if let recorder, let folder = recordFixtures {
      await recorder.shutdown()
      let written = try FixtureWriter.write(
        report: report, exchanges: await recorder.exchanges, settings: settings, secret: secret,
        folder: folder, name: fixtureName)
      Output.err("recorded \(written.count) fixture\(written.count == 1 ? "" : "s") under \(folder)\n")
    }
    try output.emit(report)
    terminate(report.exitStatus)
  }
}

struct Demo: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "demo",
    abstract: "Start the built-in emulator and show what a healthy and a few typical broken registrations look like.")

  @Option(help: "Scenarios to show (comma-separated). Default: a tour of typical failures.")
  var scenarios: [String] = []

  @Flag(name: .shortAndLong, help: "Show evidence for each check.")
  var verbose = false

  static let tour = [
    "ok", Reason.entraSecretInvalid, Reason.inputSecretLooksLikeId, Reason.tokenRolesMissing,
    Reason.bcAppNotAccepted, Reason.bcPermissionMissing,
  ]

  func run() async throws {
    let emulator = try Emulator(options: EmulatorOptions())
    let info = try await emulator.start()
    let names = scenarios.isEmpty ? Self.tour : scenarios.flatMap { $0.split(separator: ",").map(String.init) }
    // An unknown scenario is a usage error, reported before anything runs.
    if let unknown = names.first(where: { info.scenarios[$0] == nil }) {
      await emulator.stop()
      throw ValidationError(
        "No scenario named '\(unknown)'. Known: \(info.scenarios.keys.sorted().joined(separator: ", ")).")
    }
    Output.out(
      ConsoleText.wrap(
        """
        S2S Doctor demo: a local Entra ID and Business Central emulator is running at \(info.baseURL).
        Each registration below is checked exactly as `s2s-doctor check` would check a real one.
        """, indent: "", width: Output.width) + "\n\n")
    var worst = ExitStatus.ok
    for name in names {
      guard let scenario = info.scenarios[name] else {
        Output.err("No scenario named '\(name)'. Known: \(info.scenarios.keys.sorted().joined(separator: ", "))\n")
        continue
      }
      let options = try ConnectionOptions.parse(scenario.args)
      let (settings, secret) = try options.resolve(environment: scenario.env)
      Output.out(
        ConsoleText.wrap("━━━ Scenario \(name): expecting \(scenario.expect) ━━━", indent: "", width: Output.width)
          + "\n")
      let report = await LiveCheckSuite(settings: settings, secret: secret).run()
      Output.out(ConsoleText.report(report, verbose: verbose, color: Output.useColor, width: Output.width) + "\n")
      if report.exitStatus.rawValue > worst.rawValue { worst = report.exitStatus }
    }
    await emulator.stop()
    Output.out(
      TextLayout.wrapLines(
        """
        That was the tour. Try it yourself against the emulator:
          s2s-doctor emulate
            (prints the scenarios with their flags, then serves them)
          s2s-doctor explain AADSTS7000215
          s2s-doctor checks

        """, width: Output.width))
  }
}
