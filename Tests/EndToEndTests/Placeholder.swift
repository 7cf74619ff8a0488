// EndToEndTests: tests for EndToEnd land with its issue.
