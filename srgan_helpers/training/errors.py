"""What can stop a training run, each with a message that says what happened and what to do."""


class TrainingDiverged(RuntimeError):
    """A loss (or a weight) became NaN or infinite; the newest checkpoint is still the last good one."""


class CheckpointWriteError(RuntimeError):
    """A checkpoint could not be written (disk full, Drive quota...); the previous one is intact."""


class RunFolderError(RuntimeError):
    """The run folder cannot be written (read-only, full, not a folder); nothing of the run was changed."""
