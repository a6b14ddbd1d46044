import ArgumentParser
import Dispatch
import Foundation
import S2SDoctorCore
import S2SDoctorLive
import S2SDoctorReports
import S2SDoctorWizard

extension FleetFormat: ExpressibleByArgument {}

struct Fleet: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fleet",
    abstract: "Check many registrations (customer tenants) from an inventory, fast.",
    discussion: """
      INVENTORY is a CSV file with the header name,tenant,clientId,environment,deployment,secretEnv,certificate
      (column names in any case; ',' or ';' between fields) or a JSON array of objects with those keys. 'environment' may list several names separated by ';'.
      'secretEnv' names the environment variable that holds that row's secret: AZURE_CLIENT_SECRET (the \
      default) or S2S_SECRET_<NAME>, e.g. S2S_SECRET_CONTOSO; no other variable is read.
      Malformed rows are reported with their line number and skipped.

      Examples:
        S2S_SECRET_CONTOSO=… S2S_SECRET_FABRIKAM=… s2s-doctor fleet customers.csv
        s2s-doctor fleet customers.json --format csv --output results.csv
      Exit codes: 0 nothing failed · 1 a registration failed · 2 could not test · 64 usage · 130 interrupted.
      """)

  @Argument(help: "The inventory file (CSV or JSON).")
  var inventory: String

  @OptionGroup var connection: ConnectionOptions

  @Option(help: "How many registrations to check at once. Default: 16.")
  var concurrency = 16

  @Option(help: "table, json, junit, markdown or csv. Default: table.")
  var format: FleetFormat = .table

  @Option(help: "Write the report to this file instead of standard output.")
  var output: String?

  func validate() throws {
    guard (1...512).contains(concurrency) else { throw ValidationError("--concurrency must be between 1 and 512.") }
    // Each row names its tenant, client, environment and credential.
    try connection.refuseFlags(["tenant", "client-id", "environment", "certificate"], command: "fleet")
  }

  func run() async throws {
    let data: Data
    do {
      data = try BoundedInput.file(inventory, what: "The inventory \(inventory)")
    } catch {
      throw ValidationError("\(error) Check the path.")
    }
    let parsed: Inventory.Parsed
    do {
      parsed = try Inventory.parse(String(decoding: data, as: UTF8.self), file: inventory)
    } catch {
      throw ValidationError(error.description)
    }
    for problem in parsed.problems { Output.err("\(inventory):\(problem.line): skipped: \(problem.message)\n") }
    var (base, secret) = try connection.resolve()
    base.tenant = nil
    base.clientID = nil
    let environment = Self.secrets(for: parsed.rows, given: secret, environment: ProcessInfo.processInfo.environment)
    let targets = FleetRunner.targets(parsed.rows)
    let runner = FleetRunner(base: base, concurrency: concurrency, environment: environment)

    let showProgress = isatty(STDERR_FILENO) == 1 && !targets.isEmpty
    let progress = ProgressBar(enabled: showProgress)
    let work = Task { await runner.run(targets) { done, total in progress.update(done, total) } }

    // Ctrl-C: stop starting new checks, keep what finished, write it, exit 130.
    signal(SIGINT, SIG_IGN)
    let interrupt = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
    interrupt.setEventHandler { work.cancel() }
    interrupt.resume()
    let result = await work.value
    interrupt.cancel()
    progress.finish()

    let report = FleetReport(
      rows: result.rows, problems: parsed.problems, interrupted: result.interrupted && work.isCancelled)
    let text = FleetText.render(report, format: format)
    writeReport(text, to: output)
    terminate(report.exitStatus)
  }
}

extension Fleet {
  /// The environment the rows read their secrets from. The secret of `--client-secret-file`,
  /// `--client-secret-stdin` (or AZURE_CLIENT_SECRET itself) serves the rows whose secretEnv is
  /// AZURE_CLIENT_SECRET. A variable rows need but nothing set is asked for on a terminal with
  /// echo off (once per variable, not per row); without a terminal, stderr names the safe ways.
  static func secrets(
    for rows: [InventoryRow], given secret: Secret?, environment: [String: String]
  ) -> [String: String] {
    var environment = environment
    if let secret, environment[Inventory.defaultSecretEnv]?.isEmpty != false {
      environment[Inventory.defaultSecretEnv] = secret.value
    }
    var missing: [String] = []
    for row in rows where row.certificate == nil && environment[row.secretEnv]?.isEmpty != false {
      if !missing.contains(row.secretEnv) { missing.append(row.secretEnv) }
    }
    var unanswered: [String] = []
    for name in missing {
      let count = rows.filter { $0.certificate == nil && $0.secretEnv == name }.count
      if SecretPrompt.isAvailable,
        let typed = SecretPrompt.ask(
          "Client secret for \(count) row\(count == 1 ? "" : "s") with secretEnv \(name) (input hidden): ")
      {
        Redactor.shared.register(typed)
        environment[name] = typed
      } else {
        unanswered.append(name)
      }
    }
    if !unanswered.isEmpty {
      Output.err(
        TextLayout.wrap(
          "No secret for the rows with secretEnv \(unanswered.joined(separator: ", ")); they are reported as input.secret-missing. Give it in one of three safe ways: the environment variable itself (\(unanswered.joined(separator: ", "))), --client-secret-file FILE, or --client-secret-stdin (the last two serve the rows with secretEnv \(Inventory.defaultSecretEnv)); or run on a terminal to be asked.",
          indent: "", width: Output.errorWidth) + "\n")
    }
    return environment
  }
}

/// A one-line progress bar on stderr, only on a terminal.
final class ProgressBar: Sendable {
  let enabled: Bool
  init(enabled: Bool) { self.enabled = enabled }

  func update(_ done: Int, _ total: Int) {
    guard enabled, done == total || done % max(1, total / 100) == 0 else { return }
    let width = 30
    let filled = total == 0 ? width : width * done / total
    let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
    FileHandle.standardError.write(Data("\r\(bar) \(done)/\(total)".utf8))
  }

  func finish() {
    if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
  }
}
