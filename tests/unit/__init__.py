"""Pure functions: no processes, no servers, no CLI runs (seconds in all)."""
