"""Pipeline methods, one module per stage; each method registered by name (see registry)."""

from mfgindex.methods.registry import (
    MethodCall,
    get,
    methods,
    parse_method_string,
    register,
    resolve,
)

__all__ = ["MethodCall", "get", "methods", "parse_method_string", "register", "resolve"]
