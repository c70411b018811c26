# self transport sources
