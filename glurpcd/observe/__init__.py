"""What the daemon tells its operator: log set-up and fields, the per-request
trace line, counters, and the lifecycle's status snapshot."""
