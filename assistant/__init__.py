"""Daoban (导办): grounded guidance and form filling for enterprise registration in China."""

__version__ = "0.1.0"
