import EventPublisherCLI

EventPublisherCLI.main(arguments: Array(CommandLine.arguments.dropFirst()))
