"""Where jobs run: the lanes and their workers (lanes.py), bounded priority
queues, job payloads, the background budget, drain rates, the parsing child
and the render pool. The server layer never imports this package."""
