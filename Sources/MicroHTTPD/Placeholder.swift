// MicroHTTPD: placeholder until its issue lands.
