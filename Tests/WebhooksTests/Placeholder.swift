// WebhooksTests: tests for Webhooks land with its issue.
