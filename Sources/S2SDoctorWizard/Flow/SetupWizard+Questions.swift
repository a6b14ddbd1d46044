import Foundation
import S2SDoctorCore

extension SetupWizard {
  // MARK: Questions

  func resolve(_ question: Question, fresh: Bool = false) throws(WizardFailure) {
    let prefill = fresh ? nil : input.prefill[question.field]
    var softDefault: Prefill?
    var rejectedPrefill = false
    if let prefill {
      if prefill.isAuthoritative || scripted {
        switch question.validate(prefill.value, state) {
        case .accepted(let value, let note):
          accept(question, value, source: prefill.source, note: note, announce: true)
          return
        case .rejected(let reason, let message):
          if !interactive {
            problems.append(
              "\(origin(of: question, prefill.source)): \(message)\(reason.map { " (\($0))" } ?? "")"
            )
            return
          }
          show(
            "\n✗ \(reason.map { $0 + ": " } ?? "")The \(question.title.lowercased()) from \(describe(prefill.source)) cannot be used. \(message)\n"
          )
          rejectedPrefill = true
        }
      } else if case .accepted = question.validate(prefill.value, state) {
        softDefault = prefill
      }
    }

    if scripted && softDefault == nil && !rejectedPrefill {
      if let value = question.defaultValue(state) {
        switch question.validate(value, state) {
        case .accepted(let value, let note):
          accept(question, value, source: .defaultValue, note: note, announce: false)
          return
        case .rejected(let reason, let message):
          if !interactive {
            problems.append("\(question.flag): \(message)\(reason.map { " (\($0))" } ?? "")")
            return
          }
        }
      } else if question.isOptional {
        accept(question, "", source: .defaultValue, note: nil, announce: false)
        return
      } else if !interactive {
        missing.append(requirement(question))
        return
      }
    }

    show("\n\(bold(question.title)) — \(question.intro(state)) Type ? for help.\n")
    let defaultText =
      softDefault?.value ?? question.defaultValue(state) ?? (question.isOptional ? "none" : nil)
    let defaultSource: ValueSource = softDefault?.source ?? .defaultValue
    while true {
      let raw = try ask(
        PromptRequest(
          field: question.field.rawValue, label: question.prompt, defaultValue: defaultText,
          completions: question.completions))
      let answer = raw.trimmedSpaces
      if answer == "?" {
        show(indent(question.help(state)) + "\n")
        continue
      }
      if answer.isEmpty {
        show("  An answer is needed here. Type ? for where to find it.\n")
        continue
      }
      let typed = defaultText == nil || answer != defaultText
      switch question.validate(answer, state) {
      case .accepted(let value, let note):
        if typed { prompter.remember(answer, field: question.field.rawValue) }
        accept(question, value, source: typed ? .typed : defaultSource, note: note, announce: false)
        return
      case .rejected(let reason, let message):
        show(
          "  ✗ \(reason.map { $0 + ": " } ?? "")\(message)\n    Try again, or type ? for help.\n")
      }
    }
  }

  func askSecret(_ question: Question, fresh: Bool = false) throws(WizardFailure) {
    if !fresh, let secret = input.secret, let prefill = input.prefill[.secret] {
      let from = secretOrigin(prefill.source)
      switch question.validate(secret.value, state) {
      case .accepted:
        if prefill.isAuthoritative || scripted {
          state.secret = secret
          state.sources[.secret] = prefill.source
          show("  \(question.title): \(secret) (\(from))\n")
          return
        }
      case .rejected(let reason, let message):
        if !interactive {
          problems.append(
            "client secret from \(from): \(message)\(reason.map { " (\($0))" } ?? "")")
          return
        }
        show(
          "\n✗ \(reason.map { $0 + ": " } ?? "")The client secret from \(from) cannot be used. \(message)\n"
        )
      }
    }
    if !interactive {
      missing.append(requirement(question))
      return
    }

    let keep: Secret? = input.secret.flatMap { secret in
      if fresh { return nil }
      if case .accepted = question.validate(secret.value, state) { return secret }
      return nil
    }
    show("\n\(bold(question.title)) — \(question.intro(state)) Type ? for help.\n")
    let label =
      keep.map {
        "\(question.prompt) [Enter keeps \(secretOrigin(input.prefill[.secret]?.source ?? .environment)) \($0)]"
      }
      ?? question.prompt
    while true {
      var bytes: [UInt8]
      do throws(PromptError) {
        bytes = try prompter.askSecret(label)
      } catch {
        throw WizardFailure(error)
      }
      defer { SecretReader.wipe(&bytes) }
      if bytes == [UInt8(ascii: "?")] {
        show(indent(question.help(state)) + "\n")
        continue
      }
      if bytes.isEmpty {
        if let keep {
          state.secret = keep
          state.sources[.secret] = input.prefill[.secret]?.source ?? .environment
          return
        }
        show("  A secret is needed here (or Ctrl-D to stop). Type ? for where to find it.\n")
        continue
      }
      let text = String(decoding: bytes, as: UTF8.self)
      // Registered before anything else can print or store it.
      Redactor.shared.register(text)
      switch question.validate(text, state) {
      case .accepted:
        state.secret = Secret(text)
        state.sources[.secret] = .typed
        show("  Client secret: \(Secret(text)) (typed, \(text.count) characters)\n")
        return
      case .rejected(let reason, let message):
        show("  ✗ \(reason.map { $0 + ": " } ?? "")\(message)\n    Type it again, or ? for help.\n")
      }
    }
  }

  func accept(
    _ question: Question, _ value: String, source: ValueSource, note: String?, announce: Bool
  ) {
    state.values[question.field] = value
    state.sources[question.field] = source
    if announce {
      show("  \(question.title): \(value.isEmpty ? "none" : value) (\(describe(source)))\n")
    }
    if let note { show(indent(note) + "\n") }
  }

  func ask(_ request: PromptRequest) throws(WizardFailure) -> String {
    do throws(PromptError) {
      return try prompter.ask(request)
    } catch {
      throw WizardFailure(error)
    }
  }

  // MARK: Tenant look-up

  func lookUpTenant() async {
    guard let tenant = state.value(.tenant) else { return }
    let settings = state.settings
    show("  Looking up \(tenant) at \(settings.authorityHost)…\n")
    guard let found = await services.discoverTenant(tenant, settings) else {
      state.discovery = nil
      show(
        "  ! Could not look the tenant up (no answer from \(settings.authorityHost)). Continuing; the checks test it again.\n"
      )
      return
    }
    state.discovery = found
    let cloud = found.cloudInstance.map { ", cloud \($0)" } ?? ""
    show("  ✓ Tenant \(tenant) found: tenant ID \(found.tenantID)\(cloud).\n")
    if let instance = found.cloudInstance,
      let expected = Self.authorityHost(forCloudInstance: instance),
      BusinessCentral.clouds.values.contains(settings.authorityHost),
      expected != settings.authorityHost
    {
      let name = BusinessCentral.clouds.first { $0.value == expected }?.key ?? instance
      show(
        "  ! This tenant is in the \(instance) cloud, but the authority host is \(settings.authorityHost). Run setup again with --cloud \(name).\n"
      )
    }
  }

  static func authorityHost(forCloudInstance instance: String) -> String? {
    switch instance.lowercased() {
    case "microsoftonline.com": BusinessCentral.clouds["public"]
    case "microsoftonline.us": BusinessCentral.clouds["usgov"]
    case "partner.microsoftonline.cn", "chinacloudapi.cn": BusinessCentral.clouds["china"]
    default: nil
    }
  }
}
