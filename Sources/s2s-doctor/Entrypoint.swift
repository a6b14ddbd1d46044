import S2SDoctorCLI

/// Inside an async function the async `main` of `AsyncParsableCommand` is chosen; top-level
/// code in main.swift can resolve to the synchronous one.
@main
enum Entrypoint {
  static func main() async {
    await S2SDoctorCommand.main(nil)
  }
}
