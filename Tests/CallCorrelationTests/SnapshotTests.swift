import AMIProtocol
import CallCorrelation
import CallEvents
import Foundation
import TestSupport
import Testing

/// Persisting the correlator's state (CallCorrelator+Snapshot.swift): a restored correlator behaves
/// exactly like the one that never stopped, and a restore followed by an empty live list finishes
/// every leg that was open.
@Suite("Correlation snapshot")
struct SnapshotTests {
    static let captures = [
        "fixtures/ami/01-internal-answered-caller-hangup.ami", "fixtures/ami/02-internal-answered-callee-hangup.ami",
        "fixtures/ami/03-internal-no-answer.ami", "fixtures/ami/04-internal-busy.ami",
        "fixtures/ami/05-internal-caller-cancel.ami", "fixtures/ami/06-inbound-external-answered.ami",
        "fixtures/ami/07-outbound-external-answered.ami", "fixtures/ami/08-inbound-queue-agent-answers.ami",
        "fixtures/ami/10-queue-ringall-two-agents.ami", "fixtures/ami/11-voicemail-left.ami",
        "fixtures/ami/12-blind-transfer.ami", "fixtures/ami/16-concurrent-10-mixed.ami",
        "fixtures/ami-pjsip/06-inbound-external-answered.ami",
    ]

    /// A capture's messages with the instant each gets (as `CorrelationSession` picks them).
    static func timedMessages(_ capture: String) throws -> [(AMIMessage, EventInstant)] {
        var last = EventInstant(microseconds: 0)
        return try AMIReplayServer.streamableMessages(ofCapture: Fixtures.path(capture)).map { message in
            last = CorrelationSession.instant(of: message, receivedAt: nil, after: last)
            return (message, last)
        }
    }

    /// Split points: a few fractions of the capture plus every `Hangup` (legs open at a crash).
    static func splits(of messages: [(AMIMessage, EventInstant)]) -> [Int] {
        var points = Set([1, 2, 3, 5, 7].map { messages.count * $0 / 8 })
        for (index, item) in messages.enumerated() where item.0.eventName == "Hangup" { points.insert(index) }
        return points.filter { $0 > 0 && $0 < messages.count }.sorted()
    }

    static func run(_ correlator: inout CallCorrelator, _ messages: ArraySlice<(AMIMessage, EventInstant)>)
        -> [CallEvent]
    {
        messages.flatMap { correlator.process($0.0, at: $0.1).events }
    }

    @Test("A restored correlator emits exactly what the uninterrupted one emits, at every split",
          arguments: captures)
    func restoredCorrelatorContinuesIdentically(capture: String) throws {
        let messages = try Self.timedMessages(capture)
        let end = messages.last?.1 ?? EventInstant(microseconds: 0)
        var uninterrupted = CallCorrelator(configuration: .sample)
        var expected = Self.run(&uninterrupted, messages[...])
        expected += uninterrupted.finish(at: end).events
        let splits = Self.splits(of: messages)
        #expect(!splits.isEmpty)
        for split in splits {
            var first = CallCorrelator(configuration: .sample)
            var events = Self.run(&first, messages[..<split])
            let bytes = first.snapshot()
            var restored = try CallCorrelator(configuration: .sample, restoring: bytes)
            #expect(restored.snapshot() == bytes, "split \(split): the snapshot does not round-trip")
            events += Self.run(&restored, messages[split...])
            events += restored.finish(at: end).events
            let got = events.map { String(decoding: $0.encodedJSON(), as: UTF8.self) }
            let want = expected.map { String(decoding: $0.encodedJSON(), as: UTF8.self) }
            #expect(got == want, "split \(split) of \(messages.count): first difference at \(got.indices.first { $0 >= want.count || got[$0] != want[$0] } ?? -1)")
            if got != want { break }
        }
    }

