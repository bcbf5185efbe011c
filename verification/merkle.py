"""RFC 9162 §2.1 Merkle trees: hashing, proof verification (consumer) and proof production (server).

Verification follows the iterative algorithms of RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2
(consistency) literally. Production follows the recursive definitions PATH (§2.1.3.1) and SUBPROOF
(§2.1.4.1), unrolled into loops, and asks a ``subtree_root(start, end)`` callback for the Merkle Tree
Hash of leaves ``[start, end)`` only for the sibling ranges the proof needs.

Every range the producers ask for is a perfect subtree (its size a power of two, ``start`` a multiple
of that size), except possibly one range that ends at the tree size (the rightmost, still-growing
edge). A server that stores perfect subtree hashes can therefore answer all but that one from storage.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from verification.errors import MalformedInput, ProofInvalid
from verification.result import VerificationResult, capture

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "SubtreeRoot",
    "check_consistency",
    "check_inclusion",
    "consistency_proof",
    "inclusion_proof",
    "inclusion_proofs",
    "leaf_hash",
    "node_hash",
    "root_from_leaf_hashes",
    "root_from_subtrees",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
#: MTH({}) = SHA-256() (RFC 9162 §2.1.1).
EMPTY_ROOT = hashlib.sha256(b"").digest()

#: ``subtree_root(start, end)`` returns MTH(D[start:end]).
SubtreeRoot = Callable[[int, int], bytes]


def leaf_hash(data: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d) (RFC 9162 §2.1.1); the 0x00 prefix separates leaves from nodes."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right) (RFC 9162 §2.1.1)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """k, the largest power of two smaller than n, for n > 1 (RFC 9162 §2.1.1)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """Reference MTH over already-hashed leaves (RFC 9162 §2.1.1); O(n) memory, for tests and small trees."""
    n = len(hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return hashes[0]
    k = _split(n)
    return node_hash(root_from_leaf_hashes(hashes[:k]), root_from_leaf_hashes(hashes[k:]))


def root_from_subtrees(tree_size: int, subtree_root: SubtreeRoot) -> bytes:
    """MTH(D[0:tree_size]) from the perfect subtrees of the binary decomposition of ``tree_size``.

    For 13 = 8 + 4 + 1 the ranges are [0,8), [8,12), [12,13); folding right to left,
    MTH = H(MTH[0:8], H(MTH[8:12], MTH[12:13])), which is exactly the §2.1.1 split at the largest
    power of two applied recursively to the right-hand part.
    """
    _require_size(tree_size, "tree_size")
    if tree_size == 0:
        return EMPTY_ROOT
    ranges: list[tuple[int, int]] = []
    start = 0
    for bit in reversed(range(tree_size.bit_length())):
        if tree_size >> bit & 1:
            ranges.append((start, start + (1 << bit)))
            start += 1 << bit
    acc = subtree_root(*ranges[-1])
    for start, end in reversed(ranges[:-1]):
        acc = node_hash(subtree_root(start, end), acc)
    return acc


def inclusion_proof(leaf_index: int, tree_size: int, subtree_root: SubtreeRoot) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1, ordered from the leaf's sibling up to the root's child.

    Descending from the root: if m < k the path continues left and the sibling is the right part
    [k, n) (perfect unless it ends at tree_size); otherwise it continues right and the sibling is the
    left part [0, k), always perfect and aligned.
    """
    _require_size(tree_size, "tree_size")
    if isinstance(leaf_index, bool) or not isinstance(leaf_index, int) or not 0 <= leaf_index < tree_size:
        raise MalformedInput("BAD_INDEX", f"leaf index {leaf_index!r} is not in [0, {tree_size})")
    siblings: list[tuple[int, int]] = []
    start, end = 0, tree_size
    while end - start > 1:
        k = _split(end - start)
        if leaf_index < start + k:
            siblings.append((start + k, end))
            end = start + k
        else:
            siblings.append((start, start + k))
            start += k
    return [subtree_root(s, e) for s, e in reversed(siblings)]


def inclusion_proofs(first: int, tree_size: int, subtree_root: SubtreeRoot) -> list[list[bytes]]:
    """`inclusion_proof(m, tree_size, subtree_root)` for every m in [first, tree_size), in that order.

    One descent of PATH (§2.1.3.1) for all of them, into the ranges that hold one of those leaves: a
    sibling shared by several leaves (the upper ones are shared by all) is asked of ``subtree_root``
    once, where a proof per leaf asked for it once per leaf. Each proof gets the deeper siblings
    first, then the sibling of its range at this level, so it runs from the leaf's sibling up.
    """
    _require_size(tree_size, "tree_size")
    if isinstance(first, bool) or not isinstance(first, int) or not 0 <= first <= tree_size:
        raise MalformedInput("BAD_INDEX", f"first leaf index {first!r} is not in [0, {tree_size}]")
    proofs: list[list[bytes]] = [[] for _ in range(first, tree_size)]

    def descend(start: int, end: int) -> None:  # proves the leaves of [start, end) from `first` on
        if end - start == 1:
            return
        middle = start + _split(end - start)
        if first < middle:
            descend(start, middle)
            right = subtree_root(middle, end)
            for proof in proofs[max(start, first) - first : middle - first]:
                proof.append(right)
        descend(middle, end)
        left = subtree_root(start, middle)
        for proof in proofs[max(middle, first) - first : end - first]:
            proof.append(left)

    if first < tree_size:
        descend(0, tree_size)
    return proofs


def consistency_proof(size1: int, size2: int, subtree_root: SubtreeRoot) -> list[bytes]:
    """PROOF(m, D[n]) = SUBPROOF(m, D[n], true) of RFC 9162 §2.1.4.1, for 0 < m <= n.

    The one node of the old tree that SUBPROOF emits when it reaches m == n with b false is a perfect
    subtree, because it is only reached after the descent has gone left into a perfect subtree.
    """
    _require_size(size1, "size1")
    _require_size(size2, "size2")
    if not 0 < size1 <= size2:
        raise MalformedInput("BAD_TREE_SIZE", f"need 0 < size1 <= size2, got {size1} and {size2}")
    nodes: list[tuple[int, int]] = []
    start, end, complete = 0, size2, True
    while True:
        m = size1 - start
        if m == end - start:
            if not complete:
                nodes.append((start, end))
            break
        k = _split(end - start)
        if m <= k:
            nodes.append((start + k, end))
            end = start + k
        else:
            nodes.append((start, start + k))
            start += k
            complete = False
    return [subtree_root(s, e) for s, e in reversed(nodes)]


def verify_inclusion(leaf_index: int, tree_size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes) -> None:
    """Raise :class:`ProofInvalid` unless ``proof`` shows ``leaf_hash`` at ``leaf_index`` under ``root``.

    This is the RFC 9162 §2.1.3.2 algorithm step by step; the step numbers are the RFC's.
    """
    _require_size(leaf_index, "leaf_index")
    _require_size(tree_size, "tree_size")
    _require_hash(leaf_hash, "leaf hash")
    for element in proof:
        _require_hash(element, "inclusion proof element")
    if leaf_index >= tree_size:  # step 1
        raise ProofInvalid("INDEX_OUT_OF_RANGE", f"leaf index {leaf_index} not below tree size {tree_size}")
    fn, sn = leaf_index, tree_size - 1  # step 2
    r = leaf_hash  # step 3
    for p in proof:  # step 4
        if sn == 0:  # 4a
            raise ProofInvalid("PROOF_TOO_LONG", "inclusion proof has more elements than the tree has levels")
        if fn & 1 or fn == sn:  # 4b
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:  # only when fn == sn: skip levels with no right sibling
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1  # 4c
        sn >>= 1
    if sn != 0:  # step 5
        raise ProofInvalid("PROOF_TOO_SHORT", "inclusion proof has fewer elements than the tree has levels")
    if r != root:
        raise ProofInvalid("ROOT_MISMATCH", "inclusion proof does not lead to the expected root hash")


def verify_consistency(size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes) -> None:
    """Raise :class:`ProofInvalid` unless ``proof`` shows tree ``size2`` is an extension of ``size1``.

    RFC 9162 §2.1.4.2 covers 0 < size1 < size2; equal sizes need an empty proof and equal roots, and a
    proof from the empty tree is refused because §2.1.4 defines consistency proofs only for 0 < m.
    """
    _require_size(size1, "size1")
    _require_size(size2, "size2")
    if size1 > size2:
        raise ProofInvalid("SIZE_DECREASED", f"size1 {size1} is larger than size2 {size2}")
    if size1 == 0:
        raise ProofInvalid("EMPTY_TREE", "no consistency proof exists from the empty tree (RFC 9162 §2.1.4)")
    if size1 == size2:
        if proof:
            raise ProofInvalid("PROOF_NOT_EMPTY", "equal tree sizes need an empty consistency proof")
        if root1 != root2:
            raise ProofInvalid("ROOT_MISMATCH", "equal tree sizes but different root hashes")
        return
    for element in proof:
        _require_hash(element, "consistency proof element")
    if not proof:  # step 1
        raise ProofInvalid("PROOF_EMPTY", "consistency proof is empty")
    fr, sr = _consistency_roots(size1, size2, proof, root1)
    if fr != root1:
        raise ProofInvalid("ROOT1_MISMATCH", "consistency proof does not lead to the old root hash")
    if sr != root2:
        raise ProofInvalid("ROOT2_MISMATCH", "consistency proof does not lead to the new root hash")


def _consistency_roots(size1: int, size2: int, proof: Sequence[bytes], root1: bytes) -> tuple[bytes, bytes]:
    """Steps 2-7 of RFC 9162 §2.1.4.2 (step numbers are the RFC's): the roots the proof implies."""
    path = list(proof)
    if size1 & (size1 - 1) == 0:  # step 2: size1 is a power of two, so root1 is itself a node
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1  # step 3
    while fn & 1:  # step 4
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]  # step 5
    for c in path[1:]:  # step 6
        if sn == 0:  # 6a
            raise ProofInvalid("PROOF_TOO_LONG", "consistency proof has more elements than needed")
        if fn & 1 or fn == sn:  # 6b
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1  # 6c
        sn >>= 1
    if sn != 0:  # step 7
        raise ProofInvalid("PROOF_TOO_SHORT", "consistency proof has fewer elements than needed")
    return fr, sr


def check_inclusion(
    leaf_index: int, tree_size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes
) -> VerificationResult:
    """Non-raising twin of :func:`verify_inclusion`."""
    return capture(lambda: verify_inclusion(leaf_index, tree_size, leaf_hash, proof, root))


def check_consistency(size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes) -> VerificationResult:
    """Non-raising twin of :func:`verify_consistency`."""
    return capture(lambda: verify_consistency(size1, size2, proof, root1, root2))


def _require_size(value: int, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise MalformedInput("BAD_TREE_SIZE", f"{name} must be a non-negative integer, got {value!r}")


def _require_hash(value: bytes, what: str) -> None:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        raise MalformedInput("BAD_HASH_LENGTH", f"{what} must be {HASH_SIZE} bytes")
