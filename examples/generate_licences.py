"""Write a CSV of N demo licences for the tour (deterministic; check digits computed, names invented).

    python examples/generate_licences.py 10000 > licences.csv

The holders and products are demo data, not real companies. Format: certifiers/README.md.
"""

from __future__ import annotations

import csv
import sys

from stdnum import ean
from stdnum.cn import uscc

HEADER = [
    "licence_number", "holder_name", "holder_country", "holder_uscc", "category_code", "criteria_version",
    "valid_from", "valid_until", "markets", "product_name", "brand", "model", "gtin",
]  # fmt: skip


def rows(count: int) -> list[list[str]]:
    out = []
    for n in range(1, count + 1):
        holder = n % 97
        base = f"9111010{holder:02d}MA{n % 10000:04d}XY"[:17]
        credit_code = base + uscc.calc_check_digit(base)
        gtin12 = f"69{n:010d}"
        out.append(
            [
                f"CEC-2026-HJ2536-{n:05d}",
                f"Demo Holder {holder:02d} Co., Ltd.",
                "CN",
                credit_code,
                "HJ 2536",
                "2024",
                "2026-01-01",
                "2028-12-31",
                "CN",
                f"Desktop computer model {n}",
                f"DemoBrand {holder:02d}",
                f"DC-{n:05d}",
                gtin12 + ean.calc_check_digit(gtin12),
            ]
        )
    return out


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows(count))


if __name__ == "__main__":
    main()