    @Test("The same state gives the same snapshot bytes")
    func snapshotIsDeterministic() throws {
        let messages = try Self.timedMessages("fixtures/ami/16-concurrent-10-mixed.ami")
        var a = CallCorrelator(configuration: .sample), b = CallCorrelator(configuration: .sample)
        _ = Self.run(&a, messages[..<(messages.count / 2)])
        _ = Self.run(&b, messages[..<(messages.count / 2)])
        #expect(a.snapshot() == b.snapshot())
        #expect(a.liveCallCount > 0)
    }

    @Test("Restore then an empty live list finishes every open leg as reconstructed and ends the calls",
          arguments: captures)
    func restoreThenEmptyResyncFinishesOpenLegs(capture: String) throws {
        let messages = try Self.timedMessages(capture)
        var checkedSplits = 0
        for split in Self.splits(of: messages) {
            var first = CallCorrelator(configuration: .sample)
            let before = Self.run(&first, messages[..<split])
            let started = Set(before.filter { $0.type == .callStarted }.compactMap { $0.data["leg"]?["id"]?.stringValue })
            let finishedBefore = Set(before.filter { $0.type == .callFinished }.compactMap {
                $0.data["leg"]?["id"]?.stringValue
            })
            let open = started.subtracting(finishedBefore)
            guard !open.isEmpty else { continue }
            checkedSplits += 1
            let at = messages[split - 1].1.adding(seconds: 30)
            var twin = first  // the process that never stopped, seeing the same empty list
            let reference = twin.resynchronize(with: [], at: at).events
            var restored = try CallCorrelator(configuration: .sample, restoring: first.snapshot())
            let after = restored.resynchronize(with: [], at: at).events
            #expect(after == reference)
            let finished = after.filter { $0.type == .callFinished }
            let finishedLegs = finished.compactMap { $0.data["leg"]?["id"]?.stringValue }
            #expect(open.isSubset(of: finishedLegs), "split \(split): finished \(finishedLegs.sorted()), open \(open.sorted())")
            // Channels not announced yet (a callee created but not ringing) are announced and finished.
            let startedNow = Set(after.filter { $0.type == .callStarted }.compactMap { $0.data["leg"]?["id"]?.stringValue })
            #expect(Set(finishedLegs).subtracting(open).isSubset(of: startedNow))
            #expect(startedNow.isDisjoint(with: started), "split \(split): a second started")
            #expect(finishedLegs.count == Set(finishedLegs).count, "split \(split): a leg finished twice")
            #expect(finished.allSatisfy { $0.data["reconstructed"] == true })
            #expect(restored.liveCallCount == 0)
            // Ids continue the calls' sequences: none repeats an id published before the split.
            #expect(Set(after.map(\.id)).isDisjoint(with: before.map(\.id)))
            // A call's summary follows every finished of that call, and comes for calls with an
            // external party that end here.
            for (index, event) in after.enumerated() where event.type == .customerInteraction {
                #expect(!after[index...].contains { $0.type == .callFinished && $0.callID == event.callID })
            }
            let endedCalls = Set(finished.map(\.callID))
            let externalCalls = endedCalls.filter { call in
                (before + after).contains { $0.callID == call && $0.data["leg"]?["external"] == true }
            }
            let summarised = Set(after.filter { $0.type == .customerInteraction }.map(\.callID))
            let summarisedBefore = Set(before.filter { $0.type == .customerInteraction }.map(\.callID))
            for call in externalCalls where !summarisedBefore.contains(call) {
                // Linked calls (transfers) share one summary, carried by the call that ends last.
                let linked = after.contains { $0.type == .customerInteraction
                    && ($0.data["related_call_ids"]?.arrayValue ?? []).contains(.string(call)) }
                #expect(summarised.contains(call) || linked, "split \(split): call \(call) ended without customer_interaction")
            }
        }
        withKnownIssue("a capture whose legs never overlap a split has nothing to check", isIntermittent: true) {
            #expect(checkedSplits > 0)
        }
    }

