// YAML: placeholder until its issue lands.
