"""``python -m sim2real.planner`` runs the ``sim2real`` command line."""

from sim2real.planner.cli import main

if __name__ == "__main__":
    main()
