import AMIProtocol
import CallCorrelation
import CallEvents
import Testing

/// The live channel list (`CoreShowChannels`) can arrive after the first events of a new
/// connection. A channel those events announced is followed by them and must not be finished as
/// "vanished while disconnected" just because the list was generated before it appeared.
@Suite("Resync after a connect")
struct ConnectResyncRaceTests {
    static let caller: [(String, String)] = [
        ("Event", "Newchannel"), ("Timestamp", "1796414998.475033"), ("Channel", "PJSIP/1001-00000001"),
        ("ChannelState", "4"), ("ChannelStateDesc", "Ring"), ("CallerIDNum", "1001"), ("CallerIDName", "Alice"),
        ("ConnectedLineNum", "<unknown>"), ("ConnectedLineName", "<unknown>"), ("AccountCode", "acme"),
        ("Context", "acme-internal"), ("Exten", "1002"), ("Priority", "1"), ("Uniqueid", "1796414998.0"),
        ("Linkedid", "1796414998.0"),
    ]

    @Test("A channel seen after the connect survives a live list that does not show it yet")
    func channelSeenAfterConnectIsNotVanished() {
        var correlator = CallCorrelator(configuration: .sample)
        correlator.connectionEstablished()
        _ = correlator.process(AMIMessage(Self.caller), at: EventInstant(microseconds: 1_796_414_998_475_033))
        let output = correlator.resynchronize(with: [], at: EventInstant(microseconds: 1_796_414_998_600_000))
        #expect(!output.events.contains { $0.type == .callFinished })
        #expect(correlator.liveChannelCount == 1)
    }

    @Test("A channel silent since the connect and missing from the list is finished as reconstructed")
    func channelSilentSinceConnectIsVanished() {
        var correlator = CallCorrelator(configuration: .sample)
        _ = correlator.process(AMIMessage(Self.caller), at: EventInstant(microseconds: 1_796_414_998_475_033))
        correlator.connectionEstablished()
        let output = correlator.resynchronize(with: [], at: EventInstant(microseconds: 1_796_414_999_000_000))
        #expect(correlator.liveChannelCount == 0)
        #expect(output.diagnostics.contains { if case .vanishedDuringDisconnect = $0 { return true }; return false })
    }
}
