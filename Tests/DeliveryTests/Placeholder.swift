// DeliveryTests: tests for Delivery land with its issue.
