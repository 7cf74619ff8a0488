import Curl
import Dispatch
import Observability
import Storage
import Synchronization
import Webhooks

/// What the service hands the worker thread: new rows, wake-ups, the stop request.
final class DeliveryMailbox: Sendable {
    struct State {
        /// New rows, with their body when the poster has it (saves reading it back from SQLite).
        var incoming: [(OutboxDelivery, [UInt8]?)] = []
        var webhooksChanged = false
        /// `DispatchTime` uptime nanoseconds by which the worker must be gone.
        var stopDeadline: UInt64?
        /// Tests only: leave at once as a crash would, storing nothing more.
        var crash = false
    }

    let state = Mutex(State())
    let waker = Mutex<CurlWaker?>(nil)

    func post(_ deliveries: [(OutboxDelivery, [UInt8]?)]) {
        guard !deliveries.isEmpty else { return }
        state.withLock { $0.incoming.append(contentsOf: deliveries) }
        wake()
    }

    func wake() { waker.withLock { $0?.wake() } }
}

/// The delivery loop on its own thread: claims due rows, sends them with libcurl's multi interface,
/// asks the retry policy, records each attempt, and keeps per-call order through `DeliveryScheduler`.
///
/// `@unchecked Sendable`: it is handed to its thread once, in `DeliveryService.start()`, and from then
/// on every stored property is used on that thread only. What it shares (mailbox, counters, outbox,
/// logger) is Sendable in its own right.
final class DeliveryWorker: @unchecked Sendable {
    private let outbox: Outbox
    private let webhooks: @Sendable () -> [Webhook]
    private let configuration: DeliveryConfiguration
    private let environment: DeliveryEnvironment
    private let logger: Logger
    private let onWebhookDisabled: @Sendable (Webhook, String) -> Void
    private let mailbox: DeliveryMailbox
    private let counters: DeliveryCounters
    private let multi: CurlMulti
    private let destinations: DestinationChecker

    private var scheduler = DeliveryScheduler()
    /// Finished delivery transfers by webhook id, reused for the next attempt (see
    /// `CurlTransfer.reuse`, which reconfigures the handle when the webhook's URL changed). Keyed by
    /// id rather than URL: hashing an integer instead of the URL string twice per attempt. A pool is
    /// a class so that taking and returning a transfer reads the dictionary instead of mutating it
    /// in place (the dictionary's in-place accessor allocated on every call).
    private var idleTransfers: [Int64: TransferPool] = [:]
    private var idleTransferCount = 0
    /// The only response header the worker reads (`Retry-After`).
    private static let keptResponseHeaders = ["retry-after"]
    private var tokenCache = OAuth2TokenCache()
    private var jobs: [Int: Job] = [:]
    private var nextTag = 1
    private var tokenWaiters: [OAuth2TokenKey: [Attempt]] = [:]
    private var tokenRequestsInFlight: Set<OAuth2TokenKey> = []
    /// Active webhooks with what their attempts share, rebuilt only for a changed webhook.
    private var webhooksByID: [Int64: PreparedWebhook] = [:]
    /// Disabled here (410, failing too long) until the webhook set shows them inactive.
    private var suspended: Set<Int64> = []
    private var failingSince: [Int64: Int64] = [:]
    /// Bodies of held deliveries, by delivery id, as posted by `enqueue` (bounded; else read from SQLite).
    private var bodies: [Int64: [UInt8]] = [:]
    private static let maxCachedBodies = 20_000
    private var lastResync: Int64 = 0
    private var lastPurge: Int64?
    /// Finished attempts not stored yet, and what the scheduler is told once they are.
    private var reports: [DeliveryAttemptReport] = []
    private var verdicts: [(Int64, DeliveryScheduler.Verdict)] = []
    /// When the first of `reports` was added (`DispatchTime` uptime ns); nil when none is waiting.
    private var batchStarted: UInt64?
    /// The batch the recorder is storing: what to apply once it is stored.
    private var storing: [(Int64, DeliveryScheduler.Verdict)]?
    private let recorder: DeliveryRecorder
    /// Webhooks with a verdict in the batch (whose calls wait for it).
    private var batchWebhooks: Set<Int64> = []

