import Foundation

/// Entry point of the `event-publisher` executable: dispatches to the commands.
public enum EventPublisherCLI {
    public static func main(arguments: [String]) -> Never {
        FileHandle.standardError.write(Data("event-publisher: not implemented yet\n".utf8))
        exit(64)
    }
}
