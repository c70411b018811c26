TESTS += test/api/check_headers.sh
EXTRA_DIST += test/api/check_headers.sh
