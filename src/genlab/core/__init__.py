"""The foundation every other genlab package stands on: typed configs, the family registry,
errors, tf.distribute helpers, atomic file I/O and the one module that touches private Keras
API (:mod:`genlab.core.compat`). Imports nothing of genlab above it."""
