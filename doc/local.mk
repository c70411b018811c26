# The reference: `make doc` builds the API reference (HTML and man3 pages)
# from the public headers' Doxygen comments (doc/Doxyfile.in); any warning,
# an undocumented function, parameter or field included, fails it. The
# tools' man1 pages are written by hand (doc/man); test/api/check_man1.sh
# keeps them in step with each tool's --help.
dist_man1_MANS = doc/man/verve_run.1 doc/man/verve_perf.1 \
                 doc/man/verve_info.1
EXTRA_DIST += doc/Doxyfile.in doc/check_man_install.sh

# Runs doxygen on doc/Doxyfile with the lines of $(1) appended (later
# lines win), then keeps only verve's own man3 pages: MAN_LINKS also
# writes pages for struct fields (size.3, name.3) and anonymous enums
# (@0.3), names that must not land in a system's man3.
verve_doxygen = rm -rf doc/api && \
    { cat doc/Doxyfile; printf '%s\n' $(1); } | $(DOXYGEN) - && \
    find doc/api/man/man3 -name '*.3' ! -name 'verve*' ! -name 'VERVE_*' \
        -delete

doc: doc/Doxyfile
	@if test -z "$(DOXYGEN)"; then \
	    echo "make doc: doxygen was not found when configure ran;" \
	         "install it (contrib/install-deps.sh) and configure again" >&2; \
	    exit 1; \
	fi
	$(call verve_doxygen,)
	@echo "make doc: doc/api/html/index.html and" \
	      "$$(ls doc/api/man/man3 | wc -l) man3 pages in doc/api/man/man3"
.PHONY: doc

# make install installs the man3 pages when doxygen is here, building them
# first if make doc has not (with warnings shown but not fatal: make doc is
# where they fail, in CI, not a user's install); without doxygen it says
# so and installs the rest.
install-data-local: install-man3
install-man3: doc/Doxyfile
	@if test -z "$(DOXYGEN)"; then \
	    echo "warning: doxygen not found: the API man pages (man3) are" \
	         "not installed" >&2; \
	else \
	    if test ! -d doc/api/man/man3; then \
	        $(call verve_doxygen,WARN_AS_ERROR=NO) || exit 1; \
	    fi; \
	    $(MKDIR_P) "$(DESTDIR)$(mandir)/man3" && \
	    $(INSTALL_DATA) doc/api/man/man3/*.3 "$(DESTDIR)$(mandir)/man3"; \
	fi
uninstall-local:
	@if test -d doc/api/man/man3; then \
	    for f in doc/api/man/man3/*.3; do \
	        rm -f "$(DESTDIR)$(mandir)/man3/$$(basename "$$f")"; \
	    done; \
	fi
clean-local: clean-doc
clean-doc:
	rm -rf doc/api check-install-man.tmp
.PHONY: install-man3 clean-doc

# make install into a scratch folder, then check that every man page is
# there: each tool's man1 page and a man3 page for every public function.
check-install-man:
	rm -rf check-install-man.tmp
	$(MAKE) $(AM_MAKEFLAGS) install \
	    DESTDIR="$(abs_builddir)/check-install-man.tmp" >/dev/null
	$(SHELL) $(top_srcdir)/doc/check_man_install.sh \
	    "$(abs_builddir)/check-install-man.tmp$(mandir)" \
	    "$(top_srcdir)/include/verve"
	rm -rf check-install-man.tmp
.PHONY: check-install-man