    private enum Job {
        case delivery(Attempt)
        case token(OAuth2TokenKey, tokenURL: String)
    }

    /// One delivery while it is being attempted.
    private final class Attempt {
        var delivery: OutboxDelivery
        let prepared: PreparedWebhook
        let body: [UInt8]
        var startedAt: Int64 = 0
        var tokenKey: OAuth2TokenKey?
        var accessToken: String?
        var tokenFromCache = false
        var refreshedAfter401 = false
        /// `CURLOPT_RESOLVE` pins from the destination check (empty when the policy is off).
        var resolveEntries: [String] = []

        /// The webhook as it was when the attempt started (a later edit applies to the next attempt).
        var webhook: Webhook { prepared.webhook }

        init(delivery: OutboxDelivery, prepared: PreparedWebhook, body: [UInt8]) {
            self.delivery = delivery
            self.prepared = prepared
            self.body = body
        }
    }

    init(outbox: Outbox, webhooks: @escaping @Sendable () -> [Webhook], configuration: DeliveryConfiguration,
         environment: DeliveryEnvironment, logger: Logger,
         onWebhookDisabled: @escaping @Sendable (Webhook, String) -> Void, mailbox: DeliveryMailbox,
         counters: DeliveryCounters) {
        self.outbox = outbox
        self.webhooks = webhooks
        self.configuration = configuration
        self.environment = environment
        self.logger = logger
        self.onWebhookDisabled = onWebhookDisabled
        self.mailbox = mailbox
        self.counters = counters
        self.multi = CurlMulti(maxCachedConnections: max(64, configuration.maxInFlightTotal))
        self.recorder = DeliveryRecorder(outbox: outbox, logger: logger, onFinished: { [mailbox] in mailbox.wake() })
        self.destinations = DestinationChecker(policy: configuration.destinationPolicy)
        mailbox.waker.withLock { $0 = multi.waker }
    }

    // MARK: The loop

    /// Runs until `stop` is requested and in-flight attempts are done (or the deadline passes).
    func run() {
        let start = environment.nowMilliseconds()
        refreshWebhooks()
        do {
            failingSince = try outbox.failureStreaks()
            for delivery in try outbox.pendingDeliveries() { scheduler.add(delivery, now: start) }
        } catch {
            logger.error("cannot read the outbox", ["error": "\(error)"])
        }
        lastResync = start
        logger.info("delivery worker started", ["delivery.pending": String(scheduler.count)])

        recorder.start()
        while true {
            let now = environment.nowMilliseconds()
            let (stopDeadline, crashed) = drainMailbox(now: now)
            if crashed {  // simulated (tests): what is not stored yet is lost
                _ = multi.abortAll()
                recorder.stop()
                mailbox.waker.withLock { $0 = nil }
                return
            }
            if now - lastResync >= Int64(configuration.resyncIntervalMilliseconds) { resync(now: now) }
            purgeIfDue(now: now)
            takeStoredBatch(now: now)
            if stopDeadline == nil { dispatch(now: now) }
            // After dispatching, so that under load the slots freed by this turn's completions
            // are taken by other calls first and the batch keeps growing (see `shouldFlush`).
            if storing == nil && shouldFlush(stopping: stopDeadline != nil) { handOverBatch(now: now) }
            publishGauges()
            if let stopDeadline {
                if (multi.activeCount == 0 && reports.isEmpty && storing == nil)
                    || DispatchTime.now().uptimeNanoseconds >= stopDeadline
                {
                    storeRemainingAndStop(now: environment.nowMilliseconds())
                    shutDown()
                    return
                }
            }
            // Returns at once when transfers were just added (libcurl's timer is due), a socket is
            // ready or the recorder finished a batch, so one turn costs one poll and one perform,
            // as in curl-multi-post.
            multi.poll(timeoutMilliseconds: stopDeadline == nil ? pollTimeout(now: environment.nowMilliseconds()) : 20)
            let completions = multi.performAndCollect()
            if !completions.isEmpty {
                let finishedAt = environment.nowMilliseconds()
                for completion in completions { handle(completion, now: finishedAt) }
            }
        }
    }

