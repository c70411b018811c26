# The verbs suite, run inside the SoftRoCE guest (make check-verbs).
