"""The one exception type the model compiler raises for a model it cannot use."""


class ModelError(ValueError):
    """A model that tinykws cannot compile.

    The message names the problem (node index, op name, tensor name where they
    apply) and what to do about it.
    """
