print("event-publisher-bench: not implemented yet")
