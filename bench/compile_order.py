"""Which compile order of the catalogue scans fastest: raw Hyperscan, one database per salt.

Hyperscan's compiler merges engines greedily in pattern order, so the same patterns compiled in
another order match the same and scan at another speed; the engine compiles in the order of a
salted hash of the pattern names (detectors/engine.py, ORDER_SALT). This compiles the catalogue
once per salt, then times raw Hyperscan (Scanner.count) on every database in turn for --rounds
rounds, and keeps each database's fastest round. It ranks the salts on prompts generated with
--seed, another seed than bench.throughput's 7, so that the salt is not picked on the prompts
the throughput figures are measured on; --check-seed's column shows whether the ranking holds
on other prompts.

    python -m bench.compile_order --salts 24
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from bench.corpus import throughput_corpus
from detectors.engine import ORDER_SALT, Engine
from detectors.hyperscan_db import Scanner
from detectors.rules import load_catalogue

HASH_KEY = b"airlock-bench-order"


def timed_round(scanner: Scanner, data: Sequence[bytes]) -> float:
    """Seconds to count the matches in every prompt once."""
    clock = time.perf_counter
    started = clock()
    for block in data:
        scanner.count(block)
    return clock() - started


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.compile_order",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--salts", type=int, default=24, help="salts 0 .. N-1 (and the current)")
    parser.add_argument("--seed", type=int, default=11, help="corpus seed that ranks the salts")
    parser.add_argument("--check-seed", type=int, default=7, help="corpus seed of the check")
    parser.add_argument("--megabytes", type=float, default=1.0, help="of each corpus")
    parser.add_argument("--rounds", type=int, default=25)
    args = parser.parse_args(argv)

    rules = load_catalogue()
    salts = sorted({*range(args.salts), ORDER_SALT})
    scanners: dict[int, Scanner] = {}
    for salt in salts:
        print(f"... compiling with salt {salt}", file=sys.stderr, flush=True)
        engine = Engine(rules, hash_key=HASH_KEY, order_salt=salt)
        scanners[salt] = Scanner(engine.database, [])
    corpora = {
        seed: [p.text.encode("utf-8", "surrogatepass") for p in throughput_corpus(seed, size)]
        for seed, size in ((args.seed, args.megabytes), (args.check_seed, args.megabytes))
    }
    best = {(salt, seed): float("inf") for salt in salts for seed in corpora}
    for round_ in range(args.rounds):
        print(f"... round {round_ + 1} of {args.rounds}", file=sys.stderr, flush=True)
        # Every database in turn, round after round: the machine's drift hits all alike.
        for seed, data in corpora.items():
            for salt, scanner in scanners.items():
                best[salt, seed] = min(best[salt, seed], timed_round(scanner, data))
    kib = {seed: sum(map(len, data)) / 1024 for seed, data in corpora.items()}

    def per_kib(salt: int, seed: int) -> float:
        return best[salt, seed] / kib[seed] * 1e6

    print(f"{len(rules)} rules; us per KiB of prompt, fastest of {args.rounds} rounds")
    print(f"{'salt':>6}{f'seed {args.seed}':>12}{f'seed {args.check_seed}':>12}")
    ranked = sorted(salts, key=lambda salt: best[salt, args.seed])
    for salt in ranked:
        mark = "  <- ORDER_SALT" if salt == ORDER_SALT else ""
        print(
            f"{salt:>6}{per_kib(salt, args.seed):>12.2f}{per_kib(salt, args.check_seed):>12.2f}"
            f"{mark}"
        )
    fastest = ranked[0]
    for seed in corpora:
        print(
            f"seed {seed}: salt {fastest} scans in {per_kib(fastest, seed):.2f} us per KiB, "
            f"ORDER_SALT {ORDER_SALT} in {per_kib(ORDER_SALT, seed):.2f}: "
            f"{best[ORDER_SALT, seed] / best[fastest, seed]:.3f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
