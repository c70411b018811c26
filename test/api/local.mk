TESTS += test/api/check_headers.sh
EXTRA_DIST += test/api/check_headers.sh
TESTS += test/api/check_man1.sh
EXTRA_DIST += test/api/check_man1.sh
