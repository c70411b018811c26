# Collectives: teams, schedules, algorithms, selection.
