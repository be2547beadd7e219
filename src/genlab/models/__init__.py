"""Model families. Importing this package registers every family with genlab's registry."""

from genlab.models import autoencoder  # noqa: F401
