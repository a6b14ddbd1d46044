import Foundation
import S2SDoctorCore

extension SetupWizard {
  // MARK: Summary and confirmation

  func summary() -> String {
    let settings = state.settings
    var rows: [(String, String, String)] = []
    func row(_ title: String, _ value: String, _ source: ValueSource?) {
      rows.append((title, value, source.map(describe) ?? "default"))
    }
    row(
      "Deployment", state.deployment == .online ? "online" : "on-premises",
      state.sources[.deployment])
    var tenant = state.value(.tenant) ?? "–"
    if let found = state.discovery, found.tenantID.lowercased() != tenant.lowercased() {
      tenant += " (tenant ID \(found.tenantID))"
    }
    row("Tenant", tenant, state.sources[.tenant])
    row("Client ID", state.value(.clientId) ?? "–", state.sources[.clientId])
    if state.usesCertificate {
      row(
        "Credential", "certificate \(state.value(.certificate) ?? "–")", state.sources[.certificate]
      )
    } else {
      row(
        "Credential", "client secret \(state.secret.map { "\($0)" } ?? "–")", state.sources[.secret]
      )
    }
    row(
      "Permissions", state.permissions.isEmpty ? "none" : state.permissions.joined(separator: ", "),
      state.sources[.permissions])
    row("Redirect URI", state.value(.redirectUri) ?? "none", state.sources[.redirectUri])
    if state.isOnline {
      row("Environment", settings.environment, state.sources[.environment])
    } else {
      row("Server URL", state.value(.bcUrl) ?? "–", state.sources[.bcUrl])
    }
    row("Company", state.value(.company) ?? "none (all companies)", state.sources[.company])
    if let source = settings.sources["authorityHost"] {
      row("Authority host", settings.authorityHost, source)
    }
    if state.isOnline, let source = settings.sources["bcAPIHost"] {
      row("BC API host", settings.bcAPIHost, source)
    }
    if let ca = settings.caFile { row("CA file", ca, settings.sources["caFile"]) }

    let width = rows.map(\.0.count).max() ?? 10
    var out = "\n\(bold("Summary")) (profile \"\(input.profileName)\")\n"
    for (title, value, source) in rows {
      out +=
        "  " + title.padding(toLength: width, withPad: " ", startingAt: 0)
        + "  \(value)  (\(source))\n"
    }
    if let url = settings.adminConsentURL {
      out +=
        "\nAdmin consent URL for this tenant and client (an administrator opens it once to grant the permissions):\n  \(url)\n"
    }
    out +=
      "\nThe profile is saved to \(services.profileStore.path(for: input.profileName)); the secret is never saved.\n"
    return out
  }

  func confirm() throws(WizardFailure) -> (save: Bool, check: Bool) {
    let answers = input.answers
    if !interactive || answers?.saveProfile != nil || answers?.runChecks != nil {
      let save = answers?.saveProfile ?? true
      let check = answers?.runChecks ?? true
      show("Save profile: \(save ? "yes" : "no"). Run checks: \(check ? "yes" : "no").\n")
      return (save, check)
    }
    while true {
      let reply = try ask(
        PromptRequest(
          field: nil, label: "Save profile and run checks? (yes/no/save-only/check-only)",
          defaultValue: "yes", completions: ["yes", "no", "save-only", "check-only"]))
      switch reply.trimmedSpaces.lowercased() {
      case "yes", "y": return (true, true)
      case "no", "n": return (false, false)
      case "save-only", "save": return (true, false)
      case "check-only", "check": return (false, true)
      case "?":
        show(
          "  yes: save the profile, then run the checks · save-only: save without checks · check-only: run the checks without saving · no: stop here.\n"
        )
      default:
        show("  Answer yes, no, save-only or check-only.\n")
      }
    }
  }

  // MARK: Credential rejected

  /// Reasons that mean the client secret itself is wrong: ask for it again.
  static let secretReasons: Set<String> = [
    Reason.entraSecretInvalid, Reason.entraSecretExpired, Reason.inputSecretLooksLikeId,
    Reason.inputSecretHasStrayCharacters, Reason.inputSecretMissing,
  ]
  /// Reasons that mean the certificate is wrong: ask for it again.
  static let certificateReasons: Set<String> = [Reason.entraCertificateRejected, Reason.inputCertificateInvalid]

