// AMIClientTests: tests for AMIClient land with its issue.
