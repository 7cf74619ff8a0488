/// The published event names (category `call`). Wire strings live here and nowhere else.
public enum EventName: String, Sendable, Hashable, CaseIterable, Codable, Comparable {
    case callStarted = "call.event_call_started"
    case callConnected = "call.event_call_connected"
    case callUpdated = "call.event_call_updated"
    case callFinished = "call.event_call_finished"
    case callRating = "call.call_rating"
    case customerInteraction = "call.customer_interaction"
    case voicemailReceived = "call.voicemail_received"

    /// The category shown in the admin page's event picker.
    public var category: String { "call" }

    /// Whether the event is about one leg (started/connected/updated/finished) or the whole call.
    public var isLegEvent: Bool {
        switch self {
        case .callStarted, .callConnected, .callUpdated, .callFinished: return true
        case .callRating, .customerInteraction, .voicemailReceived: return false
        }
    }

    public static func < (lhs: EventName, rhs: EventName) -> Bool { lhs.rawValue < rhs.rawValue }
}
