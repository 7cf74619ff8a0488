// EventPublisher: placeholder until its issue lands.
