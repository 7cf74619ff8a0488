import Storage

/// Which pending delivery may go when: per-call order per webhook, retries at their time, limits.
///
/// ## Overview
/// Deliveries live in *lanes*, one per (webhook, call), sorted by `sequence`. Only a lane's head may
/// be in flight, so a webhook receives one call's events in order, each after the previous one was
/// delivered or given up; lanes of other calls and other webhooks do not wait for it. A head is
/// *ready* when its `nextAttemptAt` has come, else it waits on a timer heap.
///
/// ## Inputs and outputs
/// `add` (new, resumed or redelivered rows), `takeDue` (marks heads in flight and returns them),
/// `endAttempt` (the HTTP exchange is over, its verdict not stored yet), `complete` (the verdict is
/// stored: `.removed` or `.retry(at:)`), `release` (abandoned attempt).
///
/// A lane stays blocked from `takeDue` until `complete`, but its *slot* (what the in-flight limits
/// count: a connection) is given back at `endAttempt`. The worker stores verdicts in batches, so
/// between the two the slot already carries another call's event while this call's next event
/// waits for the store to say the previous one is done (per-call order survives a crash).
///
/// ## Invariants
/// - A lane's in-flight delivery is always `entries[0]`; new entries never go before it.
/// - Every delivery id is in `laneOf` exactly while it is in some lane, and maps to that lane.
/// - A lane is in `lanes` (under its key) exactly while it has entries.
///
/// Lanes are found by key (a `String` call id to hash) only when a delivery is added; the ready
/// queues, the timer heap and `laneOf` refer to the lane itself, so an attempt's way through
/// `takeDue`, `endAttempt` and `complete` hashes no string.
/// - Per webhook at most `maxPerWebhook` attempts hold a slot.
///
/// No clock, no I/O: times are passed in (Unix milliseconds); confined to the worker thread.
struct DeliveryScheduler {
    struct LaneKey: Hashable {
        var webhookID: Int64
        /// The call id, or `event:<id>` for an event that belongs to no call (no order to keep).
        var orderKey: String
    }

    /// A class, so updating a lane in the dictionary never copies its entries (copy-on-write), and
    /// the queues can hold the lane itself.
    final class Lane {
        let key: LaneKey
        var entries: [OutboxDelivery] = []
        /// The head was taken; the lane waits for its verdict (`complete`) or `release`.
        var headInFlight = false
        /// The head's attempt still counts against the in-flight limits (until `endAttempt`).
        var holdsSlot = false
        var isReady = false
        /// The due time of the timer entry that is current for this lane.
        var timerDue: Int64?
        /// Removed from `lanes` (emptied); queue entries still pointing at it are stale.
        var isRetired = false

        init(key: LaneKey) { self.key = key }
    }

    enum Verdict {
        /// Delivered or given up: the next event of the call may go.
        case removed
        /// Failed; try again at this time (Unix ms).
        case retry(at: Int64)
    }

    private(set) var lanes: [LaneKey: Lane] = [:]
    private var laneOf: [Int64: Lane] = [:]
    private var timers = MinHeap<TimerEntry>()
    private var ready: [Int64: FIFO<Lane>] = [:]
    /// Attempts holding a slot, per webhook and in all.
    private(set) var inFlightByWebhook: [Int64: Int] = [:]
    private(set) var inFlightCount = 0
    /// Pending deliveries that already failed at least once.
    private(set) var retryingCount = 0

    /// Deliveries held (pending or in flight).
    var count: Int { laneOf.count }

    func contains(_ id: Int64) -> Bool { laneOf[id] != nil }

    static func laneKey(of delivery: OutboxDelivery) -> LaneKey {
        LaneKey(webhookID: delivery.webhookID,
                orderKey: delivery.callID.isEmpty ? "event:\(delivery.eventID)" : delivery.callID)
    }

    /// Adds a delivery, or, for one already held and not in flight, moves its next attempt to
    /// `delivery.nextAttemptAt` (a redelivery). Returns false when it was in flight (nothing changes).
    @discardableResult
    mutating func add(_ delivery: OutboxDelivery, now: Int64) -> Bool {
        if let lane = laneOf[delivery.id] {
            guard let index = lane.entries.firstIndex(where: { $0.id == delivery.id }) else { return false }
            if index == 0 && lane.headInFlight { return false }
            lane.entries[index].nextAttemptAt = delivery.nextAttemptAt
            lane.entries[index].isManual = delivery.isManual
            schedule(lane, now: now)
            return true
        }
        let key = Self.laneKey(of: delivery)
        let lane: Lane
        if let existing = lanes[key] {
            lane = existing
        } else {
            lane = Lane(key: key)
            lanes[key] = lane
        }
        let firstMovable = lane.headInFlight ? 1 : 0
        var index = lane.entries.count
        while index > firstMovable,
              (lane.entries[index - 1].sequence, lane.entries[index - 1].id) > (delivery.sequence, delivery.id)
        {
            index -= 1
        }
        lane.entries.insert(delivery, at: index)
        laneOf[delivery.id] = lane
        if delivery.attempts > 0 { retryingCount += 1 }
        if index == 0 { schedule(lane, now: now) }
        return true
    }

