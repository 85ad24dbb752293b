"""Reading the ``constraint=`` argument of a mixer into a parameterisation.

The accepted forms, and what each builds, are listed in
:class:`fieldconv.nn.ChannelMixer`; this module only checks them and picks
the class.
"""

from ._parameterisation import Free

__all__ = ["make_parameterisation", "bias_allowed"]


def bias_allowed(param_cls):
    """Whether mixers of this parameterisation class may carry a bias."""
    return getattr(param_cls, "bias_rule", "free") != "none"


def make_parameterisation(constraint, in_channels, out_channels, *, bias, backend):
    """The parameterisation for `constraint`; `bias` None means "if the constraint allows one"."""
    if constraint is None:
        return Free(in_channels, out_channels, bias=True if bias is None else bool(bias), backend=backend)
    raise NotImplementedError(f"constraint {constraint!r} is not supported yet")
