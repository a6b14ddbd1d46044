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

/// A loopback port that refuses connections (`network.connection-refused`) for as long as the
/// emulator runs: a socket bound to it that never listens. Nothing else can take the port in the
/// meantime (a port merely closed again could be handed to the next listener, in this process or
/// another), and a connection to it is refused at once.
final class PortReservation: Sendable {
  let port: Int
  private let descriptor: Int32

  init(host: String) throws {
    var v4 = in_addr()
    var v6 = in6_addr()
    let fd: Int32
    var bound: Int32 = -1
    if inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host, &v4) == 1 {
      fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
      var address = sockaddr_in()
      address.sin_family = sa_family_t(AF_INET)
      address.sin_addr = v4
      bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
      }
    } else if inet_pton(AF_INET6, host, &v6) == 1 {
      fd = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
      var address = sockaddr_in6()
      address.sin6_family = sa_family_t(AF_INET6)
      address.sin6_addr = v6
      bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
          bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
        }
      }
    } else {
      throw EmulatorError.couldNotReservePort("'\(host)' is not an IP address")
    }
    guard fd >= 0, bound == 0 else {
      if fd >= 0 { close(fd) }
      throw EmulatorError.couldNotReservePort("\(host): \(String(cString: strerror(errno)))")
    }
    var storage = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    _ = withUnsafeMutablePointer(to: &storage) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    let raw: UInt16 = withUnsafePointer(to: &storage) { pointer in
      pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_port }
    }
    descriptor = fd
    port = Int(UInt16(bigEndian: raw))
  }

  deinit { close(descriptor) }
}
