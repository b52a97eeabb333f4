@_exported import NetworkPrimitives
