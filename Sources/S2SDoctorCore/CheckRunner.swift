import Foundation
import Synchronization

/// Runs checks concurrently, each after its prerequisites, and reports them in catalogue order.
///
/// A check whose prerequisite did not pass is skipped (and says which prerequisite); a check that
/// throws or exceeds its time limit becomes `could-not-test`. No check can stop the run.
public struct CheckRunner: Sendable {
  public typealias Probe = @Sendable (CheckDeclaration) async throws -> Outcome

  public let catalogue: Catalogue
  public let timeLimit: Duration

  public init(catalogue: Catalogue, timeLimit: Duration = .seconds(30)) {
    self.catalogue = catalogue
    self.timeLimit = timeLimit
  }

  /// Picks the checks to run: `only` (ids or areas) plus their prerequisites, minus `skip`.
  /// Checks that are removed are reported as skipped, never silently dropped.
  public func select(
    only: [String], skip: [String], applies: (CheckDeclaration) -> Bool
  ) -> (run: [CheckDeclaration], skipped: [String: String]) {
    func matches(_ check: CheckDeclaration, _ selectors: [String]) -> Bool {
      selectors.contains { $0 == check.id || $0 == check.area }
    }
    var wanted = Set<String>()
    if only.isEmpty {
      wanted = Set(catalogue.checks.filter(applies).map(\.id))
    } else {
      var queue = catalogue.checks.filter { matches($0, only) }.map(\.id)
      while let id = queue.popLast() {
        guard wanted.insert(id).inserted, let check = catalogue.check(id) else { continue }
        queue.append(contentsOf: check.requires)
      }
    }
    var skipped: [String: String] = [:]
    for check in catalogue.checks where wanted.contains(check.id) && matches(check, skip) {
      skipped[check.id] = Self.skippedOnRequest + " (--skip)"
    }
    // The checks that --check left out are reported too, so that the verdict can say what was
    // not verified.
    if !only.isEmpty {
      for check in catalogue.checks where !wanted.contains(check.id) && applies(check) {
        skipped[check.id] = Self.skippedOnRequest + " (not in --check)"
        wanted.insert(check.id)
      }
    }
    let run = catalogue.checks.filter { wanted.contains($0.id) }
    return (run, skipped)
  }

  /// Reasons whose failure lets dependent checks run; the probe that does need what is missing
  /// says so itself.
  public static let partialReasons: Set<String> = [Reason.tokenAutomationRoleMissing]

  /// How a check left out on request starts its detail.
  public static let skippedOnRequest = "skipped on request"

  public func run(
    _ checks: [CheckDeclaration], skipped preset: [String: String] = [:], probe: @escaping Probe
  ) async -> [CheckResult] {
    var tasks: [String: Task<CheckResult, Never>] = [:]
    let catalogue = self.catalogue
    let limit = timeLimit
    for check in checks {
      let prerequisites = check.requires.compactMap { id in tasks[id].map { (id, $0) } }
      let missing = check.requires.filter { id in !checks.contains { $0.id == id } }
      let presetReason = preset[check.id]
      tasks[check.id] = Task {
        if let presetReason {
          return CheckResult(
            declaration: check, outcome: Outcome(.skipped, detail: presetReason), durationMs: 0,
            catalogue: catalogue)
        }
        if let first = missing.first {
          return CheckResult(
            declaration: check, outcome: Outcome(.skipped, detail: "skipped: needs \(first)"),
            durationMs: 0, catalogue: catalogue)
        }
        for (id, task) in prerequisites {
          let result = await task.value
          // A failure that concerns only some dependents does not hold back the others (only
          // the automation API needs Automation.ReadWrite.All; the data API is still checked).
          if result.status == .failed, let reason = result.reason, Self.partialReasons.contains(reason) { continue }
          if result.status != .passed && result.status != .warning {
            return CheckResult(
              declaration: check,
              outcome: Outcome(.skipped, detail: "skipped: needs \(id), which \(result.status.phrase)"),
              durationMs: 0, catalogue: catalogue)
          }
        }
        let clock = ContinuousClock()
        let start = clock.now
        let outcome = await Self.guarded(check, limit: limit, probe: probe)
        let elapsed = clock.now - start
        let ms = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        return CheckResult(declaration: check, outcome: outcome, durationMs: ms, catalogue: catalogue)
      }
    }
    var results: [CheckResult] = []
    for check in checks {
      if let task = tasks[check.id] { results.append(await task.value) }
    }
    return results
  }

  /// The check whose probe is running in this task (fixtures record which check made a request).
  @TaskLocal public static var current: String?

  /// Runs one probe; a thrown error or the time limit becomes `could-not-test`.
  static func guarded(_ check: CheckDeclaration, limit: Duration, probe: @escaping Probe) async
    -> Outcome
  {
    await withTaskGroup(of: Outcome?.self) { group in
      group.addTask {
        do {
          return try await Self.$current.withValue(check.id) { try await probe(check) }
        } catch is CancellationError {
          return nil
        } catch let problem as InputProblem {
          return .failed(problem.reason, problem.detail)
        } catch {
          return .couldNotTest(nil, "the check could not complete: \(error)")
        }
      }
      group.addTask {
        await CancellableSleep.sleep(for: limit)
        return nil
      }
      let first = await group.next() ?? nil
      group.cancelAll()
      if let first { return first }
      return .couldNotTest(
        Reason.networkTimeout, "no answer within the time limit of \(limit.formattedSeconds)")
    }
  }
}

extension Status {
  /// Used in "needs X, which failed".
  public var phrase: String {
    switch self {
    case .passed: "passed"
    case .warning: "passed with a warning"
    case .failed: "failed"
    case .skipped: "was skipped"
    case .couldNotTest: "could not be tested"
    }
  }
}

extension Duration {
  public var formattedSeconds: String {
    let seconds = Double(components.seconds) + Double(components.attoseconds) / 1e18
    return seconds == seconds.rounded() ? "\(Int(seconds)) s" : String(format: "%.1f s", seconds)
  }
}

/// A sleep that gives its timer back as soon as it is cancelled.
///
/// A cancelled `Task.sleep` returns at once but keeps its timer and task alive until the original
/// deadline. Every check races its probe against such a sleep, so a fleet run held thousands of
/// dead timers for the whole time limit and its memory grew with every registration.
public enum CancellableSleep {
  public static func sleep(for duration: Duration) async {
    let sleeper = Sleeper()
    await withTaskCancellationHandler {
      await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        sleeper.start(duration, continuation)
      }
    } onCancel: {
      sleeper.wake()
    }
  }

  private final class Sleeper: Sendable {
    private struct State: ~Copyable {
      var continuation: CheckedContinuation<Void, Never>?
      var timer: DispatchSourceTimer?
      var woken = false
    }
    private let state = Mutex(State())

    func start(_ duration: Duration, _ continuation: CheckedContinuation<Void, Never>) {
      let resumeNow = state.withLock { state -> Bool in
        if state.woken { return true }
        state.continuation = continuation
        let timer = DispatchSource.makeTimerSource(queue: .global())
        let (seconds, attoseconds) = duration.components
        timer.schedule(deadline: .now() + max(0, Double(seconds) + Double(attoseconds) / 1e18))
        timer.setEventHandler { [weak self] in self?.wake() }
        timer.resume()
        state.timer = timer
        return false
      }
      if resumeNow { continuation.resume() }
    }

    func wake() {
      let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
        state.woken = true
        state.timer?.cancel()
        state.timer = nil
        defer { state.continuation = nil }
        return state.continuation
      }
      continuation?.resume()
    }
  }
}
