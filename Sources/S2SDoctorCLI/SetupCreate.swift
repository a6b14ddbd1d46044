import ArgumentParser
import Foundation
import S2SDoctorCore
import S2SDoctorLive
import S2SDoctorReports

#if canImport(Glibc)
  import Glibc
#endif

/// The options of a Graph change made as an administrator (`setup --create`, `fix`).
struct ChangeOptions: ParsableArguments {
  @Flag(help: "Print the planned changes as JSON ({\"schemaVersion\":1,\"changes\":[…]}) and change nothing.")
  var plan = false

  @Flag(help: "Apply without asking (needed when there is no terminal).")
  var yes = false

  @Option(
    name: .customLong("secret-out"),
    help: "Write a new client secret to this file (mode 0600) instead of showing it once on the terminal.")
  var secretOut: String?

  @Option(
    name: .customLong("admin-client-id"),
    help: "Public client the administrator signs in with. Default: \(DeviceCodeSignIn.defaultClientID).")
  var adminClientID: String?

  @Option(name: .customLong("secret-months"), help: "Months until a new secret ends (1-24). Default: 6.")
  var secretMonths = 6

  enum SignIn: String, ExpressibleByArgument, CaseIterable, Sendable {
    case deviceCode = "device-code"
    case browser
  }

  @Option(
    name: .customLong("sign-in"),
    help:
      "How the administrator signs in: device-code, or browser (authorization code with PKCE on a 127.0.0.1 redirect, where Conditional Access blocks device code). Default: device-code."
  )
  var signIn: SignIn = .deviceCode

  @Flag(
    name: .customLong("open-browser"),
    help: "With --sign-in browser: open the sign-in page with $BROWSER or xdg-open (done by itself on a terminal).")
  var openBrowser = false

  var used: Bool { plan || yes || secretOut != nil || adminClientID != nil || signIn != .deviceCode || openBrowser }

  func validate() throws {
    if !(1...24).contains(secretMonths) {
      throw ValidationError("--secret-months must be between 1 and 24 (Entra ID allows at most 24 months).")
    }
    if let adminClientID, !InputValidation.isGUID(adminClientID) {
      throw ValidationError("--admin-client-id must be an application (client) ID GUID.")
    }
    if openBrowser && signIn != .browser {
      throw ValidationError("--open-browser needs --sign-in browser.")
    }
  }
}

/// `setup --create`: Task 1 done for the administrator through Microsoft Graph.
struct CreateOptions: ParsableArguments {
  @Flag(
    help:
      "Create (or complete) the app registration through Microsoft Graph as an administrator (device-code sign-in), then run the checks with it."
  )
  var create = false

  @Option(name: .customLong("app-name"), help: "With --create: the application's display name.")
  var appName = "S2S Doctor - Business Central"

  @Flag(name: .customLong("new-secret"), help: "With --create: add a new secret even when a valid one exists.")
  var newSecret = false

  @OptionGroup var change: ChangeOptions

  func validate() throws {
    if !create && (change.used || newSecret) {
      throw ValidationError(
        "--plan, --yes, --secret-out, --admin-client-id, --sign-in, --open-browser and --new-secret need --create.")
    }
  }
}

enum SetupCreate {
  static func run(connection: ConnectionOptions, options: CreateOptions) async -> Never {
    let (settings, existingSecret): (ConnectionSettings, Secret?)
    do {
      (settings, existingSecret) = try connection.resolve()
    } catch {
      Output.err("s2s-doctor setup --create: \(error)\n")
      terminate(.usage)
    }
    guard let tenant = settings.tenant, InputValidation.tenant(tenant) == nil else {
      Output.err("s2s-doctor setup --create: pass --tenant (the tenant's GUID or verified domain).\n")
      terminate(.usage)
    }
    var roles = [BusinessCentral.apiRole]
    if settings.checkAutomation { roles.append(BusinessCentral.automationRole) }
    if settings.checkAdmin { roles.append(BusinessCentral.adminRole) }
    var request = CreationRequest(
      displayName: options.appName, multiTenant: settings.multiTenant == true, roles: roles,
      redirectURI: settings.redirectURI, secretMonths: options.change.secretMonths, newSecret: options.newSecret)
    if let path = settings.certificatePath {
      // --certificate: upload its public certificate instead of adding a secret.
      do {
        request.certificate = try UploadCertificate(pemFile: path)
      } catch {
        Output.err("s2s-doctor setup --create: \(error.reason): \(error.detail)\n")
        terminate(.usage)
      }
    }
    await execute(
      command: "setup --create", settings: settings, tenant: tenant, existingSecret: existingSecret,
      request: request, change: options.change)
  }

