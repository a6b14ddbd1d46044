import Foundation

/// The one child process the tool may start: a browser for `--sign-in browser`.
///
/// Its environment is built from `allowedEnvironment` only, so no secret (`AZURE_CLIENT_SECRET`,
/// `S2S_SECRET_*`, a proxy password) can reach it; no shell is involved.
enum BrowserLauncher {
  /// What a desktop browser or `xdg-open` needs to find the session and the user's settings.
  static let allowedEnvironment: Set<String> = [
    "PATH", "HOME", "USER", "LANG", "LC_ALL", "DISPLAY", "WAYLAND_DISPLAY", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME",
    "XDG_DATA_DIRS", "XDG_CURRENT_DESKTOP", "XDG_SESSION_TYPE", "DBUS_SESSION_BUS_ADDRESS", "BROWSER",
  ]

  /// Opens `url` with the first program of `$BROWSER`, else `xdg-open`. False when it cannot start.
  static func open(_ url: String) -> Bool {
    let inherited = ProcessInfo.processInfo.environment
    let program = inherited["BROWSER"]?.split(separator: ":").first.map(String.init) ?? "xdg-open"
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [program, url]
    process.environment = inherited.filter { allowedEnvironment.contains($0.key) }
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    do {
      try process.run()
      return true
    } catch {
      return false
    }
  }
}
