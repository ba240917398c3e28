"""glossary: a multilingual glossary toolkit keyed to Vietnamese source terms."""

__version__ = "0.1.0"