    private func pollTimeout(now: Int64) -> Int {
        var timeout = Int64(configuration.resyncIntervalMilliseconds) - (now - lastResync)
        if let next = scheduler.nextTimer { timeout = min(timeout, next - now) }
        if let batchStarted, storing == nil {  // while a batch is being stored, its end wakes us
            let age = Int64((DispatchTime.now().uptimeNanoseconds &- batchStarted) / 1_000_000)
            timeout = min(timeout, Int64(configuration.recordBatchMaxDelayMilliseconds) - age)
        }
        return Int(min(max(timeout, 0), 1_000))
    }

    /// Whether to store the finished attempts now (see `DeliveryConfiguration.recordBatchMaxSize`).
    private func shouldFlush(stopping: Bool) -> Bool {
        guard let batchStarted else { return false }
        if stopping || reports.count >= configuration.recordBatchMaxSize { return true }
        if DispatchTime.now().uptimeNanoseconds &- batchStarted
            >= UInt64(configuration.recordBatchMaxDelayMilliseconds) * 1_000_000 { return true }
        guard configuration.recordBatchEarlyWhenIdle else { return false }
        // A call waiting for this batch could use a free slot: no reason to make it wait.
        for webhookID in batchWebhooks
        where scheduler.hasSpareSlot(webhookID: webhookID, maxPerWebhook: configuration.maxInFlightPerWebhook,
                                     maxTotal: configuration.maxInFlightTotal) {
            return true
        }
        return false
    }

    /// Takes what the service posted; returns the stop deadline, if any, and whether to crash.
    private func drainMailbox(now: Int64) -> (stopDeadline: UInt64?, crashed: Bool) {
        let (incoming, changed, deadline, crash) = mailbox.state.withLock { state in
            defer {
                state.incoming.removeAll(keepingCapacity: true)
                state.webhooksChanged = false
            }
            return (state.incoming, state.webhooksChanged, state.stopDeadline, state.crash)
        }
        if crash { return (nil, true) }
        for (delivery, body) in incoming {
            scheduler.add(delivery, now: now)
            if let body, bodies.count < Self.maxCachedBodies { bodies[delivery.id] = body }
        }
        if changed { refreshWebhooks() }
        return (deadline, false)
    }

    private func refreshWebhooks() {
        var byID: [Int64: PreparedWebhook] = [:]
        for webhook in webhooks() where webhook.isActive {
            if let current = webhooksByID[webhook.id], current.webhook == webhook {
                byID[webhook.id] = current
            } else {
                byID[webhook.id] = PreparedWebhook(webhook, userAgent: configuration.userAgent)
            }
        }
        // A webhook we disabled may be sent to again once the set has shown it inactive (re-enabled).
        suspended = suspended.filter { byID[$0] != nil }
        webhooksByID = byID
    }

    /// Re-reads the webhook set and picks up rows another process changed (CLI `redeliver`).
    private func resync(now: Int64) {
        refreshWebhooks()
        do {
            // Rows never attempted and not manual are this process's own fresh enqueues: they reach
            // the scheduler through the mailbox. Taking them here too could schedule one twice
            // (added here, delivered, then added again from the mailbox) — a duplicate send.
            for delivery in try outbox.pendingDeliveries(updatedSince: lastResync - 1_000)
            where delivery.isManual || delivery.attempts > 0 {
                scheduler.add(delivery, now: now)
            }
        } catch {
            logger.warning("cannot read the outbox", ["error": "\(error)"])
        }
        lastResync = now
    }

    /// Applies `logRetention` at start and then every `purgeIntervalMilliseconds`.
    private func purgeIfDue(now: Int64) {
        guard let retention = configuration.logRetention else { return }
        if let lastPurge, now - lastPurge < Int64(configuration.purgeIntervalMilliseconds) { return }
        lastPurge = now
        let parts = retention.components
        let cutoff = now - (parts.seconds * 1000 + parts.attoseconds / 1_000_000_000_000_000)
        do {
            let removed = try outbox.purge(finishedBefore: cutoff)
            if removed > 0 { logger.info("delivery log purged", ["delivery.removed": String(removed)]) }
        } catch {
            logger.warning("cannot purge the delivery log", ["error": "\(error)"])
        }
    }

