"""A stand-in for a plotly figure, for Aim's `aim.Figure` where plotly is not installed.

Aim 3.29.1's `Figure.__init__` recognises a plotly figure by its type names (a class or base
whose "<name>.<module>" contains 'plotly', 'Figure' and 'BaseFigure') and then only calls its
`to_json()` (`aim/sdk/objects/figure.py`). `version` stubs `plotly.version` for the call, so Aim
writes that version; without it Aim writes 'unknown', as it does whenever plotly is missing.
"""

import sys
import types

import aim


class BaseFigure:
    """A plotly figure that serializes to `text`."""

    def __init__(self, text):
        self.text = text

    def to_json(self):
        return self.text


BaseFigure.__module__ = 'plotly.basedatatypes'


def aim_figure(text, version=None):
    """`aim.Figure` of a plotly figure whose `to_json()` is `text`, built by Aim itself."""
    if version is None:
        return aim.Figure(BaseFigure(text))
    stubs = {'plotly': types.ModuleType('plotly'), 'plotly.version': types.ModuleType('plotly.version')}
    stubs['plotly.version'].__version__ = version
    saved = {name: sys.modules.get(name) for name in stubs}
    sys.modules.update(stubs)
    try:
        return aim.Figure(BaseFigure(text))
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
