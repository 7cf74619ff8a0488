import CallEvents
import Foundation

/// Holds a replay's events to a manifest scenario and to the event model's invariants; returns
/// one sentence per problem (empty when the replay is correct). The same rules as
/// `shared/tools/check-replay`, in Swift, so `swift test` alone proves the scenarios.
struct ReplayVerifier {
    struct Leg {
        var callID: String
        var id: String
        var events: [CallEvent] = []
        var numbers: [String] { events.compactMap { $0.data["leg"]?["number"]?.stringValue } }
        var role: String? { events.first?.data["leg"]?["role"]?.stringValue }
        var kinds: [String] { events.map { ReplayVerifier.kind($0) } }
        var updates: [String] {
            events.filter { $0.type == .callUpdated }.compactMap { $0.data["change"]?["reason"]?.stringValue }
        }
    }

    let scenario: ManifestScenario
    let events: [CallEvent]
    var problems: [String] = []
    var legs: [String: Leg] = [:]  // by "call|leg"
    var legOrder: [String] = []
    var calls: [String: [CallEvent]] = [:]
    var callOrder: [String] = []

    static func kind(_ event: CallEvent) -> String {
        switch event.type {
        case .callStarted: return "started"
        case .callConnected: return "connected"
        case .callUpdated: return "updated"
        case .callFinished: return "finished"
        case .customerInteraction: return "customer_interaction"
        case .voicemailReceived: return "voicemail_received"
        case .callRating: return "call_rating"
        }
    }

    static func verify(_ events: [CallEvent], against scenario: ManifestScenario) -> [String] {
        var verifier = ReplayVerifier(scenario: scenario, events: events)
        verifier.index()
        verifier.checkInvariants()
        let groups = verifier.groups()
        if let expected = scenario.expectedCalls { verifier.checkCalls(expected, groups: groups) }
        verifier.checkTotals(groups: groups)
        return verifier.problems
    }

    mutating func index() {
        for event in events {
            if calls[event.callID] == nil { callOrder.append(event.callID) }
            calls[event.callID, default: []].append(event)
            guard event.type.isLegEvent, let id = event.data["leg"]?["id"]?.stringValue else { continue }
            let key = event.callID + "|" + id
            if legs[key] == nil { legOrder.append(key); legs[key] = Leg(callID: event.callID, id: id) }
            legs[key]!.events.append(event)
        }
    }

    mutating func checkInvariants() {
        if Set(events.map(\.id)).count != events.count { problems.append("event ids are not unique") }
        let start = scenario.capturedAt.map { EventInstant(seconds: $0.timeIntervalSince1970 - 10) }
        let end = scenario.capturedAt.map {
            EventInstant(seconds: $0.timeIntervalSince1970 + scenario.captureSeconds + 15)
        }
        for event in events {
            if let start, let end, event.timestamp < start || event.timestamp > end {
                problems.append("\(event.id): timestamp \(event.timestamp.iso8601) outside the capture")
            }
            if event.data["call_id"]?.stringValue != event.callID {
                problems.append("\(event.id): data.call_id differs")
            }
        }
        for callID in callOrder {
            let callEvents = calls[callID]!
            if callEvents.map(\.sequence) != Array(1...callEvents.count) {
                problems.append("call \(callID): sequence is not 1, 2, 3, …")
            }
            if Set(callEvents.map(\.tenant)).count > 1 { problems.append("call \(callID): several tenants") }
            let lastFinished = callEvents.lastIndex { $0.type == .callFinished } ?? -1
            for kind in [EventName.customerInteraction, .callRating] {
                let indices = callEvents.indices.filter { callEvents[$0].type == kind }
                if indices.count > 1 { problems.append("call \(callID): \(indices.count) \(kind.rawValue)") }
                if let first = indices.first, first < lastFinished {
                    problems.append("call \(callID): \(kind.rawValue) before a finished")
                }
            }
        }
        var callsOfLeg: [String: Set<String>] = [:]
        for key in legOrder {
            let leg = legs[key]!
            callsOfLeg[leg.id, default: []].insert(leg.callID)
            let kinds = leg.kinds
            let label = "call \(leg.callID) leg \(leg.numbers.first ?? "?")"
            if kinds.first != "started" { problems.append("\(label): first event is \(kinds.first ?? "-")") }
            if kinds.filter({ $0 == "started" }).count != 1 { problems.append("\(label): started not exactly once") }
            if kinds.filter({ $0 == "finished" }).count != 1 || kinds.last != "finished" {
                problems.append("\(label): finished not exactly once and last")
            }
            if leg.events.contains(where: {
                ($0.data["leg"]?["channel"]?.stringValue ?? "").lowercased().hasPrefix("local/")
            }) {
                problems.append("\(label): a Local channel reported as a leg")
            }
            if Set(leg.events.compactMap { $0.data["leg"]?["role"]?.stringValue }).count != 1 {
                problems.append("\(label): role changes")
            }
        }
        for (id, owners) in callsOfLeg where owners.count > 1 {
            problems.append("channel \(id) is a leg of several calls")
        }
    }

