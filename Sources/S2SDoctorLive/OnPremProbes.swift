import Foundation
import S2SDoctorCore
import S2SDoctorOnPrem

/// On-premises server configuration and log checks. The work is in Core
/// (`ServerConfiguration`, `ServerLog`) so that it is tested without the network layer; these
/// are the probes `LiveCheckSuite` calls for `onprem.server-config` and `onprem.server-log`.
public enum OnPremProbes {
  /// Checks `--server-config` against the token's claims (nil when no token could be had).
  ///
  /// A file that cannot be parsed gives `could-not-test` naming the file and line; the CLI is
  /// expected to have rejected it already with `ServerConfiguration.load(path:)` (exit 64).
  public static func serverConfig(settings: ConnectionSettings, claims: TokenClaims?) -> Outcome {
    ServerConfiguration.diagnose(settings: settings, claims: claims)
  }

  /// Scans `--server-log` for audience, issuer, entitlement and token-lifetime errors.
  public static func serverLog(settings: ConnectionSettings, catalogue: Catalogue) -> Outcome {
    ServerLog.diagnose(settings: settings, catalogue: catalogue)
  }
}
