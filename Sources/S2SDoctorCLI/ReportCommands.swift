import ArgumentParser
import Foundation
import S2SDoctorCore
import S2SDoctorReports

extension ReportFormat: ExpressibleByArgument {}

/// Writes a finished report to `path`, or to standard output when `path` is nil or `-`.
///
/// Shared by every `--output` (`check`, `report`, `fleet`, `export http`). The text has been
/// redacted by the renderer; it passes through the redactor once more on its way out. Files are
/// written by `SafeFile.writeOutput` (0600, atomic; devices and FIFOs written in place). A path
/// that cannot be written, or standard output failing, ends the command with a message and exit
/// code 64: a report is never lost behind exit 0.
func writeReport(_ text: String, to path: String?) {
  guard let path, path != "-" else {
    guard Output.out(text) else {
      let reason = String(cString: strerror(errno))
      Output.err("Cannot write the report to standard output: \(reason).\n")
      terminate(.usage)
    }
    return
  }
  do {
    try SafeFile.writeOutput(Data(Redactor.shared.redact(text).utf8), to: path)
  } catch {
    Output.err("\(error)\n")
    terminate(.usage)
  }
}

/// Prints `error` (which names the file) and exits 64.
private func fail(_ error: Error) -> Never {
  Output.err("\(error)\n")
  terminate(.usage)
}

/// `s2s-doctor report RUN.json`: re-render a saved run without running the checks again.
struct Report: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Re-render a saved JSON run report in another format.",
    discussion: """
      Reads a run saved with `s2s-doctor check --format json --output RUN.json` and writes it again \
      as console text, JSON, Markdown, HTML, JUnit XML or a short ticket text, or through your own \
      Mustache template. No check runs and nothing is sent over the network.

      Examples:
        s2s-doctor report run.json --format markdown | pbcopy
        s2s-doctor report run.json --format html --output report.html
        s2s-doctor report run.json --format junit --output s2s-doctor.junit.xml
        s2s-doctor report run.json --template my-ticket.mustache --redact-ids
        s2s-doctor report run.json --print-context     # what a template can read

      Secrets and tokens never reach a report; with --redact-ids the tenant and client ids are \
      shortened to their last four characters as well.
      Exit codes: 0 written · 64 unreadable, invalid or unsupported run report or template.
      """)

  @Argument(
    help: ArgumentHelp("The run report to render (check --format json).", valueName: "RUN.json"))
  var runFile: String

  @Option(help: "The output format.")
  var format: ReportFormat = .console

  @Option(
    help: ArgumentHelp(
      "Write the report to this file instead of standard output.", valueName: "FILE"))
  var output: String?

  @Option(
    help: ArgumentHelp(
      "Render with this Mustache template (see Templates/README.md) instead of --format.",
      valueName: "FILE"))
  var template: String?

  @Flag(
    name: .customLong("redact-ids"),
    help: "Shorten the tenant and client ids to their last four characters.")
  var redactIDs = false

  @Flag(name: .shortAndLong, help: "Console format: show passed details, steps and evidence.")
  var verbose = false

  @Flag(
    name: .customLong("print-context"),
    help: "Print the JSON context that templates read, then stop.")
  var printContext = false

  func validate() throws {
    if template != nil && format != .console {
      throw ValidationError("Use either --format or --template, not both.")
    }
  }

  func run() throws {
    let report: RunReport
    do {
      report = try ReportRenderer.load(runReportAt: runFile)
    } catch {
      fail(error)
    }
    let text: String
    do {
      if printContext {
        text = try ReportRenderer.contextJSON(report, redactIDs: redactIDs)
      } else if let template {
        text = try ReportRenderer.render(report, templateFile: template, redactIDs: redactIDs)
      } else {
        let color = output == nil && format == .console && Output.useColor
        text = try ReportRenderer.render(
          report, format: format, redactIDs: redactIDs, verbose: verbose, color: color,
          width: output == nil ? Output.width : ConsoleText.defaultWidth)
      }
    } catch {
      fail(error)
    }
    writeReport(text, to: output)
  }
}

/// `s2s-doctor export http`.
struct Export: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Export this registration for other tools.",
    subcommands: [ExportHTTP.self])
}

