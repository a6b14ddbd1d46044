import HTTPTypes
import HummingbirdCore
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// The `Date` header value, formatted once per second.
final class DateHeader: Sendable {
  private let cached = NIOLockedValueBox<(second: Int, text: String)>((0, ""))

  func value(for second: Int) -> String {
    if let hit = cached.withLockedValue({ $0.second == second ? $0.text : nil }) { return hit }
    let text = TimeText.httpDate(second)
    cached.withLockedValue { $0 = (second, text) }
    return text
  }
}

/// Dispatches every request to Entra ID or Business Central and writes the reply.
///
/// One base URL serves both: Entra paths start with a tenant, Business Central paths with
/// `v2.0` or `admin`. `/onprem/…` is kept free for the on-premises emulation.
struct Router: Sendable {
  let entra: EntraService
  let bc: BusinessCentralService
  let onprem: OnPremService
  let graph: GraphService
  let scheme: String
  let dates = DateHeader()
  let stopping: NIOLockedValueBox<Bool>
  let logger: Logger

  /// Hummingbird's responder entry point.
  func respond(_ request: Request, writer: consuming ResponseWriter, channel: any Channel) async throws {
    let now = TimeText.now()
    let authority = request.head.authority ?? "127.0.0.1:\(channel.localAddress?.port ?? 0)"
    var incoming = Incoming(
      method: request.method, path: request.uri.path, query: request.uri.query,
      headers: request.headers, base: scheme + "://" + authority, hostName: Self.hostName(authority),
      body: nil)
    var request = request
    let reply: Reply
    if request.method == .post || request.method == .patch {
      do {
        incoming.body = try await request.collectBody(upTo: 1 << 20)
        reply = route(incoming, now: now)
      } catch {
        reply = Reply(status: 413, body: "")
      }
    } else {
      reply = route(incoming, now: now)
    }
    logger.debug("\(incoming.method) \(incoming.path) -> \(reply.status.code)")
    let stopping = self.stopping
    try await ReplyWriter.write(
      reply, date: dates.value(for: now + reply.dateOffset), to: writer, channel: channel,
      isStopping: { stopping.withLockedValue { $0 } })
  }

  static func hostName(_ authority: String) -> String {
    if authority.hasPrefix("["), let end = authority.firstIndex(of: "]") {
      return String(authority[authority.index(after: authority.startIndex)..<end])
    }
    if let colon = authority.lastIndex(of: ":") { return String(authority[..<colon]) }
    return authority
  }

  func route(_ request: Incoming, now: Int) -> Reply {
    let segments = request.path.split(separator: "/", omittingEmptySubsequences: true)
    guard let first = segments.first else { return notFound() }
    let get = request.method == .get

    switch first {
    case "v2.0":
      return get ? bc.api(segments: segments.dropFirst(), request: request, now: now) : methodNotAllowed()
    case "admin":
      // PUT only authorizes an app (authorizedAadApps/{appId}); everything else is read.
      let authorizing = request.method == .put && segments.count == 4 && segments[2] == "authorizedAadApps"
      return get || authorizing
        ? bc.admin(segments: segments.dropFirst(), request: request, now: now) : methodNotAllowed()
    case "onprem":
      return get ? onprem.api(segments: segments.dropFirst(), request: request, now: now) : methodNotAllowed()
    case "v1.0":
      return graph.handle(segments: segments.dropFirst(), request: request, now: now)
    case "error" where segments.count == 1:
      return errorPage(request)
    default:
      break
    }

    let tenant = String(first)
    let rest = segments.dropFirst().joined(separator: "/")
    switch rest {
    case "v2.0/.well-known/openid-configuration":
      return get ? entra.openIDConfiguration(tenantSegment: tenant, request: request, now: now) : methodNotAllowed()
    case "discovery/v2.0/keys", "discovery/keys":
      return get ? entra.keys(tenantSegment: tenant, request: request, now: now) : methodNotAllowed()
    case "discovery/instance" where tenant == "common":
      return get ? entra.instanceDiscovery(request: request, now: now) : methodNotAllowed()
    case "oauth2/v2.0/token":
      guard request.method == .post else {
        return entra.errorReply(
          EntraError(
            error: "invalid_request", code: 900561,
            message: "The endpoint only accepts POST requests. Received a \(request.method.rawValue) request."),
          request: request, now: now)
      }
      return entra.token(tenantSegment: tenant, request: request, now: now)
    case "oauth2/v2.0/devicecode":
      guard request.method == .post else { return methodNotAllowed() }
      return entra.deviceCode(tenantSegment: tenant, request: request, now: now)
    case "oauth2/v2.0/authorize":
      return get ? entra.authorize(tenantSegment: tenant, request: request, now: now) : methodNotAllowed()
    default:
      return notFound()
    }
  }

  private func notFound() -> Reply {
    var fields = HTTPFields()
    fields[.contentType] = "text/plain; charset=utf-8"
    return Reply(status: 404, headers: fields, body: "Not Found")
  }

  private func methodNotAllowed() -> Reply {
    var fields = HTTPFields()
    fields[.contentType] = "text/plain; charset=utf-8"
    return Reply(status: 405, headers: fields, body: "Method Not Allowed")
  }

  /// `error_uri` points here: a short page like login.microsoftonline.com/error.
  private func errorPage(_ request: Incoming) -> Reply {
    var fields = HTTPFields()
    fields[.contentType] = "text/html; charset=utf-8"
    let code = request.queryItem("code").flatMap(Int.init) ?? 0
    return Reply(
      status: 200, headers: fields,
      body:
        "<!DOCTYPE html><html><head><title>AADSTS\(code)</title></head><body><h1>Error code AADSTS\(code)</h1><p>Served by the S2S Doctor emulator.</p></body></html>"
    )
  }
}
