import Foundation
import S2SDoctorCore

/// Shares discovery and tokens between the registrations of one fleet run.
///
/// The key always holds the authority, the tenant and the client, so a token can serve the
/// environments of one tenant but never crosses to another tenant.
public actor TokenBroker {
  private var discoveries: [String: Task<Result<TenantDiscovery, LiveSession.OutcomeError>, Never>] = [:]
  private var tokens: [String: Task<Result<TokenGrant, LiveSession.OutcomeError>, Never>] = [:]
  private var registrations: [String: Task<Result<RegistrationSnapshot, LiveSession.OutcomeError>, Never>] = [:]
  public private(set) var tokenRequests = 0

  public init() {}

  func discovery(
    key: String, make: @Sendable @escaping () async -> Result<TenantDiscovery, LiveSession.OutcomeError>
  ) async -> Result<TenantDiscovery, LiveSession.OutcomeError> {
    if let task = discoveries[key] { return await task.cancellableValue }
    let task = Task { await make() }
    discoveries[key] = task
    return await task.cancellableValue
  }

  /// The app's registration as Graph shows it: read once per authority, tenant, client and
  /// credential, like the token (a fleet's rows for one app and tenant share one Graph read).
  func registration(
    key: String, make: @Sendable @escaping () async -> Result<RegistrationSnapshot, LiveSession.OutcomeError>
  ) async -> Result<RegistrationSnapshot, LiveSession.OutcomeError> {
    if let task = registrations[key] { return await task.cancellableValue }
    let task = Task { await make() }
    registrations[key] = task
    return await task.cancellableValue
  }

  func token(key: String, make: @Sendable @escaping () async -> Result<TokenGrant, LiveSession.OutcomeError>) async
    -> Result<TokenGrant, LiveSession.OutcomeError>
  {
    if let task = tokens[key] { return await task.cancellableValue }
    tokenRequests += 1
    let task = Task { await make() }
    tokens[key] = task
    return await task.cancellableValue
  }
}

extension Task where Failure == Never {
  /// The task's value, awaited so that cancelling the waiter cancels the task: discovery and the
  /// token are shared work, and a check's time limit must be able to end them (a waiter that
  /// ignored cancellation kept its check, and the run, going for as long as a server dripped).
  var cancellableValue: Success {
    get async {
      await withTaskCancellationHandler {
        await value
      } onCancel: {
        cancel()
      }
    }
  }
}

/// Remembers per host until when a 429's Retry-After asks clients to wait.
public actor HostGate {
  private var blockedUntil: [String: ContinuousClock.Instant] = [:]
  public let maxWait: Duration

  public init(maxWait: Duration = .seconds(30)) { self.maxWait = maxWait }

  public func wait(for host: String) async {
    guard let until = blockedUntil[host] else { return }
    let now = ContinuousClock.now
    if until > now { try? await Task.sleep(until: min(until, now + maxWait), clock: .continuous) }
  }

  /// Records a 429; returns how long to wait before one retry, or nil when not worth retrying.
  public func throttled(host: String, retryAfter: String?) -> Duration? {
    guard let retryAfter, let seconds = Double(retryAfter.trimmedSpaces), seconds >= 0 else {
      return nil
    }
    let wait = Duration.milliseconds(Int64(seconds * 1000))
    guard wait <= maxWait else { return nil }
    let until = ContinuousClock.now + wait
    if let current = blockedUntil[host], current > until { return wait }
    blockedUntil[host] = until
    return wait
  }
}
