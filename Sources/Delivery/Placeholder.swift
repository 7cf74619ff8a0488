// Delivery: placeholder until its issue lands.
