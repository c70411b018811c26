# unit tests of src/core: filled in by its owner
