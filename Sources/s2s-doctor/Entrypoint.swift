import Foundation
import S2SDoctorCLI
import S2SDoctorCore

/// A synchronous `main`: `--version` (what scripts and package managers call to see the tool is
/// there) answers before anything starts — no Swift concurrency runtime, no Dispatch threads, no
/// argument parser, no catalogue. Everything else runs the async command tree on the global
/// executor while the main thread serves the main queue.
@main
enum Entrypoint {
  static func main() {
    let arguments = CommandLine.arguments.dropFirst()
    if arguments.count == 1, arguments.first == "--version" {
      print(S2SDoctorCommand.version)
      exit(0)
    }
    // Whatever the command, a secret in the environment is masked in everything printed.
    if let secret = ProcessInfo.processInfo.environment["AZURE_CLIENT_SECRET"] {
      Redactor.shared.register(secret)
    }
    Task {
      await S2SDoctorCommand.runAsTool()
      exit(0)
    }
    dispatchMain()
  }
}
