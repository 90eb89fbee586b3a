"""What runs: the enabled modules, their routes, tables, events and migration state."""