struct ExportHTTP: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "http",
    abstract:
      "Write a REST Client (.http) file with the token request and Business Central API calls.",
    discussion: """
      The file works with the VS Code REST Client extension: an app-only token request, list \
      companies, then get, create, modify and delete a customer, like Microsoft's S2SAccess.rest \
      sample. The client secret is never written, even when AZURE_CLIENT_SECRET is set: the file \
      has `@clientSecret = <paste the secret value here>` for you to fill in.

      Example:
        s2s-doctor export http --tenant contoso.onmicrosoft.com --client-id 3f2a…
        s2s-doctor export http --profile contoso-prod --environment sandbox --output bc.http
      Exit codes: 0 written · 64 usage error (tenant or client id missing).
      """)

  @OptionGroup var connection: ConnectionOptions

  @Option(help: ArgumentHelp("Write the file here instead of standard output.", valueName: "FILE"))
  var output: String?

  func validate() throws {
    try connection.refuseFlags(
      except: [
        "tenant", "client-id", "environment", "company", "deployment", "bc-url", "allow-http-bc-url",
        "server-tenant", "authority-host", "cloud", "bc-api-host", "profile",
      ], command: "export http")
  }

  func run() throws {
    // The file must never carry the secret: its sources are not even read.
    let settings = connection.secretlessSettings(for: "export http")
    writeReport(
      RestClientExport.render(settings, toolVersion: S2SDoctorCommand.version), to: output)
  }
}

/// `s2s-doctor consent-url`.
struct ConsentURL: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "consent-url",
    abstract: "Print the admin consent URL for this tenant and client.",
    discussion: """
      Send the URL to an administrator of the tenant (Global, Application or Cloud Application \
      Administrator). Opening it grants the app's application permissions in that tenant and \
      creates its service principal there. With --redirect-uri, Entra ID returns to that address \
      afterwards (it must be registered on the app).

      Example:
        s2s-doctor consent-url --tenant 72f988bf-… --client-id 3f2a…
      Exit codes: 0 printed · 64 usage error (tenant or client id missing).
      """)

  @OptionGroup var connection: ConnectionOptions

  func validate() throws {
    try connection.refuseFlags(
      except: ["tenant", "client-id", "redirect-uri", "authority-host", "cloud", "deployment", "profile"],
      command: "consent-url")
  }

  func run() throws {
    let settings = connection.secretlessSettings(for: "consent-url")
    // A URL with a wrong tenant, client id or redirect URI would be sent to a customer's admin
    // and fail there; say what to change here instead.
    let problems = [
      InputValidation.tenant(settings.tenant ?? ""), InputValidation.clientID(settings.clientID ?? ""),
      settings.redirectURI.flatMap { InputValidation.redirectURI($0, online: settings.deployment == .online) },
    ].compactMap { $0 }
    if !problems.isEmpty {
      for problem in problems { Output.err("consent-url: \(problem.detail) (\(problem.reason))\n") }
      terminate(.usage)
    }
    guard let url = settings.adminConsentURL else {
      Output.err("Cannot build a consent URL from the authority host \(settings.authorityHost).\n")
      terminate(.usage)
    }
    Output.out(url + "\n")
  }
}

extension ConnectionOptions {
  /// The settings without reading any secret source (flag file, stdin, AZURE_CLIENT_SECRET),
  /// for commands whose output is shared; exits 64 naming a missing tenant or client id.
  func secretlessSettings(for command: String) -> ConnectionSettings {
    var options = self
    options.clientSecretFile = nil
    options.clientSecretStdin = false
    var environment = ProcessInfo.processInfo.environment
    environment["AZURE_CLIENT_SECRET"] = nil
    let settings: ConnectionSettings
    do {
      settings = try options.resolve(environment: environment).settings
    } catch {
      fail(error)
    }
    if let missing = missingIdentifiers(settings) {
      Output.err("\(command) needs \(missing).\n")
      terminate(.usage)
    }
    return settings
  }
}

/// Names the missing tenant and client id flags, or nil when both are set.
func missingIdentifiers(_ settings: ConnectionSettings) -> String? {
  var missing: [String] = []
  if (settings.tenant ?? "").trimmedSpaces.isEmpty {
    missing.append("--tenant (or AZURE_TENANT_ID)")
  }
  if (settings.clientID ?? "").trimmedSpaces.isEmpty {
    missing.append("--client-id (or AZURE_CLIENT_ID)")
  }
  return missing.isEmpty ? nil : missing.joined(separator: " and ")
}
