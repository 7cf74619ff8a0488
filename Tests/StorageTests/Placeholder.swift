// StorageTests: tests for Storage land with its issue.
