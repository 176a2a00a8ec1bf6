"""The built-in readiness checklist: one test function per criterion, parametrized over services."""