    /// Heads due at `now` for webhooks that `canSend`, within the in-flight limits; marks them in flight.
    mutating func takeDue(now: Int64, canSend: (Int64) -> Bool, maxPerWebhook: Int, maxTotal: Int) -> [OutboxDelivery] {
        promoteTimers(now: now)
        var taken: [OutboxDelivery] = []
        for webhookID in Array(ready.keys) {
            guard inFlightCount < maxTotal else { break }
            guard canSend(webhookID) else { continue }
            guard var queue = ready[webhookID] else { continue }
            while inFlightCount < maxTotal, inFlightByWebhook[webhookID, default: 0] < maxPerWebhook,
                  let lane = queue.pop()
            {
                guard !lane.isRetired else { continue }
                lane.isReady = false
                guard !lane.headInFlight, let head = lane.entries.first else { continue }
                guard head.nextAttemptAt <= now else {
                    schedule(lane, now: now)
                    continue
                }
                lane.headInFlight = true
                lane.holdsSlot = true
                inFlightByWebhook[webhookID, default: 0] += 1
                inFlightCount += 1
                taken.append(head)
            }
            ready[webhookID] = queue.isEmpty ? nil : queue
        }
        return taken
    }

    /// The HTTP attempt of the in-flight head `id` is over: its slot is free for another lane, while
    /// this lane stays blocked until `complete` (the verdict is stored) or `release`.
    mutating func endAttempt(_ id: Int64) {
        guard let lane = laneOf[id] else { return }
        endAttempt(id, in: lane)
    }

    private mutating func endAttempt(_ id: Int64, in lane: Lane) {
        guard lane.holdsSlot, lane.entries.first?.id == id else { return }
        lane.holdsSlot = false
        endFlight(lane.key.webhookID)
    }

    /// The verdict of the in-flight head `id` is stored: the lane moves on.
    mutating func complete(_ id: Int64, _ verdict: Verdict, now: Int64) {
        guard let lane = laneOf[id], lane.headInFlight, lane.entries.first?.id == id else { return }
        endAttempt(id, in: lane)
        lane.headInFlight = false
        let head = lane.entries[0]
        switch verdict {
        case .removed:
            lane.entries.removeFirst()
            laneOf[id] = nil
            if head.attempts > 0 { retryingCount -= 1 }
        case .retry(let at):
            if head.attempts == 0 { retryingCount += 1 }
            lane.entries[0].attempts += 1
            lane.entries[0].nextAttemptAt = at
            lane.entries[0].isManual = false
        }
        if lane.entries.isEmpty {
            lanes[lane.key] = nil
            lane.isRetired = true
        } else {
            schedule(lane, now: now)
        }
    }

    /// The in-flight head `id` was abandoned without a verdict (shutdown): it stays first, unchanged.
    mutating func release(_ id: Int64, now: Int64) {
        guard let lane = laneOf[id], lane.headInFlight, lane.entries.first?.id == id else { return }
        endAttempt(id, in: lane)
        lane.headInFlight = false
        schedule(lane, now: now)
    }

    /// Whether an attempt for `webhookID` could take a slot now.
    func hasSpareSlot(webhookID: Int64, maxPerWebhook: Int, maxTotal: Int) -> Bool {
        inFlightCount < maxTotal && inFlightByWebhook[webhookID, default: 0] < maxPerWebhook
    }

    /// The earliest timer, Unix ms.
    var nextTimer: Int64? { timers.peek?.due }

    // MARK: Internals

    private struct TimerEntry: Comparable {
        var due: Int64
        var lane: Lane
        static func < (lhs: TimerEntry, rhs: TimerEntry) -> Bool { lhs.due < rhs.due }
        static func == (lhs: TimerEntry, rhs: TimerEntry) -> Bool { lhs.due == rhs.due && lhs.lane === rhs.lane }
    }

    private mutating func endFlight(_ webhookID: Int64) {
        inFlightCount -= 1
        let left = inFlightByWebhook[webhookID, default: 1] - 1
        inFlightByWebhook[webhookID] = left > 0 ? left : nil
    }

    /// Puts a lane's head where it belongs: the ready queue when due, the timer heap otherwise.
    private mutating func schedule(_ lane: Lane, now: Int64) {
        guard !lane.isRetired, !lane.headInFlight, !lane.isReady, let head = lane.entries.first else { return }
        if head.nextAttemptAt <= now {
            lane.isReady = true
            lane.timerDue = nil
            ready[lane.key.webhookID, default: FIFO()].push(lane)
        } else if lane.timerDue != head.nextAttemptAt {
            lane.timerDue = head.nextAttemptAt
            timers.push(TimerEntry(due: head.nextAttemptAt, lane: lane))
        }
    }

    private mutating func promoteTimers(now: Int64) {
        while let top = timers.peek, top.due <= now {
            _ = timers.pop()
            let lane = top.lane
            guard !lane.isRetired, lane.timerDue == top.due else { continue }  // stale entry
            lane.timerDue = nil
            schedule(lane, now: now)
        }
    }
}

/// A first-in first-out queue with amortised O(1) pop.
struct FIFO<Element> {
    private var items: [Element] = []
    private var head = 0
    var isEmpty: Bool { head >= items.count }
    mutating func push(_ item: Element) { items.append(item) }
    mutating func pop() -> Element? {
        guard head < items.count else { return nil }
        let item = items[head]
        head += 1
        if head > 64 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        return item
    }
}

/// A binary min-heap.
struct MinHeap<Element: Comparable> {
    private var items: [Element] = []
    var peek: Element? { items.first }
    var count: Int { items.count }

    mutating func push(_ item: Element) {
        items.append(item)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Element? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < items.count && items[left] < items[smallest] { smallest = left }
            if right < items.count && items[right] < items[smallest] { smallest = right }
            guard smallest != parent else { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }
}
