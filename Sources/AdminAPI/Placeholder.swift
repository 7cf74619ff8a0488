// AdminAPI: placeholder until its issue lands.