    private func canSend(_ webhookID: Int64) -> Bool {
        webhooksByID[webhookID] != nil && !suspended.contains(webhookID)
    }

    // MARK: Sending

    private func dispatch(now: Int64) {
        let due = scheduler.takeDue(now: now, canSend: canSend, maxPerWebhook: configuration.maxInFlightPerWebhook,
                                    maxTotal: configuration.maxInFlightTotal)
        guard !due.isEmpty else { return }
        // Bodies not posted with the row (a restart backlog, retries, an overflowing cache): one
        // read for all of them.
        var loaded: [String: [UInt8]] = [:]
        let missing = due.filter { bodies[$0.id] == nil }.map(\.eventID)
        if !missing.isEmpty {
            do {
                loaded = try outbox.bodies(eventIDs: missing)
            } catch {
                logger.warning("cannot read event bodies", ["delivery.count": String(missing.count), "error": "\(error)"])
                for delivery in due where bodies[delivery.id] == nil { scheduler.release(delivery.id, now: now) }
                return dispatchCached(due, now: now)
            }
        }
        for delivery in due {
            guard let prepared = webhooksByID[delivery.webhookID] else {
                scheduler.release(delivery.id, now: now)
                continue
            }
            guard let body = bodies[delivery.id] ?? loaded[delivery.eventID] else {
                let attempt = Attempt(delivery: delivery, prepared: prepared, body: [])
                attempt.startedAt = now
                finish(attempt, outcome: .failed(.invalidRequest("event body missing from the outbox")),
                       status: nil, responseBody: nil, latency: 0, now: now)
                continue
            }
            start(Attempt(delivery: delivery, prepared: prepared, body: body), now: now)
        }
    }

    /// After a failed body read: sends what has its body in memory (the rest was released).
    private func dispatchCached(_ due: [OutboxDelivery], now: Int64) {
        for delivery in due {
            guard let body = bodies[delivery.id] else { continue }
            guard let prepared = webhooksByID[delivery.webhookID] else {
                scheduler.release(delivery.id, now: now)
                continue
            }
            start(Attempt(delivery: delivery, prepared: prepared, body: body), now: now)
        }
    }

    private func start(_ attempt: Attempt, now: Int64) {
        attempt.startedAt = now
        // Destination policy: checked (and DNS-resolved, cached per host) as the attempt is prepared;
        // a refusal is a failed attempt that is never retried.
        switch destinations.check(url: attempt.prepared.webhook.url) {
        case .refused(let reason):
            finish(attempt, outcome: .failed(.network(reason)), status: nil, responseBody: nil, latency: 0, now: now,
                   retryable: false)
            return
        case let verdict:
            attempt.resolveEntries = verdict.curlResolveEntries
        }
        switch attempt.prepared.webhook.auth {
        case .none, .basic, .bearer:  // the header template holds the Authorization line
            send(attempt, authorization: nil, now: now)
        case .oauth2ClientCredentials, .oauth2Password:
            guard let key = OAuth2Grant.key(for: attempt.webhook.auth) else { return }
            attempt.tokenKey = key
            if let token = tokenCache.token(for: key, nowMilliseconds: now) {
                attempt.accessToken = token.accessToken
                attempt.tokenFromCache = true
                send(attempt, authorization: token.authorization, now: now)
            } else {
                tokenWaiters[key, default: []].append(attempt)
                requestToken(key, auth: attempt.webhook.auth, now: now)
            }
        }
    }

