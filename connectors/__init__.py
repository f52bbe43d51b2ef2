"""Marketplace connectors. A leaf package: it never imports ``bot``.

Each connector translates between one marketplace's chat API and the frozen
dataclasses in :mod:`connectors.models`; :mod:`connectors.base` is the protocol
the bot relies on and :mod:`connectors.registry` the explicit list of them.
"""