  /// Signs the administrator in, plans, asks (or `--yes`), applies, hands over a new secret and
  /// checks the registration with it. Shared by `setup --create` and `fix`.
  static func execute(
    command: String, settings: ConnectionSettings, tenant: String, existingSecret: Secret?,
    request: CreationRequest, change options: ChangeOptions
  ) async -> Never {
    let terminal = isatty(STDIN_FILENO) == 1 && isatty(STDERR_FILENO) == 1
    if !options.plan && !options.yes && !terminal {
      Output.err(
        "s2s-doctor \(command): without a terminal nothing is changed unless --yes is given (see the changes first with --plan).\n"
      )
      terminate(.usage)
    }
    let mayAddSecret = request.certificate == nil || request.newSecret
    if !options.plan && options.secretOut == nil && !terminal && mayAddSecret {
      Output.err(
        "s2s-doctor \(command): a new client secret can only be shown on a terminal; pass --secret-out FILE.\n")
      terminate(.usage)
    }
    let transport: HTTPTransport
    do {
      transport = try HTTPTransport(caFile: settings.caFile, timeout: settings.timeoutSeconds)
    } catch {
      Output.err("s2s-doctor \(command): \(error)\n")
      terminate(.couldNotTest)
    }

    let creator: RegistrationCreator
    let plan: CreationPlan
    var request = request
    do {
      let token = try await signIn(
        options, transport: transport, settings: settings, tenant: tenant, terminal: terminal)
      if settings.checkAdmin && settings.deployment == .online {
        Output.err("Signing in again, for the Business Central admin center's authorized apps (--admin).\n")
        let center = try await signIn(
          options, transport: transport, settings: settings, tenant: tenant, terminal: terminal,
          scopes: AdminCenterAuthorization.scopes)
        request.adminCenter = AdminCenterAuthorization(
          transport: transport, apiHost: settings.bcAPIHost, token: center)
      }
      creator = RegistrationCreator(transport: transport, graphBase: settings.graphBase, token: token)
      plan = try await creator.plan(request)
    } catch {
      Output.err("s2s-doctor \(command): \(error)\n")
      await transport.shutdown()
      terminate(.couldNotTest)
    }

    if options.plan {
      Output.out(Output.encodeJSON(plan) + "\n")
      await transport.shutdown()
      terminate(.ok)
    }
    if plan.changes.isEmpty {
      Output.err("The registration is already complete: nothing to change.\n")
    } else {
      Output.err("Planned changes in tenant \(tenant):\n")
      for change in plan.changes { Output.err("  • \(change.action) \(change.target): \(change.detail)\n") }
      if !options.yes {
        Output.err("Apply these \(plan.changes.count) changes? [y/N] ")
        let answer = readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        guard answer == "y" || answer == "yes" else {
          Output.err("Nothing was changed.\n")
          await transport.shutdown()
          terminate(.ok)
        }
      }
    }

    let result: CreationResult
    do {
      result = try await creator.apply(request)
    } catch {
      Output.err("s2s-doctor \(command): \(error)\n")
      await transport.shutdown()
      terminate(.checkFailed)
    }
    await transport.shutdown()
    for change in result.applied { Output.err("  ✓ \(change.action) \(change.target): \(change.detail)\n") }
    for note in result.notes { Output.err("  note: \(note)\n") }
    Output.err("Application (client) ID: \(result.appID)\n")

    if let secret = result.secret {
      if !deliver(secret, ends: result.secretEnds, to: options.secretOut, terminal: terminal) {
        terminate(.couldNotTest)
      }
    }
    let secret = result.secret ?? existingSecret
    if result.secret == nil, let certificate = request.certificate, !certificate.hasPrivateKey {
      Output.err(
        "The certificate is uploaded. Run `s2s-doctor check --tenant \(tenant) --client-id \(result.appID) --certificate FILE` with a PEM file holding the certificate and its private key.\n"
      )
      var created = settings
      created.clientID = result.appID
      if let next = ConsoleText.taskTwo(created, width: Output.errorWidth) { Output.err(next) }
      terminate(.ok)
    }
    if secret == nil && (settings.certificatePath == nil || result.secret != nil) {
      Output.err(
        "No new secret was added; run `s2s-doctor check --tenant \(tenant) --client-id \(result.appID)` with the app's secret.\n"
      )
      terminate(.ok)
    }

    var checked = settings
    checked.clientID = result.appID
    if result.secret != nil { checked.certificatePath = nil }
    let report = await checkUntilPropagated(settings: checked, secret: secret)
    Output.out(ConsoleText.report(report, verbose: false, color: Output.useColor) + "\n")
    if let next = ConsoleText.taskTwo(checked, width: Output.errorWidth) { Output.err(next) }
    terminate(report.exitStatus)
  }

