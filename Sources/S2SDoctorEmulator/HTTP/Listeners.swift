import HummingbirdCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Wraps a child channel setup so that every accepted connection has `TCP_NODELAY` on.
///
/// NIO sets `TCP_NODELAY` on the listening socket and Linux copies it to accepted sockets, but
/// that is an inheritance rule of the kernel, not a promise of NIO's; setting it here makes
/// sure no response waits for Nagle's algorithm (the 40 ms stall in the fidelity notes).
struct NoDelayChannel<Base: ServerChildChannel>: ServerChildChannel {
  typealias Value = Base.Value
  let base: Base
  let connections: ConnectionCounter

  func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
    channel.setOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
      .flatMap { channel.getOption(ChannelOptions.tcpOption(.tcp_nodelay)) }
      .flatMap { value in
        connections.accepted(noDelay: value != 0)
        return base.setup(channel: channel, logger: logger)
      }
  }

  func handle(value: Value, logger: Logger) async {
    await base.handle(value: value, logger: logger)
  }
}

/// Counts accepted connections and how many of them had `TCP_NODELAY` confirmed.
final class ConnectionCounter: Sendable {
  private let counts = NIOLockedValueBox<(accepted: Int, noDelay: Int)>((0, 0))

  func accepted(noDelay: Bool) {
    counts.withLockedValue {
      $0.accepted += 1
      if noDelay { $0.noDelay += 1 }
    }
  }

  var snapshot: (accepted: Int, noDelay: Int) { counts.withLockedValue { $0 } }
}

/// A loopback listener that accepts TCP connections and never says a word (`network.timeout`).
final class SilentListener: Sendable {
  private let server: any Channel
  private let accepted: NIOLockedValueBox<[ObjectIdentifier: any Channel]>

  let port: Int

  private init(server: any Channel, accepted: NIOLockedValueBox<[ObjectIdentifier: any Channel]>, port: Int) {
    self.server = server
    self.accepted = accepted
    self.port = port
  }

  static func start(host: String, group: any EventLoopGroup) async throws -> SilentListener {
    let accepted = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])
    let server = try await ServerBootstrap(group: group)
      .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
      .childChannelOption(ChannelOptions.autoRead, value: false)
      .childChannelInitializer { channel in
        let id = ObjectIdentifier(channel)
        accepted.withLockedValue { $0[id] = channel }
        channel.closeFuture.whenComplete { _ in _ = accepted.withLockedValue { $0.removeValue(forKey: id) } }
        return channel.eventLoop.makeSucceededVoidFuture()
      }
      .bind(host: host, port: 0).get()
    return SilentListener(server: server, accepted: accepted, port: server.localAddress?.port ?? 0)
  }

  func stop() async {
    try? await server.close()
    let open = accepted.withLockedValue { channels in
      defer { channels.removeAll() }
      return Array(channels.values)
    }
    for channel in open { try? await channel.close() }
  }
}

enum PortReservation {
  /// A loopback port that was free a moment ago and is closed now (`network.connection-refused`).
  static func closedPort(host: String, group: any EventLoopGroup) async throws -> Int {
    let channel = try await ServerBootstrap(group: group).bind(host: host, port: 0).get()
    let port = channel.localAddress?.port ?? 9
    try await channel.close()
    return port
  }
}
