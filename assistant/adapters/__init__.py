"""One module per vendor. Only these modules import vendor SDKs."""