    /// Calls linked through `related_call_ids` count as one.
    func groups() -> [[String]] {
        var parent: [String: String] = [:]
        for id in callOrder { parent[id] = id }
        func find(_ id: String) -> String {
            var current = id
            while parent[current]! != current { current = parent[current]! }
            return current
        }
        for event in events {
            for related in event.data["related_call_ids"]?.arrayValue?.compactMap(\.stringValue) ?? []
            where parent[related] != nil {
                let a = find(event.callID), b = find(related)
                if a != b { parent[b] = a }
            }
        }
        var groups: [String: [String]] = [:]
        var order: [String] = []
        for id in callOrder {
            let root = find(id)
            if groups[root] == nil { order.append(root) }
            groups[root, default: []].append(id)
        }
        return order.map { groups[$0]! }
    }

    func legsOf(_ group: [String]) -> [Leg] { legOrder.map { legs[$0]! }.filter { group.contains($0.callID) } }

    mutating func checkCalls(_ expected: [ManifestScenario.Call], groups: [[String]]) {
        var left = groups
        for (number, call) in expected.enumerated() {
            let label = "call \(number + 1)"
            let callerNumber = call.legs.first { $0.role == "caller" }?.number
            let callees = Set(call.legs.filter { $0.role != "caller" }.map(\.number))
            var best: (score: Int, index: Int)?
            for (index, group) in left.enumerated() {
                let groupLegs = legsOf(group)
                guard groupLegs.contains(where: { $0.role == "caller" && $0.numbers.contains(callerNumber ?? "") })
                else { continue }
                let tenantMatches = group.contains { calls[$0]!.contains { $0.tenant == call.tenant } }
                let others = Set(groupLegs.filter { $0.role != "caller" }.flatMap(\.numbers))
                let score = (tenantMatches ? 2 : 0) + callees.intersection(others).count
                if best == nil || score > best!.score { best = (score, index) }
            }
            guard let best else {
                problems.append("\(label): no call with a caller leg \(callerNumber ?? "?")")
                continue
            }
            let group = left.remove(at: best.index)
            check(call, group: group, label: label)
        }
        for group in left { problems.append("unexpected call \(group.joined(separator: ","))") }
    }

    mutating func check(_ call: ManifestScenario.Call, group: [String], label: String) {
        let groupEvents = events.filter { group.contains($0.callID) }
        if let tenant = call.tenant, groupEvents.contains(where: { $0.tenant != tenant }) {
            problems.append("\(label): tenant is not \(tenant)")
        }
        var remaining = legsOf(group)
        for expected in call.legs {
            guard let index = remaining.firstIndex(where: { $0.numbers.contains(expected.number) }) else {
                problems.append("\(label): no leg \(expected.number)")
                continue
            }
            let leg = remaining.remove(at: index)
            check(leg, expected, label: "\(label) leg \(expected.number)")
        }
        for leg in remaining { problems.append("\(label): unexpected leg \(leg.numbers.first ?? "?")") }
        if let direction = call.direction,
            groupEvents.contains(where: { $0.type.isLegEvent && $0.data["direction"]?.stringValue != direction })
        {
            problems.append("\(label): direction is not \(direction)")
        }
        if let dialed = call.dialedNumber {
            let callerEvents = groupEvents.filter { $0.data["leg"]?["role"] == "caller" }
            if !callerEvents.contains(where: { $0.data["dialed_number"]?.stringValue == dialed }) {
                problems.append("\(label): dialed_number \(dialed) missing on the caller leg")
            }
        }
        for kind in ["customer_interaction", "voicemail_received", "call_rating"] {
            let count = groupEvents.filter { ReplayVerifier.kind($0) == kind }.count
            let wanted = call.callEvents.filter { $0 == kind }.count
            if count != wanted { problems.append("\(label): \(count) \(kind), expected \(wanted)") }
        }
        let reasons = groupEvents.filter { $0.type == .callUpdated }.compactMap {
            $0.data["change"]?["reason"]?.stringValue
        }
        if !Self.isSubsequence(call.callMustReasons, of: reasons) {
            problems.append("\(label): reasons \(call.callMustReasons) not in order in \(reasons)")
        }
    }

