// ConfigurationTests: tests for Configuration land with its issue.
