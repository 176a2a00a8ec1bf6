"""Pure check functions, one per criterion: ``check(service) -> Verdict``. No pytest in here."""
