"""``python -m logitlab``: the ``logitlab`` command, as torchrun starts it
(``torchrun --nproc-per-node N -m logitlab train ...``)."""

from logitlab.cli import main

if __name__ == "__main__":
    main()
