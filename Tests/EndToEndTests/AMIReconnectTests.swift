import AMIProtocol
import CallEvents
import EventPublisher
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The AMI server drops the connection (or restarts with `Shutdown`/`FullyBooted`) during a
/// capture; the daemon reconnects, sends `CoreShowChannels`, and resynchronises. The server answers
/// an empty channel list (as a restarted Asterisk would), so every call open at a drop ends with a
/// reconstructed `call.event_call_finished`; later events of those calls must not end them twice.
@Suite("AMI drops: reconnect and resync", .serialized)
struct AMIReconnectTests {
    /// Streams `messages` in `segments` parts; between parts, `interrupt` cuts the connection and the
    /// test waits for the daemon's next login and `CoreShowChannels`.
    private func runWithInterruptions(segments: Int, interrupt: (AMIReplayServer, Int) -> Void) throws
        -> (received: [ReceivedEvent], logins: Int, started: Set<String>)
    {
        let folder = try TemporaryFolder("ep-drops")
        let server = try AMIReplayServer(configuration: AMIReplayServer.Configuration())
        defer { server.stop() }
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        let configPath = try EndToEndConfiguration(amiPort: Int(server.port), storePath: folder.file("store.sqlite"),
                                                   webhookURL: receiver.url).write(to: folder.file("config.yaml"))
        let messages = try AMIReplayServer.streamableMessages(ofCapture: EndToEnd.concurrentCapture)
        let (logger, _) = EndToEnd.capturingLogger(level: .info)
        let daemon = Daemon(options: EndToEnd.options(configPath: configPath, amiPort: server.port, logger: logger))
        try daemon.start()
        defer { daemon.stop(deliveryTimeout: .seconds(2)) }

        func resyncs() -> Int {
            server.statistics.actions.filter { $0.action?.lowercased() == "coreshowchannels" }.count
        }
        func ingested() -> UInt64 { daemon.metrics?.eventsIn.values.reduce(0, +) ?? 0 }

        #expect(EndToEnd.wait(timeout: .seconds(10)) { resyncs() >= 1 }, "no first login")
        let size = (messages.count + segments - 1) / segments
        var sent: UInt64 = 0
        for part in 0..<segments {
            let slice = Array(messages[min(part * size, messages.count)..<min((part + 1) * size, messages.count)])
            server.stream(slice)
            sent += UInt64(slice.filter { $0.eventName != nil }.count)
            #expect(EndToEnd.wait(timeout: .seconds(10)) { ingested() >= sent }, "segment \(part) not ingested")
            if part < segments - 1 {
                let before = resyncs()
                interrupt(server, part)
                #expect(EndToEnd.wait(timeout: .seconds(10)) { resyncs() > before }, "no resync after drop \(part)")
            }
        }
        // Quiet: every started leg has finished and the receiver has them all.
        var started: Set<String> = []
        let settled = receiver.wait(timeout: .seconds(15)) { requests in
            let events = requests.receivedEvents()
            started = Set(events.filter { $0.type == "call.event_call_started" }.compactMap(\.legID))
            let finished = Set(events.filter { $0.type == "call.event_call_finished" }.compactMap(\.legID))
            return !started.isEmpty && started.isSubset(of: finished)
        }
        #expect(settled, "some legs never finished")
        usleep(300_000)
        return (receiver.requests.receivedEvents(), server.statistics.successfulLogins, started)
    }

    private func checkEveryLegEndsOnce(_ received: [ReceivedEvent]) {
        #expect(received.count == Set(received.map(\.eventID)).count, "no event delivered twice")
        #expect(DeliveryChecks.webhookIDsMatchEventIDs(received).isEmpty)
        #expect(DeliveryChecks.perCallOrderViolations(received) == [])
        var startedPerLeg: [String: Int] = [:]
        var finishedPerLeg: [String: Int] = [:]
        var lastTypePerLeg: [String: String] = [:]
        for event in received.sorted(by: { ($0.callID, $0.sequence) < ($1.callID, $1.sequence) }) {
            guard let leg = event.legID else { continue }
            if event.type == "call.event_call_started" { startedPerLeg["\(event.callID)/\(leg)", default: 0] += 1 }
            if event.type == "call.event_call_finished" { finishedPerLeg["\(event.callID)/\(leg)", default: 0] += 1 }
            if event.type.hasPrefix("call.event_call_") { lastTypePerLeg["\(event.callID)/\(leg)"] = event.type }
        }
        #expect(startedPerLeg.values.allSatisfy { $0 == 1 }, "a leg started twice: \(startedPerLeg.filter { $0.value != 1 })")
        #expect(finishedPerLeg.values.allSatisfy { $0 == 1 }, "a leg finished twice: \(finishedPerLeg.filter { $0.value != 1 })")
        #expect(Set(startedPerLeg.keys) == Set(finishedPerLeg.keys), "every leg that started finished, and only those")
        #expect(lastTypePerLeg.values.allSatisfy { $0 == "call.event_call_finished" }, "finished is each leg's last event")
        let calls = Set(received.map(\.callID))
        let callsWithFinish = Set(received.filter { $0.type == "call.event_call_finished" }.map(\.callID))
        #expect(calls == callsWithFinish, "every call ends with a finished event")
    }

    // Four drops: the client's reconnect backoff grows while sessions never reach their first Pong
    // (0.5, 1, 2, 4 s), so more drops only make the test slower; scripts/reliability.sh does 20.
    @Test("Four connection drops during a capture: the daemon reconnects and resyncs each time, every leg ends exactly once")
    func dropsDuringCaptureReconnectAndResync() throws {
        let result = try runWithInterruptions(segments: 5) { server, _ in server.dropConnections() }
        #expect(result.logins >= 5, "one login per connection: \(result.logins)")
        checkEveryLegEndsOnce(result.received)
        #expect(result.started.count >= 10)
    }

    @Test("An Asterisk restart (Shutdown, then FullyBooted after the reconnect) ends open calls as reconstructed")
    func shutdownAndFullyBootedRestart() throws {
        let result = try runWithInterruptions(segments: 2) { server, _ in
            server.sendRaw(Array("Event: Shutdown\r\nPrivilege: system,all\r\nShutdown: Cleanly\r\nRestart: True\r\n\r\n".utf8))
            usleep(50_000)
            server.dropConnections()
            // The restarted PBX announces itself once the client is back.
            _ = server.wait(timeout: .seconds(10)) { $0.connectionsAccepted >= 2 && $0.successfulLogins >= 2 }
            server.sendRaw(Array("Event: FullyBooted\r\nPrivilege: system,all\r\nStatus: Fully Booted\r\n\r\n".utf8))
        }
        #expect(result.logins >= 2)
        checkEveryLegEndsOnce(result.received)
    }
}
