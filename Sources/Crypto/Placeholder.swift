// Crypto: placeholder until its issue lands.
