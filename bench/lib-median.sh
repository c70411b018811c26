# Sourced by the comparison scripts (vs-ucx.sh, vs-ompi-coll.sh).
# median VALUE...: the median of the numeric values (non-numbers, such as
# a run that printed nothing, are left out); NA when there are none.
median() {
    printf '%s\n' "$@" | grep -E '^[-0-9.eE+]+$' | sort -g |
        awk '{ v[NR] = $1 } END {
            if (NR == 0) { print "NA"; exit }
            if (NR % 2) print v[(NR + 1) / 2];
            else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