    mutating func check(_ leg: Leg, _ expected: ManifestScenario.Leg, label: String) {
        if let role = expected.role, leg.role != role {
            problems.append("\(label): role \(leg.role ?? "-"), expected \(role)")
        }
        if let external = expected.external,
            leg.events.contains(where: { $0.data["leg"]?["external"]?.boolValue != external })
        {
            problems.append("\(label): external is not \(external)")
        }
        let wantedConnected = expected.events.filter { $0 == "connected" }.count
        let connected = leg.kinds.filter { $0 == "connected" }.count
        let low = expected.connectedMin ?? wantedConnected
        let high = expected.connectedMax ?? (expected.connectedMin == nil ? wantedConnected : Int.max)
        if connected < low || connected > high {
            problems.append("\(label): \(connected) connected, expected \(low)…\(high)")
        }
        if leg.updates.count < expected.updatedMin {
            problems.append("\(label): fewer than \(expected.updatedMin) updates")
        }
        let wantedReasons =
            expected.mustReasons + expected.events.filter { $0.hasPrefix("updated:") }.map { String($0.dropFirst(8)) }
        for reason in wantedReasons where !leg.updates.contains(reason) {
            problems.append("\(label): no updated:\(reason) (got \(leg.updates))")
        }
        let got = zip(leg.kinds, leg.events).map { kind, event in
            kind == "updated" ? "updated:" + (event.data["change"]?["reason"]?.stringValue ?? "") : kind
        }
        let pattern = expected.events
        var position = 0
        for item in got where position < pattern.count {
            let want = pattern[position]
            if item == want || (want == "updated" && item.hasPrefix("updated:")) { position += 1 }
        }
        if position != pattern.count { problems.append("\(label): expected order \(pattern), got \(got)") }
        if !expected.dispositions.isEmpty {
            let disposition = leg.events.last { $0.type == .callFinished }?.data["disposition"]?.stringValue ?? "-"
            if !expected.dispositions.contains(disposition) {
                problems.append("\(label): disposition \(disposition), expected \(expected.dispositions)")
            }
        }
    }

    mutating func checkTotals(groups: [[String]]) {
        if let count = scenario.expectedCallCount, count != groups.count {
            problems.append("expected \(count) calls, got \(groups.count)")
        }
        guard let totals = scenario.totals else { return }
        let allLegs = legOrder.map { legs[$0]! }
        func expect(_ name: String, _ wanted: Int?, _ got: Int) {
            if let wanted, wanted != got { problems.append("expected \(wanted) \(name), got \(got)") }
        }
        expect("legs", totals.legs, allLegs.count)
        expect(
            "external legs", totals.externalLegs,
            allLegs.filter { $0.events.contains { $0.data["leg"]?["external"] == true } }.count)
        expect("connected", totals.connected, allLegs.reduce(0) { $0 + $1.kinds.filter { $0 == "connected" }.count })
        for (role, wanted) in totals.legsByRole {
            expect("\(role) legs", wanted, allLegs.filter { $0.role == role }.count)
        }
        let finals = allLegs.compactMap {
            $0.events.last { $0.type == .callFinished }?.data["disposition"]?.stringValue
        }
        for (disposition, wanted) in totals.dispositions {
            expect("\(disposition) legs", wanted, finals.filter { $0 == disposition }.count)
        }
        for disposition in Set(finals).subtracting(totals.dispositions.keys) where !totals.dispositions.isEmpty {
            problems.append("unexpected disposition \(disposition)")
        }
        for (tenant, wanted) in totals.callsByTenant {
            expect("\(tenant) calls", wanted, groups.filter { calls[$0[0]]!.first?.tenant == tenant }.count)
        }
        for (kind, wanted) in totals.callEvents {
            expect("\(kind) events", wanted, events.filter { ReplayVerifier.kind($0) == kind }.count)
        }
    }

    static func isSubsequence(_ wanted: [String], of got: [String]) -> Bool {
        var index = 0
        for item in got where index < wanted.count && item == wanted[index] { index += 1 }
        return index == wanted.count
    }
}
