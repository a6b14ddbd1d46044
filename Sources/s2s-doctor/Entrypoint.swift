import Foundation
import S2SDoctorCLI
import S2SDoctorCore

/// Inside an async function the async `main` of `AsyncParsableCommand` is chosen; top-level
/// code in main.swift can resolve to the synchronous one.
@main
enum Entrypoint {
  static func main() async {
    // Whatever the command, a secret in the environment is masked in everything printed.
    if let secret = ProcessInfo.processInfo.environment["AZURE_CLIENT_SECRET"] {
      Redactor.shared.register(secret)
    }
    await S2SDoctorCommand.runAsTool()
  }
}
