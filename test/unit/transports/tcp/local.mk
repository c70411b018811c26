# Unit tests of the tcp transport.
