import Foundation
import S2SDoctorCore

/// Checks many registrations with bounded concurrency, one shared transport, one token per
/// tenant and client, and per-host 429 back-off. Keeps only one small row per registration,
/// so memory stays flat as the inventory grows.
public struct FleetRunner: Sendable {
  public let base: ConnectionSettings
  public let concurrency: Int
  public let environment: [String: String]
  /// The catalogue every registration is checked and explained with.
  public let catalogue: Catalogue

  public init(
    base: ConnectionSettings, concurrency: Int, environment: [String: String], catalogue: Catalogue = .builtIn
  ) {
    self.base = base
    self.concurrency = max(1, concurrency)
    self.environment = environment
    self.catalogue = catalogue
  }

  public struct Target: Sendable {
    public var row: InventoryRow
    public var environment: String
  }

  public static func targets(_ rows: [InventoryRow]) -> [Target] {
    rows.flatMap { row in row.environments.map { Target(row: row, environment: $0) } }
  }

  /// Runs every target; `progress` is called after each finishes. Cancelling the task stops
  /// starting new targets and returns what finished.
  public func run(_ targets: [Target], progress: @Sendable @escaping (Int, Int) -> Void = { _, _ in }) async
    -> (rows: [FleetRow], interrupted: Bool, tokenRequests: Int)
  {
    let broker = TokenBroker()
    let gate = HostGate()
    let transport: HTTPTransport
    do {
      transport = try HTTPTransport(caFile: base.caFile, timeout: base.timeoutSeconds, gate: gate)
    } catch {
      let detail = (error as? TransportFailure)?.detail ?? "\(error)"
      let reason = (error as? TransportFailure)?.reason ?? Reason.networkUnexpectedResponse
      return (targets.map { row(for: $0, status: .couldNotTest, reason: reason, detail: detail) }, false, 0)
    }
    var rows = [FleetRow?](repeating: nil, count: targets.count)
    var finished = 0
    await withTaskGroup(of: (Int, FleetRow).self) { group in
      var next = 0
      func startNext() {
        guard next < targets.count, !Task.isCancelled else { return }
        let index = next
        let target = targets[index]
        next += 1
        group.addTask { (index, await self.check(target, transport: transport, broker: broker)) }
      }
      for _ in 0..<min(concurrency, targets.count) { startNext() }
      while let (index, row) = await group.next() {
        rows[index] = row
        finished += 1
        progress(finished, targets.count)
        startNext()
      }
    }
    await transport.shutdown()
    let done = rows.compactMap { $0 }
    return (done, done.count < targets.count, await broker.tokenRequests)
  }

  func check(_ target: Target, transport: HTTPTransport, broker: TokenBroker) async -> FleetRow {
    var settings = base
    settings.tenant = target.row.tenant
    settings.clientID = target.row.clientID
    settings.environment = target.environment
    settings.deployment = target.row.deployment
    settings.certificatePath = target.row.certificate
    if settings.deployment == .onprem && settings.bcURL == nil {
      return row(
        for: target, status: .failed, reason: Reason.inputServerUrlInvalid, detail: "on-premises rows need --bc-url",
        settings: settings)
    }
    let secret = target.row.certificate == nil ? environment[target.row.secretEnv].map(Secret.init) : nil
    if let secret { Redactor.shared.register(secret.value) }
    let report = await LiveCheckSuite(
      settings: settings, secret: secret, catalogue: catalogue, transport: transport, broker: broker
    ).run()
    let primary = report.primary
    let status: Status =
      report.summary.failed > 0
      ? .failed
      : report.summary.couldNotTest > 0 ? .couldNotTest : report.summary.warning > 0 ? .warning : .passed
    return row(for: target, status: status, reason: primary?.reason, detail: primary?.detail, settings: settings)
  }

  /// One row: the outcome, the catalogue's fix and who acts on it, the customer's admin consent
  /// URL and, for what a BC administrator mends, the environment's Entra Applications page.
  func row(
    for target: Target, status: Status, reason: String?, detail: String?, settings: ConnectionSettings? = nil
  ) -> FleetRow {
    let definition = reason.flatMap { catalogue.reason($0) }
    var consent = settings ?? base
    consent.tenant = target.row.tenant
    consent.clientID = target.row.clientID
    let page =
      target.row.deployment == .online && reason.map(EntraApplicationsPage.reasons.contains) == true
      ? EntraApplicationsPage(tenant: target.row.tenant, environment: target.environment, clientID: nil)?.url : nil
    return FleetRow(
      name: target.row.name, tenant: target.row.tenant, clientId: target.row.clientID, environment: target.environment,
      status: status, primaryReason: reason, detail: detail.map { Redactor.shared.excerpt($0, limit: 300) },
      line: target.row.line, fix: status == .passed ? nil : definition?.fix,
      whoFixes: status == .passed ? nil : definition?.whoFixes.rawValue, consentUrl: consent.adminConsentURL,
      bcPage: page)
  }
}
