"""The socket side of the daemon: listener and peer checks, admission and
descriptor limits, one connection's protocol and flow control, systemd."""