  /// Signs the administrator in with the device code (default) or a browser and PKCE.
  static func signIn(
    _ options: ChangeOptions, transport: HTTPTransport, settings: ConnectionSettings, tenant: String, terminal: Bool,
    scopes: [String] = DeviceCodeSignIn.graphScopes
  ) async throws -> AdminToken {
    let clientID = options.adminClientID ?? DeviceCodeSignIn.defaultClientID
    switch options.signIn {
    case .deviceCode:
      Output.err("Signing in as an administrator of \(tenant) (device code).\n")
      return try await DeviceCodeSignIn(
        transport: transport, authorityHost: settings.authorityHost, tenant: tenant, clientID: clientID
      ).signIn(scopes: scopes, prompt: { Output.err($0 + "\n") })
    case .browser:
      Output.err("Signing in as an administrator of \(tenant) (browser: authorization code with PKCE).\n")
      let open = options.openBrowser || terminal
      return try await BrowserSignIn(
        transport: transport, authorityHost: settings.authorityHost, tenant: tenant, clientID: clientID
      ).signIn(scopes: scopes) { url in
        Output.err(
          "Open this address in a browser and sign in; the answer comes back to this machine (127.0.0.1):\n  \(url)\n")
        if open && !BrowserLauncher.open(url) {
          Output.err("Could not start a browser; open the address above yourself.\n")
        }
      }
    }
  }

  /// Shows the secret once on the terminal, or writes it 0600 to `path`. Never through the
  /// redacting output (it would be masked) and never into a report.
  static func deliver(_ secret: Secret, ends: Date?, to path: String?, terminal: Bool) -> Bool {
    let until = ends.map { " (ends \(RegistrationHealth.day($0)))" } ?? ""
    if let path {
      let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0o600)
      guard fd >= 0 else {
        Output.err(
          "s2s-doctor setup --create: cannot write \(path) (errno \(errno)); the secret is lost, run again with --new-secret.\n"
        )
        return false
      }
      fchmod(fd, 0o600)
      let bytes = Array((secret.value + "\n").utf8)
      let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
      close(fd)
      guard written == bytes.count else {
        Output.err("s2s-doctor setup --create: writing \(path) failed.\n")
        return false
      }
      Output.err("The new client secret\(until) is in \(path) (mode 0600). It is shown nowhere else.\n")
      return true
    }
    guard terminal else { return false }
    Output.write(
      "New client secret\(until), shown only this once; store it now (a vault, a pipeline secret):\n  \(secret.value)\n",
      to: STDERR_FILENO)
    return true
  }

  /// Runs the checks with the new credential, again while Entra ID and Business Central have
  /// not yet seen the new app, secret or consent (replication), for up to five minutes.
  static func checkUntilPropagated(settings: ConnectionSettings, secret: Secret?) async -> RunReport {
    let waiting: Set<String> = [
      Reason.entraAppNotFound, Reason.entraSecretInvalid, Reason.tokenRolesMissing, Reason.tokenApiRoleMissing,
      Reason.tokenAutomationRoleMissing, Reason.registrationPermissionNotConsented, Reason.registrationGraphRefused,
      Reason.bcAppNotAccepted,
    ]
    let deadline = Date().addingTimeInterval(300)
    var wait = 2.0
    while true {
      let report = await LiveCheckSuite(settings: settings, secret: secret).run()
      let pending = report.results.contains { $0.reason.map(waiting.contains) == true }
      if !pending || Date().addingTimeInterval(wait) > deadline { return report }
      Output.err("Waiting \(Int(wait)) s for Entra ID to replicate the new registration…\n")
      try? await Task.sleep(for: .seconds(wait))
      wait = min(wait * 2, 30)
    }
  }
}