    /// - Parameter authorization: the OAuth2 `Authorization` value; nil for the other auth modes
    ///   (their line is part of the webhook's header template).
    private func send(_ attempt: Attempt, authorization: String?, now: Int64) {
        attempt.startedAt = now
        do {
            let prepared = attempt.prepared
            let lines = try prepared.headers.lines(messageID: attempt.delivery.eventID, timestamp: now / 1000,
                                                   body: attempt.body, authorization: authorization)
            var curlRequest = DeliveryRequest.curlRequest(url: prepared.webhook.url, headerLines: lines,
                                                          body: attempt.body, limits: configuration.limits)
            curlRequest.resolveEntries = attempt.resolveEntries
            curlRequest.keptResponseHeaders = Self.keptResponseHeaders
            let transfer = try reusableTransfer(for: curlRequest, webhookID: attempt.delivery.webhookID)
            transfer.tag = nextTag
            if let error = multi.add(transfer) {
                recycle(transfer, webhookID: attempt.delivery.webhookID)
                throw error
            }
            jobs[nextTag] = .delivery(attempt)
            nextTag += 1
        } catch let error as DeliveryRequestError {
            finish(attempt, outcome: .failed(.invalidRequest(error.description)), status: nil, responseBody: nil,
                   latency: 0, now: now)
        } catch {
            finish(attempt, outcome: .failed(.network("\(error)")), status: nil, responseBody: nil, latency: 0, now: now)
        }
    }

    /// A finished transfer of the same webhook made ready for `request`, else a new one.
    private func reusableTransfer(for request: CurlRequest, webhookID: Int64) throws(CurlError) -> CurlTransfer {
        if let transfer = takeIdleTransfer(webhookID: webhookID) {
            do {
                try transfer.reuse(for: request)
                return transfer
            } catch {
                // Not configurable any more: let it go and start from a fresh handle.
            }
        }
        return try CurlTransfer(request: request)
    }

    /// An idle transfer last used for `webhookID`; else, once the idle pool is full (transfers of
    /// a deleted or quiet webhook would otherwise hold it forever), one of another webhook.
    private func takeIdleTransfer(webhookID: Int64) -> CurlTransfer? {
        if let transfer = idleTransfers[webhookID]?.transfers.popLast() {
            idleTransferCount -= 1
            return transfer
        }
        guard idleTransferCount >= maxIdleTransfers,
              let transfer = idleTransfers.values.first(where: { !$0.transfers.isEmpty })?.transfers.popLast()
        else { return nil }
        idleTransferCount -= 1
        return transfer
    }

    private var maxIdleTransfers: Int { max(64, configuration.maxInFlightPerWebhook) }

    /// Keeps a finished delivery transfer for the next attempt to the same webhook (bounded).
    private func recycle(_ transfer: CurlTransfer, webhookID: Int64) {
        guard idleTransferCount < maxIdleTransfers else { return }
        if let pool = idleTransfers[webhookID] {
            pool.transfers.append(transfer)
        } else {
            idleTransfers[webhookID] = TransferPool(transfer)
        }
        idleTransferCount += 1
    }

    /// Idle transfers of one webhook.
    private final class TransferPool {
        var transfers: [CurlTransfer]
        init(_ transfer: CurlTransfer) { transfers = [transfer] }
    }

    private func requestToken(_ key: OAuth2TokenKey, auth: WebhookAuth, now: Int64) {
        guard !tokenRequestsInFlight.contains(key) else { return }
        guard let request = OAuth2Grant.tokenRequest(for: auth, limits: configuration.limits,
                                                     userAgent: configuration.userAgent)
        else { return }
        do {
            let transfer = try CurlTransfer(request: request)
            transfer.tag = nextTag
            if let error = multi.add(transfer) { throw error }
            jobs[nextTag] = .token(key, tokenURL: key.tokenURL)
            nextTag += 1
            tokenRequestsInFlight.insert(key)
        } catch {
            tokenArrived(key, .failure(OAuth2Error("OAuth2 token request to \(key.tokenURL) not started: \(error)")),
                         now: now)
        }
    }

    private func tokenArrived(_ key: OAuth2TokenKey, _ result: Result<OAuth2Token, OAuth2Error>, now: Int64) {
        tokenRequestsInFlight.remove(key)
        let waiting = tokenWaiters.removeValue(forKey: key) ?? []
        switch result {
        case .success(let token):
            tokenCache.store(token, for: key)
            for attempt in waiting {
                attempt.accessToken = token.accessToken
                attempt.tokenFromCache = false
                send(attempt, authorization: token.authorization, now: now)
            }
        case .failure(let error):
            logger.warning("oauth2 token request failed", ["oauth2.token_url": key.tokenURL, "error": error.message])
            for attempt in waiting {
                finish(attempt, outcome: .failed(.authorization(error.message)), status: nil, responseBody: nil,
                       latency: Int(now - attempt.startedAt), now: now)
            }
        }
    }

