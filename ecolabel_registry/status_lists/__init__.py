"""Bitstring Status Lists: slots claimed by credentials, and the list credentials derived from status chains."""
