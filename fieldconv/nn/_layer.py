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

Beyond the protocol every built-in layer has :meth:`Layer.named_buffers`
(state that is saved but not trained: batch-norm running statistics) and
:meth:`Layer.config` (its constructor arguments, so a saved model can be
rebuilt).  Inside :func:`no_grad` layers keep nothing for a backward pass:
inference then holds no intermediate activations.

Private module; :class:`Layer` and :func:`no_grad` are re-exported by
:mod:`fieldconv.nn`.
"""

import contextlib
import copy

__all__ = ["Layer", "ParametrisedLayer", "no_grad"]


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
    #: False inside :func:`no_grad`: forward keeps nothing for backward.
    keep_for_backward = True
    #: False for the first layer of a model being trained (nothing needs dL/d(input)):
    #: layers that can skip that product (Conv1D) then return None from backward.
    needs_input_grad = True

    def __call__(self, x):
        return self.forward(x)

    #: Attributes that hold one forward's state or caches: not pickled.
    _transient = ("_x", "_saved", "_mask", "_shape", "_out_shape", "_windows", "_cache", "_bins")

    def __getstate__(self):
        from ..backend import Backend

        state = {}
        for k, v in self.__dict__.items():
            if k in self._transient:
                continue
            if isinstance(v, Backend):
                v = _BackendRef(v.name, v.threads if v.on_host else None)
                try:  # a backend that needs more than its name (array_api: xp=) cannot be rebuilt
                    v.resolve()
                except ValueError:
                    raise TypeError(
                        f"cannot pickle a {type(self).__name__} on the {v.name!r} backend (not rebuilt from its "
                        "name alone); save it with fieldconv.nn.save_model instead"
                    ) from None
            state[k] = v
        return state

    def __deepcopy__(self, memo):
        """A copy with copied arrays, sharing the backend objects (not copyable: they hold modules)."""
        from ..backend import Backend

        new = object.__new__(type(self))
        memo[id(self)] = new
        for v in self.__dict__.values():  # nested references to the same backend stay shared too
            if isinstance(v, Backend):
                memo[id(v)] = v
        for k, v in self.__dict__.items():
            if k in self._transient:
                new.__dict__[k] = {} if k in ("_windows", "_cache", "_bins") else None
            elif isinstance(v, Backend):
                new.__dict__[k] = v
            elif hasattr(v, "__array_namespace__") and not isinstance(v, type):
                new.__dict__[k] = v.__array_namespace__().asarray(v, copy=True)
            else:
                new.__dict__[k] = copy.deepcopy(v, memo)
        return new

    def __setstate__(self, state):
        for k, v in state.items():
            if isinstance(v, _BackendRef):
                v = v.resolve()
            self.__dict__[k] = v
        for k in self._transient:  # fresh caches, no forward state
            self.__dict__.setdefault(k, {} if k in ("_windows", "_cache", "_bins") else None)

    def forward(self, x):
        """The layer's output for input `x`."""
        raise NotImplementedError(f"{type(self).__name__} does not implement forward")

    def backward(self, grad_out):
        """dL/d(input) from dL/d(output); sets the parameter gradients."""
        raise NotImplementedError(f"{type(self).__name__} does not implement backward")

    def children(self):
        """Sub-layers, in order (containers override this)."""
        return []

    def walk(self):
        """This layer and all its descendants, depth first, in order."""
        yield self
        for child in self.children():
            yield from child.walk()

    def config(self):
        """Constructor arguments (JSON-compatible) that rebuild this layer's architecture."""
        raise NotImplementedError(f"{type(self).__name__} does not describe its architecture (config)")

    def named_buffers(self, prefix=""):
        """``{name: array}`` of saved, untrained state (batch-norm running statistics)."""
        out = {}
        for i, child in enumerate(self.children()):
            out.update(child.named_buffers(f"{prefix}{i}."))
        return out

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


class _BackendRef:
    """A backend by name in a pickle (the backend object holds modules and plan caches)."""

    def __init__(self, name, threads):
        self.name, self.threads = name, threads  # threads None: a device backend (no thread count)

    def resolve(self):
        from ..backend import get_backend

        if self.threads is None:  # device backends: no thread count
            return get_backend(self.name)
        return get_backend(self.name, threads=self.threads)


@contextlib.contextmanager
def no_grad(model):
    """Scope in which `model` and its sub-layers keep nothing for backward.

    Inference through the model then frees each intermediate activation as
    soon as the next layer has used it.  The previous setting of every
    layer is restored on exit.

    Examples
    --------
    >>> import numpy as np
    >>> from fieldconv.nn import Dense, no_grad
    >>> layer = Dense(3, 2, random_state=0)
    >>> with no_grad(layer):
    ...     y = layer(np.ones((1, 3), np.float32))
    ...     layer.keep_for_backward
    False
    >>> layer.keep_for_backward
    True
    """
    layers = list(model.walk())
    before = [layer.keep_for_backward for layer in layers]
    for layer in layers:
        layer.keep_for_backward = False
    try:
        yield model
    finally:
        for layer, keep in zip(layers, before):
            layer.keep_for_backward = keep


class ParametrisedLayer(Layer):
    """Base of layers with parameters: ``self.<name>`` and ``self.<name>_grad`` per parameter.

    Subclasses set ``param_names`` (a tuple) and, in ``__init__``,
    ``self.backend``/``self.dtype`` and the parameter arrays.  A parameter
    set to None (a layer without bias) is left out.  Gradients read before
    the first backward are zeros.
    """

    param_names = ()
    buffer_names = ()

    def named_parameters(self, prefix=""):
        return {prefix + n: getattr(self, n) for n in self.param_names if getattr(self, n) is not None}

    def named_grads(self, prefix=""):
        out = {}
        for n in self.param_names:
            p = getattr(self, n)
            if p is None:
                continue
            g = getattr(self, n + "_grad", None)
            if g is None:
                g = self.backend.zeros(tuple(p.shape), self.dtype)
                setattr(self, n + "_grad", g)
            out[prefix + n] = g
        return out

    def named_buffers(self, prefix=""):
        return {prefix + n: getattr(self, n) for n in self.buffer_names}
