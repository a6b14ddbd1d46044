import Foundation
import S2SDoctorCore

extension LiveSession {
  // MARK: Entra

  func credential() throws -> Credential {
    if let path = settings.certificatePath {
      do {
        return .certificate(try CertificateCredential(pemFile: path))
      } catch {
        throw OutcomeError(outcome: .failed(error.reason, error.detail))
      }
    }
    if let secret { return .secret(secret) }
    return .none
  }

  func discovery() async -> Result<TenantDiscovery, OutcomeError> {
    if let discoveryTask { return await discoveryTask.cancellableValue }
    let settings = self.settings
    let transport: any HTTPSending
    do { transport = try self.transport() } catch { return .failure(Self.wrap(error)) }
    let make: @Sendable () async -> Result<TenantDiscovery, OutcomeError> = {
      let client = EntraClient(transport: transport, authorityHost: settings.authorityHost)
      let tenant = settings.tenant ?? ""
      do {
        let (response, discovery) = try await client.discover(tenant)
        guard let discovery else {
          return .failure(
            OutcomeError(
              outcome: Classifier.classify(
                response, endpoint: "token",
                allowed: [
                  Reason.entraTenantNotFound, Reason.entraTenantInOtherCloud, Reason.entraThrottled,
                  Reason.entraUnavailable,
                ],
                fallback: response.status == 200 ? Reason.networkUnexpectedResponse : Reason.entraTenantNotFound,
                prefix: "discovery", explainer: self.explainer)))
        }
        let region = discovery.regionScope?.uppercased() ?? ""
        let otherCloud =
          (discovery.cloudInstance.map { $0 != client.expectedCloudInstance } ?? false)
          || (client.expectedCloudInstance == "microsoftonline.com"
            && ["USGOV", "USG", "DOD", "USGOVCLOUD"].contains(region))
        if otherCloud {
          return .failure(
            OutcomeError(
              outcome: .failed(
                Reason.entraTenantInOtherCloud,
                "tenant \(tenant) belongs to the \(discovery.cloudInstance ?? "?") cloud (region scope \(discovery.regionScope ?? "?")), not to \(settings.authorityHost); use that cloud's authority host (--cloud usgov|china or --authority-host)",
                evidence: [
                  .init("tenant.id", discovery.tenantID), .init("tenant.cloud", discovery.cloudInstance ?? "?"),
                  .init("tenant.regionScope", discovery.regionScope ?? "?"),
                ])))
        }
        return .success(discovery)
      } catch let failure as TransportFailure {
        return .failure(
          OutcomeError(
            outcome: Classifier.outcome(
              reason: failure.reason, detail: failure.detail,
              evidence: [.init("discovery.url", client.discoveryURL(tenant))])))
      } catch {
        return .failure(OutcomeError(outcome: .couldNotTest(nil, "\(error)")))
      }
    }
    let key = sharingKey
    let task = Task<Result<TenantDiscovery, OutcomeError>, Never> { [broker] in
      if let broker { return await broker.discovery(key: key, make: make) }
      return await make()
    }
    discoveryTask = task
    return await task.cancellableValue
  }

  func token() async -> Result<TokenGrant, OutcomeError> {
    if let tokenTask { return await tokenTask.cancellableValue }
    let settings = self.settings
    let transport: any HTTPSending
    let credential: Credential
    do {
      transport = try self.transport()
      credential = try self.credential()
    } catch { return .failure(Self.wrap(error)) }
    let tokenReasons = catalogue.check(CheckID.entraToken)?.reasons ?? []
    let make: @Sendable () async -> Result<TokenGrant, OutcomeError> = {
      let client = EntraClient(transport: transport, authorityHost: settings.authorityHost)
      do {
        let (response, grant, requestID) = try await client.requestToken(
          tenant: settings.tenant ?? "", clientID: settings.clientID ?? "", credential: credential)
        if let grant { return .success(grant) }
        var outcome = Classifier.classify(
          response, endpoint: "token", allowed: tokenReasons,
          fallback: Reason.entraUnknownError, prefix: "token", explainer: self.explainer)
        outcome.evidence.append(.init("token.clientRequestId", requestID))
        // AADSTS700016 in a customer's tenant: the app was never consented to there. The
        // consent URL for exactly this tenant and client is the fix a partner can send.
        if outcome.reason == Reason.entraAppNotFound, let url = settings.adminConsentURL {
          outcome.detail =
            (outcome.detail ?? "")
            + ". If the app is multitenant and this is a customer's tenant, an administrator of that tenant grants consent here: \(url)"
        }
        return .failure(OutcomeError(outcome: outcome))
      } catch let failure as TransportFailure {
        return .failure(
          OutcomeError(
            outcome: Classifier.outcome(
              reason: failure.reason, detail: failure.detail,
              evidence: [.init("token.url", client.tokenURL(settings.tenant ?? ""))])))
      } catch {
        return .failure(OutcomeError(outcome: .couldNotTest(nil, "\(error)")))
      }
    }
    let key = sharingKey
    let task = Task<Result<TokenGrant, OutcomeError>, Never> { [broker] in
      if let broker { return await broker.token(key: key, make: make) }
      return await make()
    }
    tokenTask = task
    return await task.cancellableValue
  }

  func unwrap<T>(_ result: Result<T, OutcomeError>, _ body: (T) -> Outcome) async -> Outcome {
    switch result {
    case .success(let value): body(value)
    case .failure(let error): error.outcome
    }
  }

  func withToken(_ body: (TokenGrant) async -> Outcome) async -> Outcome {
    switch await token() {
    case .success(let grant): await body(grant)
    case .failure(let error): error.outcome
    }
  }
}
