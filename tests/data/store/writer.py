"""A glossary writer in its own process, for the crash and concurrency tests.

writer.py save-loop PATH A.pickle B.pickle   save A and B in turn until killed
writer.py update PATH P.pickle COUNT         merge proposal P into PATH COUNT times
"""

from __future__ import annotations

import pickle
import sys
from dataclasses import replace
from pathlib import Path

from glossary import store


def main() -> None:
    mode, path = sys.argv[1], Path(sys.argv[2])
    if mode == "save-loop":
        versions = [pickle.loads(Path(p).read_bytes()) for p in sys.argv[3:5]]
        print("ready", flush=True)
        n = 0
        while True:
            store.save(versions[n % 2], path)
            print(f"saved {versions[n % 2].about['run']}", flush=True)
            n += 1
    elif mode == "update":
        proposal = pickle.loads(Path(sys.argv[3]).read_bytes())
        for i in range(int(sys.argv[4])):
            terms = [replace(t, frequency=t.frequency + i) for t in proposal.terms]
            store.update(path, replace(proposal, terms=terms))


if __name__ == "__main__":
    main()
