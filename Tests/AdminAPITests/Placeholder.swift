// AdminAPITests: tests for AdminAPI land with its issue.