    // MARK: Results

    private func handle(_ completion: CurlCompletion, now: Int64) {
        guard let job = jobs.removeValue(forKey: completion.transfer.tag) else { return }
        switch job {
        case .token(let key, let tokenURL):
            tokenArrived(key, OAuth2Grant.token(from: completion.result, tokenURL: tokenURL, nowMilliseconds: now),
                         now: now)
        case .delivery(let attempt):
            defer { recycle(completion.transfer, webhookID: attempt.delivery.webhookID) }
            switch completion.result {
            case .success(let response):
                let latency = Int(response.totalMicroseconds / 1000)
                counters.update { $0.observe(latencySeconds: Double(response.totalMicroseconds) / 1_000_000) }
                // A 2xx is stored without its body and its Retry-After means nothing (`Outbox.record`):
                // neither is turned into a string.
                let delivered = (200...299).contains(response.status)
                let body = delivered ? nil : Self.logText(response)
                if response.status == 401, let key = attempt.tokenKey, attempt.tokenFromCache,
                   !attempt.refreshedAfter401
                {
                    refreshAfter401(attempt, key: key, body: body, latency: latency, now: now)
                    return
                }
                let retryAfter = delivered
                    ? nil : RetryAfter.seconds(from: response.header("retry-after"), nowMilliseconds: now)
                finish(attempt, outcome: .from(status: response.status, retryAfterSeconds: retryAfter),
                       status: response.status, responseBody: body, latency: latency, now: now)
            case .failure(let error):
                let elapsed = completion.transfer.elapsedMicroseconds
                counters.update { $0.observe(latencySeconds: Double(elapsed) / 1_000_000) }
                let failure: DeliveryFailure
                switch error.kind {
                case .timeout: failure = .timeout
                case .invalidRequest: failure = .invalidRequest(error.message)
                default: failure = .network(error.message)
                }
                finish(attempt, outcome: .failed(failure), status: nil, responseBody: nil,
                       latency: Int(elapsed / 1000), now: now)
            }
        }
    }

    /// A 401 with a cached token: the token may have been revoked early. Record the attempt, forget
    /// the token and send once more with a fresh one (a second 401 is an ordinary failure).
    private func refreshAfter401(_ attempt: Attempt, key: OAuth2TokenKey, body: String?, latency: Int, now: Int64) {
        if let token = attempt.accessToken { tokenCache.invalidate(key, accessToken: token) }
        attempt.delivery.attempts += 1
        addToBatch(DeliveryAttemptReport(
            deliveryID: attempt.delivery.id, attempt: attempt.delivery.attempts, startedAt: attempt.startedAt,
            latencyMilliseconds: latency, statusCode: 401, responseBody: body,
            error: "HTTP 401 with a cached OAuth2 token; fetching a new token and sending again",
            result: .failure, newState: .pending, nextAttemptAt: now), webhookID: attempt.delivery.webhookID)
        counters.update { $0.count("retried") }
        attempt.refreshedAfter401 = true
        attempt.tokenFromCache = false
        attempt.accessToken = nil
        tokenWaiters[key, default: []].append(attempt)
        requestToken(key, auth: attempt.webhook.auth, now: now)
    }