  /// A rejected credential does not end the session: the fix is shown, the secret (or the
  /// certificate) is asked again and the checks run again, until it passes or the person stops.
  func credentialAgain(after first: RunReport, save: Bool) async throws(WizardFailure) -> RunReport {
    var report = first
    while interactive,
      let rejected = report.results.first(where: { result in
        result.status == .failed
          && (Self.secretReasons.union(Self.certificateReasons)).contains(result.reason ?? "")
      })
    {
      let reason = rejected.reason ?? ""
      let certificate = Self.certificateReasons.contains(reason)
      var text = "\n✗ \(reason): \(rejected.summary ?? rejected.title)\n"
      if let fix = rejected.fix { text += "  Fix: \(fix)\n" }
      text += "  Enter the \(certificate ? "certificate" : "client secret") again (Ctrl-C stops).\n"
      show(text)
      if certificate, let question = Questions.all.first(where: { $0.field == .certificate }) {
        try resolve(question, fresh: true)
        if save { saveAgain() }
      } else if let question = Questions.all.first(where: { $0.field == .secret }) {
        state.secret = nil
        try askSecret(question, fresh: true)
      }
      show("Running the checks again…\n")
      report = await services.runChecks(state.settings, state.credentialSecret, [])
      show(services.render(report, prompter.usesColor))
    }
    return report
  }

  /// The profile again after the certificate changed (it holds the certificate's path).
  func saveAgain() {
    do {
      try services.profileStore.save(Profile(name: input.profileName, settings: state.settings))
      show("  Profile \"\(input.profileName)\" updated with the new certificate.\n")
    } catch {
      show("✗ Could not update the profile: \(error).\n")
    }
  }

  /// Both portal tasks, every time: the checks can only prove part of them (nothing proves the
  /// description or that SUPER was left out), and a save-only session proves none.
  func stillToDo(_ report: RunReport?) -> String {
    var out = "\n" + bold("Still to do") + " (each task once per tenant; skip what is already done)\n"
    for (index, step) in PortalSteps.all.enumerated() {
      let proved = report.map { step.isProved($0) } ?? false
      out += "Task \(index + 1) — " + step.text(state)
      if proved { out += "  (This run's checks passed for this task.)\n" }
    }
    return out
  }

  // MARK: Portal steps

  func portalSteps(after first: RunReport) async throws(WizardFailure) -> RunReport {
    var report = first
    for step in PortalSteps.all where step.isNeeded(report) {
      show("\n" + bold("Still to do in a portal: ") + step.text(state))
      guard interactive else { continue }
      while true {
        let reply = try ask(
          PromptRequest(
            field: nil, label: "Press Enter when done (or type skip)", defaultValue: nil,
            completions: ["skip"]))
        let word = reply.trimmedSpaces.lowercased()
        if word == "skip" || word == "s" { break }
        if word == "?" {
          show(step.text(state))
          continue
        }
        show("Running \(step.checkIDs.joined(separator: ", ")) again…\n")
        let again = await services.runChecks(state.settings, state.credentialSecret, step.checkIDs)
        show(services.render(again, prompter.usesColor))
        report = Self.merge(report, again)
        let results = again.results.filter { step.checkIDs.contains($0.check) }
        if !results.isEmpty, results.allSatisfy({ $0.status == .passed || $0.status == .warning }) {
          show("✓ Done: \(step.title.lowercased()).\n")
          break
        }
        show("Not done yet: see above. Fix it, then press Enter to check again, or type skip.\n")
      }
    }
    return report
  }

  /// The first run with the results of a re-run put in place of the same checks.
  static func merge(_ base: RunReport, _ rerun: RunReport) -> RunReport {
    var merged = base
    for result in rerun.results {
      if let index = merged.results.firstIndex(where: { $0.check == result.check }) {
        merged.results[index] = result
      } else {
        merged.results.append(result)
      }
    }
    merged.summary = Summary(results: merged.results)
    merged.finishedAt = rerun.finishedAt
    return merged
  }
}