    @Test("A restored call whose outbox is ahead of the snapshot continues after the stored sequence")
    func restoredCallContinuesAfterStoredSequence() throws {
        let messages = try Self.timedMessages("fixtures/ami/06-inbound-external-answered.ami")
        guard let split = Self.splits(of: messages).first(where: { split in
            var c = CallCorrelator(configuration: .sample)
            return !Self.run(&c, messages[..<split]).isEmpty && c.liveCallCount > 0
        }) else {
            Issue.record("no split with a call in progress")
            return
        }
        var first = CallCorrelator(configuration: .sample)
        let before = Self.run(&first, messages[..<split])
        var restored = try CallCorrelator(configuration: .sample, restoring: first.snapshot())
        let callID = try #require(restored.trackedCallIDs.first)
        let published = before.filter { $0.callID == callID }.map(\.sequence).max() ?? 0
        restored.continueSequences(after: [callID: published + 5])
        let after = restored.resynchronize(with: [], at: messages[split - 1].1).events.filter { $0.callID == callID }
        #expect(after.first?.sequence == published + 6)
        #expect(after.map(\.sequence) == Array((published + 6)..<(published + 6 + after.count)))
        // A floor below what the snapshot already published changes nothing.
        var again = try CallCorrelator(configuration: .sample, restoring: first.snapshot())
        again.continueSequences(after: [callID: 1])
        let plain = again.resynchronize(with: [], at: messages[split - 1].1).events.filter { $0.callID == callID }
        #expect(plain.first?.sequence == published + 1)
    }

    /// The `CoreShowChannel` items a PBX would list after `sent`: channels created and not hung up,
    /// with their bridge (as `RestartDuringCallTests.liveChannels` in the end-to-end tests).
    static func liveChannels(after sent: [AMIMessage]) -> [AMIMessage] {
        var order: [String] = []
        var latest: [String: AMIMessage] = [:]
        var bridges: [String: String] = [:]
        for message in sent {
            guard let id = message["Uniqueid"], message["Channel"] != nil else { continue }
            if message.eventName == "Hangup" {
                latest[id] = nil
                order.removeAll { $0 == id }
                continue
            }
            if latest[id] == nil { order.append(id) }
            latest[id] = message
            if message.eventName == "BridgeEnter" { bridges[id] = message["BridgeUniqueid"] }
            if message.eventName == "BridgeLeave" { bridges[id] = nil }
        }
        return order.compactMap { id in
            guard let m = latest[id] else { return nil }
            var fields: [(String, String)] = [("Event", "CoreShowChannel")]
            for key in ["Channel", "ChannelState", "ChannelStateDesc", "CallerIDNum", "CallerIDName", "ConnectedLineNum",
                        "ConnectedLineName", "AccountCode", "Context", "Exten", "Priority", "Uniqueid", "Linkedid"] {
                if let value = m[key] { fields.append((key, value)) }
            }
            fields += [("BridgeId", bridges[id] ?? ""), ("Application", "Dial"), ("ApplicationData", "")]
            return AMIMessage(fields)
        }
    }

