# Unit tests of the verbs transports' device-independent parts.
