// Configuration: placeholder until its issue lands.
