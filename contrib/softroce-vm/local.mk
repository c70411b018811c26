# The SoftRoCE guest that runs the verbs suite (make check-verbs).
