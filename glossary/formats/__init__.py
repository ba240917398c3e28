"""File formats the glossary reads and writes: TBX, the tabular CAT formats, concept lists."""
