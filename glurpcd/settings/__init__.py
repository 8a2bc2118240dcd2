"""Every daemon setting once (options.py), resolved from flags, environment and
glurpcd.toml (config.py, configfile.py), and what SIGHUP may change (reload.py)."""
