// Curl: placeholder until its issue lands.
