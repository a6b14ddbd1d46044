import Foundation
import S2SDoctorCore

// The one generator of the embedded catalogue (`make generate`): validates `Checks/` with the
// strict loader and writes the JSON snapshot the binary starts from. The shipped binary never
// generates its own input.
//
//   catalogue-gen Checks Sources/S2SDoctorCore/Generated/CatalogueSnapshot.swift
//   catalogue-gen --check Checks Sources/S2SDoctorCore/Generated/CatalogueSnapshot.swift

var arguments = Array(CommandLine.arguments.dropFirst())
let checkOnly = arguments.first == "--check"
if checkOnly { arguments.removeFirst() }
guard arguments.count == 2 else {
  FileHandle.standardError.write(Data("usage: catalogue-gen [--check] CHECKS_DIR OUTPUT.swift\n".utf8))
  exit(64)
}
let source: String
do {
  source = try Catalogue.load(directory: URL(fileURLWithPath: arguments[0])).snapshotSource()
} catch {
  FileHandle.standardError.write(Data("catalogue-gen: \(error)\n".utf8))
  exit(65)
}
let current = try? String(contentsOfFile: arguments[1], encoding: .utf8)
if current == source { exit(0) }
if checkOnly {
  FileHandle.standardError.write(
    Data("\(arguments[1]) is out of date with \(arguments[0])/: run `make generate`.\n".utf8))
  exit(1)
}
do {
  try Data(source.utf8).write(to: URL(fileURLWithPath: arguments[1]), options: .atomic)
  FileHandle.standardError.write(Data("wrote \(arguments[1])\n".utf8))
} catch {
  FileHandle.standardError.write(Data("catalogue-gen: cannot write \(arguments[1]): \(error)\n".utf8))
  exit(73)
}