    /// - Parameter retryable: false for failures retrying cannot fix (a refused destination): a retry
    ///   decision becomes a give-up with the failure's own text.
    private func finish(_ attempt: Attempt, outcome: DeliveryOutcome, status: Int?, responseBody: String?,
                        latency: Int, now: Int64, retryable: Bool = true) {
        let delivery = attempt.delivery
        let number = delivery.attempts + 1
        // Jitter only spreads retries; a success needs no random number.
        let jitter: Double
        if case .delivered = outcome { jitter = 0 } else { jitter = environment.random() }
        var decision = configuration.policy.decision(afterAttempt: number, outcome: outcome, nowMilliseconds: now,
                                                     jitter: jitter, manual: delivery.isManual)
        var failureText: String?
        if case .failed(let failure) = outcome { failureText = RetryPolicy.describe(failure) }
        if !retryable, case .retry = decision { decision = .giveUp(reason: failureText ?? "not retryable") }
        // Built only when a record is logged: a success is logged at debug level, off in production.
        func metadata() -> [String: String] {
            var metadata = ["webhook.id": String(delivery.webhookID), "webhook.name": attempt.webhook.name,
                            "delivery.id": String(delivery.id), "event.id": delivery.eventID,
                            "delivery.attempt": String(number)]
            if let status { metadata["delivery.status"] = String(status) }
            if let failureText { metadata["error"] = failureText }
            return metadata
        }

        // The slot is free for another call now; this call waits until the verdict is stored.
        scheduler.endAttempt(delivery.id)
        func report(_ result: DeliveryAttemptResult, _ state: DeliveryState, next: Int64?, error: String?) {
            addToBatch(DeliveryAttemptReport(
                deliveryID: delivery.id, attempt: number, startedAt: attempt.startedAt, latencyMilliseconds: latency,
                statusCode: status, responseBody: responseBody, error: error, result: result, newState: state,
                nextAttemptAt: next), webhookID: delivery.webhookID)
        }

        switch decision {
        case .done:
            report(.success, .delivered, next: nil, error: nil)
            verdicts.append((delivery.id, .removed))
            counters.update { $0.count("succeeded") }
            if logger.level <= .debug { logger.debug("delivered", metadata()) }
            noteSuccess(webhookID: delivery.webhookID, now: now)
        case .retry(let at):
            report(.failure, .pending, next: at, error: failureText)
            verdicts.append((delivery.id, .retry(at: at)))
            counters.update { $0.count("retried") }
            if logger.level <= .debug {
                var metadata = metadata()
                metadata["delivery.next_attempt_ms"] = String(at - now)
                logger.debug("delivery failed, will retry", metadata)
            }
            noteFailure(attempt.webhook, now: now)
        case .giveUp(let reason):
            report(.error, .failed, next: nil, error: reason)
            verdicts.append((delivery.id, .removed))
            counters.update { $0.count("failed") }
            var metadata = metadata()
            metadata["error"] = reason
            logger.info("delivery given up", metadata)
            noteFailure(attempt.webhook, now: now)
        case .disableWebhook(let reason):
            report(.error, .failed, next: nil, error: reason)
            verdicts.append((delivery.id, .removed))
            counters.update { $0.count("disabled") }
            disable(attempt.webhook, reason: reason, now: now)
        }
    }

    private func addToBatch(_ report: DeliveryAttemptReport, webhookID: Int64) {
        if batchStarted == nil { batchStarted = DispatchTime.now().uptimeNanoseconds }
        reports.append(report)
        batchWebhooks.insert(webhookID)
    }

    private func noteSuccess(webhookID: Int64, now: Int64) {
        guard failingSince.removeValue(forKey: webhookID) != nil else { return }
        try? outbox.setFailingSince(nil, webhookID: webhookID, nowMilliseconds: now)
    }

    private func noteFailure(_ webhook: Webhook, now: Int64) {
        let since: Int64
        if let existing = failingSince[webhook.id] {
            since = existing
        } else {
            since = now
            failingSince[webhook.id] = now
            try? outbox.setFailingSince(now, webhookID: webhook.id, nowMilliseconds: now)
        }
        if configuration.policy.shouldDisable(failingSinceMilliseconds: since, nowMilliseconds: now) {
            disable(webhook, reason: "every delivery failed for \((now - since) / 1000) s", now: now)
        }
    }

    private func disable(_ webhook: Webhook, reason: String, now: Int64) {
        guard suspended.insert(webhook.id).inserted else { return }
        failingSince[webhook.id] = nil
        do {
            try outbox.recordDisabled(webhookID: webhook.id, reason: reason, nowMilliseconds: now)
        } catch {
            logger.error("cannot record a disabled webhook", ["webhook.id": String(webhook.id), "error": "\(error)"])
        }
        logger.warning("webhook disabled", ["webhook.id": String(webhook.id), "webhook.name": webhook.name,
                                            "reason": reason])
        onWebhookDisabled(webhook, reason)
    }

