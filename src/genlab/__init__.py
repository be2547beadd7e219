"""genlab: generative deep-learning models on Keras 3 with the TensorFlow backend.

Importing genlab pins Keras to the TensorFlow backend before Keras is imported, so a
user's ``KERAS_BACKEND`` setting for other projects does not change genlab's behaviour.
"""

import os

__version__ = "0.1.0"

if "keras" not in __import__("sys").modules:
    os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

