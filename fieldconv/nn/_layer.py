"""The layer protocol every :mod:`fieldconv.nn` layer follows.

A layer is a differentiable map of arrays of one backend.  Its whole
protocol is:

``layer(x)`` / ``layer.forward(x)``
    The output; in training mode the layer keeps what its backward needs.
``layer.backward(grad_out)``
    Given dL/d(output), returns dL/d(input) and *sets* (does not accumulate)
    the gradients of the layer's parameters, which :meth:`Layer.grads`
    returns.  One backward follows one forward; a layer instance appears once
    in a model.
``layer.parameters()`` / ``layer.grads()``
    The raw parameter arrays (optimisers update them in place) and the
    gradient arrays, in the same order; :meth:`Layer.named_parameters` gives
    them with stable names (used to save and load models).
``layer.train()`` / ``layer.eval()``
    Training or inference mode (dropout, batch norm), passed on to children.

Private module; :class:`Layer` is re-exported by :mod:`fieldconv.nn`.
"""

__all__ = ["Layer"]


class Layer:
    """Base class of the layers of :mod:`fieldconv.nn`.

    Subclasses implement :meth:`forward` and :meth:`backward`, and either
    override :meth:`named_parameters`/:meth:`named_grads` (layers with
    parameters) or :meth:`children` (containers).

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn import Layer
    >>> class Scale(Layer):
    ...     def forward(self, x):
    ...         return 2.0 * x
    ...     def backward(self, grad_out):
    ...         return 2.0 * grad_out
    >>> layer = Scale()
    >>> layer(np.ones(3))
    array([2., 2., 2.])
    >>> layer.parameters(), layer.training, layer.eval().training
    ([], True, False)
    """

    training = True

    def __call__(self, x):
        return self.forward(x)

    def forward(self, x):
        """The layer's output for input `x`."""
        raise NotImplementedError(f"{type(self).__name__} does not implement forward")

    def backward(self, grad_out):
        """dL/d(input) from dL/d(output); sets the parameter gradients."""
        raise NotImplementedError(f"{type(self).__name__} does not implement backward")

    def children(self):
        """Sub-layers, in order (containers override this)."""
        return []

    def named_parameters(self, prefix=""):
        """``{name: array}`` of the parameters of this layer and its children."""
        out = {}
        for i, child in enumerate(self.children()):
            out.update(child.named_parameters(f"{prefix}{i}."))
        return out

    def named_grads(self, prefix=""):
        """``{name: array}`` of the gradients, keyed as :meth:`named_parameters`."""
        out = {}
        for i, child in enumerate(self.children()):
            out.update(child.named_grads(f"{prefix}{i}."))
        return out

    def parameters(self):
        """The raw parameter arrays (updated in place by optimisers)."""
        return list(self.named_parameters().values())

    def grads(self):
        """The gradient arrays, in the order of :meth:`parameters`."""
        params = self.named_parameters()
        grads = self.named_grads()
        return [grads[name] for name in params]

    def train(self, mode=True):
        """Set training mode (``mode=False``: inference) here and in children; returns self."""
        self.training = bool(mode)
        for child in self.children():
            child.train(mode)
        return self

    def eval(self):
        """Set inference mode; returns self."""
        return self.train(False)
