"""Training, simulation and evaluation of the default Gluformer (a tool, not
the runtime: `pip install 'glurpc-local[train]'`). The daemon and the CLI never
import this package."""
