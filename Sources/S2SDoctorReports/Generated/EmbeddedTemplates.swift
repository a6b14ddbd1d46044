// GENERATED from Templates/ by scripts/embed.py. Do not edit: run `make generate`.
// swift-format-ignore-file

enum EmbeddedTemplates {
  static let files: [(path: String, contents: String)] = [
    (
      "text.mustache",
      #"""
{{! placeholder }}
"""# + "\n"
    ),
  ]
}
