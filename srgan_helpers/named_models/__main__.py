"""`python -m srgan_helpers.named_models ...`: the commands of cli.py."""

from .cli import main

raise SystemExit(main())
