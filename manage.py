#!/usr/bin/env python
"""Django's manage.py; the `hotline` console script does the same."""

from hotline.cli import main

if __name__ == "__main__":
    main()
