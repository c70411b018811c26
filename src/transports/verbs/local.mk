# The verbs transports (rc, ud), built when libibverbs is found.
if HAVE_VERBS
endif
