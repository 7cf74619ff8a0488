// AMIClient: placeholder until its issue lands.
