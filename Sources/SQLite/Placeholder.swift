// SQLite: placeholder until its issue lands.
