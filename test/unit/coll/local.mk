# Unit tests of the collectives layer.
