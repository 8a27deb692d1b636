"""Argon2 at a test-only cost.

Production hashes staff passwords (and reporters' receipt codes) with Django's Argon2 hasher at
its default cost, about a quarter of a second a hash on a two-core machine; the suite creates
and signs in hundreds of analysts, twice over (SQLite and PostgreSQL). This is the same
algorithm, library and encoding ("argon2$argon2id$..."), only cheaper to compute.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class QuickArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 64  # KiB
    parallelism = 1
