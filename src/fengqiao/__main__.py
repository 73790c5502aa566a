"""``python -m fengqiao …`` runs the same commands as the ``fengqiao`` script."""

from fengqiao.cli import main

main()
