# The TCP transport.