    /// Facts published twice under different ids after a restart from a snapshot taken at `snapshotAt`
    /// when the process died at `crashAt` (the outbox holds everything up to the crash).
    static func repeatedFacts(_ messages: [(AMIMessage, EventInstant)], snapshotAt: Int, crashAt: Int,
                              absorbing: Bool) throws -> (repeats: [String], collisions: [String]) {
        var first = CallCorrelator(configuration: .sample)
        let early = Self.run(&first, messages[..<snapshotAt])
        let bytes = first.snapshot()
        let late = Self.run(&first, messages[snapshotAt..<crashAt])
        let stored = early + late
        var restored = try CallCorrelator(configuration: .sample, restoring: bytes)
        if absorbing { restored.absorbStoredEvents(late.map(StoredEventFact.init)) }
        var floors: [String: Int] = [:]
        for event in stored { floors[event.callID] = max(floors[event.callID] ?? 0, event.sequence) }
        restored.continueSequences(after: floors)
        let live = Self.liveChannels(after: messages[..<crashAt].map(\.0))
        let after = restored.resynchronize(with: live, at: messages[crashAt - 1].1.adding(seconds: 5)).events
        var repeats: [String] = []
        let finished = Set(stored.filter { $0.type == .callFinished }.compactMap { $0.data["leg"]?["id"]?.stringValue })
        let summarised = Set(stored.filter { $0.type == .customerInteraction }.map(\.callID))
        var lastPeer: [String: String] = [:]
        for event in stored where event.type == .callConnected {
            if let leg = event.data["leg"]?["id"]?.stringValue { lastPeer[leg] = event.data["peer"]?["id"]?.stringValue }
        }
        // Channels created after the snapshot are unknown to it: the resync adopts them like after a
        // restart without a snapshot (a second `started`, and `connected`, under new ids). Documented.
        let known = Set(messages[..<snapshotAt].filter { $0.0.eventName == "Newchannel" }.compactMap { $0.0["Uniqueid"] })
        for event in after {
            let leg = event.data["leg"]?["id"]?.stringValue
            if let leg, !known.contains(leg) { continue }
            switch event.type {
            case .callFinished where leg.map(finished.contains) == true: repeats.append("finished \(leg!)")
            case .customerInteraction where summarised.contains(event.callID): repeats.append("summary \(event.callID)")
            case .callConnected where leg != nil && lastPeer[leg!] != nil
                && lastPeer[leg!] == event.data["peer"]?["id"]?.stringValue:
                repeats.append("connected \(leg!)")
            default: break
            }
        }
        let storedIDs = Set(stored.map(\.id))
        return (repeats, after.map(\.id).filter(storedIDs.contains))
    }

    @Test("Events stored after the snapshot are not published again by the resync (no second finished, connected or summary)",
          arguments: captures)
    func eventsStoredAfterTheSnapshotAreNotRepeated(capture: String) throws {
        let messages = try Self.timedMessages(capture)
        var withoutAbsorbing = 0
        for crashAt in Self.splits(of: messages) {
            for lag in [3, 12, 40] where crashAt - lag > 0 {
                let plain = try Self.repeatedFacts(messages, snapshotAt: crashAt - lag, crashAt: crashAt, absorbing: false)
                withoutAbsorbing += plain.repeats.count
                let absorbed = try Self.repeatedFacts(messages, snapshotAt: crashAt - lag, crashAt: crashAt, absorbing: true)
                #expect(absorbed.repeats.isEmpty, "crash at \(crashAt), snapshot \(lag) messages earlier: \(absorbed.repeats)")
                #expect(absorbed.collisions.isEmpty && plain.collisions.isEmpty, "ids reused: \(absorbed.collisions)")
            }
        }
        // Evidence that the check bites: without the stored facts the same restarts repeat some.
        if capture.hasSuffix("16-concurrent-10-mixed.ami") { #expect(withoutAbsorbing > 0) }
    }

    @Test("A snapshot from another version, or damaged bytes, is refused with a clear error")
    func incompatibleSnapshotsAreRefused() throws {
        let messages = try Self.timedMessages("fixtures/ami/06-inbound-external-answered.ami")
        var correlator = CallCorrelator(configuration: .sample)
        _ = Self.run(&correlator, messages[..<(messages.count / 2)])
        let good = String(decoding: correlator.snapshot(), as: UTF8.self)
        let newer = good.replacingOccurrences(of: "\"version\":\(CallCorrelator.snapshotVersion)", with: "\"version\":99")
        #expect(throws: CorrelationSnapshotError.unsupportedVersion(found: 99, supported: CallCorrelator.snapshotVersion)) {
            try CallCorrelator(configuration: .sample, restoring: Array(newer.utf8))
        }
        #expect {
            try CallCorrelator(configuration: .sample, restoring: Array("not json".utf8))
        } throws: { error in
            guard case .notASnapshot = error as? CorrelationSnapshotError else { return false }
            return true
        }
        let truncated = good.replacingOccurrences(of: "\"channels\":", with: "\"channelz\":")
        #expect {
            try CallCorrelator(configuration: .sample, restoring: Array(truncated.utf8))
        } throws: { error in
            guard case .corrupt = error as? CorrelationSnapshotError else { return false }
            return "\(error)".contains("damaged")
        }
    }
}