    /// Hands the batch of finished attempts to the recorder (one transaction). The scheduler moves
    /// the calls in it on only once it is stored (`takeStoredBatch`), so after a crash the store
    /// never says less than what receivers already saw in order: an attempt lost with its batch is
    /// sent again, with the same webhook-id.
    private func handOverBatch(now: Int64) {
        storing = verdicts
        recorder.store(reports, nowMilliseconds: now)
        reports.removeAll(keepingCapacity: true)
        verdicts.removeAll(keepingCapacity: true)
        batchStarted = nil
        batchWebhooks.removeAll(keepingCapacity: true)
    }

    /// Once the recorder has stored the batch handed over: lets its calls go on.
    private func takeStoredBatch(now: Int64) {
        guard let batch = storing, recorder.takeFinished() else { return }
        storing = nil
        apply(batch, now: now)
    }

    private func apply(_ verdicts: [(Int64, DeliveryScheduler.Verdict)], now: Int64) {
        for (id, verdict) in verdicts {
            scheduler.complete(id, verdict, now: now)
            if case .removed = verdict { bodies[id] = nil }
        }
    }

    /// At stop: waits for the batch being stored, then stores what is left on this thread.
    private func storeRemainingAndStop(now: Int64) {
        recorder.stop()
        if let batch = storing {
            storing = nil
            apply(batch, now: now)
        }
        guard !reports.isEmpty || !verdicts.isEmpty else { return }
        do {
            try outbox.record(reports, nowMilliseconds: now)
        } catch {
            logger.error("cannot record delivery attempts", ["error": "\(error)", "delivery.count": String(reports.count)])
        }
        apply(verdicts, now: now)
        reports.removeAll()
        verdicts.removeAll()
    }

    private func publishGauges() {
        let pending = scheduler.count, retrying = scheduler.retryingCount, inFlight = scheduler.inFlightCount
        counters.update {
            $0.pending = pending
            $0.retryQueueDepth = retrying
            $0.inFlight = inFlight
        }
    }

    private func shutDown() {
        let aborted = multi.abortAll()
        let waiting = tokenWaiters.values.reduce(0) { $0 + $1.count }
        mailbox.waker.withLock { $0 = nil }
        logger.info("delivery worker stopped", ["delivery.abandoned": String(aborted.count + waiting),
                                                "delivery.pending": String(scheduler.count)])
        counters.update { $0.inFlight = 0 }
    }

    static func logText(_ response: CurlResponse) -> String? {
        guard !response.body.isEmpty else { return nil }
        return response.bodyText + (response.isBodyTruncated ? "…" : "")
    }
}

/// A webhook as the worker sends to it: the webhook and the header lines its attempts share.
///
/// Built once per version of the webhook (`DeliveryWorker.refreshWebhooks` keeps it while the
/// webhook is unchanged and builds a new one for an edited webhook), so the fixed headers are
/// validated and formatted, the Basic credentials encoded and the signing key decoded once
/// instead of per attempt. A class: an attempt holds it with one reference.
final class PreparedWebhook: Sendable {
    let webhook: Webhook
    let headers: DeliveryHeaderTemplate

    init(_ webhook: Webhook, userAgent: String) {
        self.webhook = webhook
        let authorization: DeliveryHeaderTemplate.Authorization
        switch webhook.auth {
        case .none: authorization = .none
        case .basic(let username, let password):
            authorization = .fixed(DeliveryRequest.basicAuthorization(username: username, password: password))
        case .bearer(let token): authorization = .fixed("Bearer \(token)")
        case .oauth2ClientCredentials, .oauth2Password: authorization = .perAttempt
        }
        headers = DeliveryHeaderTemplate(userAgent: userAgent, headers: webhook.headers, authorization: authorization,
                                         signingSecret: webhook.signingSecret)
    }
}
