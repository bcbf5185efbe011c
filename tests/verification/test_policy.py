"""verification.policy against C2SP tlog-policy: the file format, quorums, and refusing unwitnessed checkpoints."""

from __future__ import annotations

import pytest

from verification.checkpoint import Checkpoint, sign_checkpoint
from verification.cosignature import Cosigner
from verification.errors import MalformedInput, SignatureInvalid, UnknownKey
from verification.note import NoteSigner
from verification.policy import Policy, WitnessQuorumNotMet

LOG = NoteSigner.from_private_key("registry.test/log", Cosigner.generate("k").private_key)
X = [Cosigner.generate(f"x{i}.test/w") for i in range(3)]
Y = [Cosigner.generate(f"y{i}.test/w") for i in range(3)]
CHECKPOINT = Checkpoint("registry.test/log", 12, bytes(range(32)))


def spec_example_policy() -> str:
    """The example of tlog-policy "Example policy", with real keys in place of <vkey>."""
    x = "\n".join(f"witness X{i + 1} {w.key.to_string()}" for i, w in enumerate(X))
    y = "\n".join(f"witness Y{i + 1} {w.key.to_string()}" for i, w in enumerate(Y))
    return (
        f"log {LOG.verifier().to_string()}\n\n{x}\ngroup X-witnesses 2 X1 X2 X3\n\n{y}\n"
        "group Y-witnesses any Y1 Y2 Y3\n\ngroup X-and-Y all X-witnesses Y-witnesses\nquorum X-and-Y\n"
    )


def note_cosigned_by(*witnesses: Cosigner, checkpoint: Checkpoint = CHECKPOINT) -> str:
    note = sign_checkpoint(checkpoint, LOG)
    return note + "".join(w.cosign(checkpoint.to_text(), 1_700_000_000).to_line() for w in witnesses)


@pytest.mark.parametrize(
    ("cosigners", "witnessed"),
    [
        ((X[0], X[1], Y[2]), True),
        ((X[0], X[2], Y[0], Y[1]), True),
        ((X[0], Y[0], Y[1], Y[2]), False),  # only 1 of the X group's 2
        ((X[0], X[1], X[2]), False),  # no Y
        ((), False),
    ],
)
def test_the_spec_example_quorum(cosigners: tuple[Cosigner, ...], witnessed: bool) -> None:
    policy = Policy.parse(spec_example_policy())
    note = note_cosigned_by(*cosigners)
    if witnessed:
        result = policy.verify(note)
        assert result.checkpoint == CHECKPOINT
        assert set(result.cosigned_by) == {f"{'X' if w in X else 'Y'}{(X + Y).index(w) % 3 + 1}" for w in cosigners}
    else:
        with pytest.raises(WitnessQuorumNotMet, match="QUORUM_NOT_MET"):
            policy.verify(note)


def test_quorum_none_needs_only_the_log() -> None:
    policy = Policy.parse(f"# only the log\nlog {LOG.verifier().to_string()}\nquorum none\n")
    assert policy.verify(note_cosigned_by()).checkpoint.tree_size == 12
    assert Policy.no_witnesses(LOG.verifier()).verify(note_cosigned_by()).cosigned_by == {}


def test_a_checkpoint_of_another_log_or_forged_is_refused() -> None:
    policy = Policy.parse(f"log {LOG.verifier().to_string()}\nwitness a {X[0].key.to_string()}\nquorum a\n")
    stranger = NoteSigner.from_private_key("registry.test/log", Cosigner.generate("s").private_key)
    with pytest.raises(UnknownKey):
        policy.verify(sign_checkpoint(CHECKPOINT, stranger) + X[0].cosign(CHECKPOINT.to_text(), 5).to_line())
    note = note_cosigned_by(X[0])
    with pytest.raises(SignatureInvalid):
        policy.verify(note.replace("\n12\n", "\n13\n"))
    # A cosignature over a different tree of the same log does not count for this one.
    other = Checkpoint("registry.test/log", 12, bytes(32))
    with pytest.raises(SignatureInvalid, match="BAD_COSIGNATURE"):
        policy.verify(sign_checkpoint(CHECKPOINT, LOG) + X[0].cosign(other.to_text(), 5).to_line())


def test_whitespace_tabs_comments_and_urls() -> None:
    text = (
        f"  log\t{LOG.verifier().to_string()}  https://registry.test/\n"
        f"\twitness  a {X[0].key.to_string()} https://witness.test/a/  \n   # a comment\n\nquorum a\n"
    )
    policy = Policy.parse(text)
    assert policy.witnesses["a"].url == "https://witness.test/a/"
    assert policy.log_urls[LOG.verifier()] == "https://registry.test/"


@pytest.mark.parametrize(
    "text",
    [
        "",  # no quorum
        "quorum none\nquorum none\n",  # exactly one
        "quorum w\n",  # not defined
        "quorum w\nwitness w {x0}\n",  # defined after use
        "witness w {x0}\nwitness v {x0}\nquorum w\n",  # duplicate key
        "witness w {x0}\nwitness w {x1}\nquorum w\n",  # duplicate name
        "witness none {x0}\nquorum none\n",  # reserved name
        "witness w {x0}\ngroup g 2 w\nquorum g\n",  # k > n
        "witness w {x0}\ngroup g 0 w\nquorum g\n",  # k < 1
        "witness w {x0}\ngroup g 01 w\nquorum g\n",  # decimal without leading zero
        "witness w {x0}\ngroup g any w w\nquorum g\n",  # a member once
        "witness w {x0}\ngroup g any none\nquorum g\n",  # none is no member
        "witness w {x0}\ngroup g any\nquorum g\n",  # at least one member
        "witness w {log}\nquorum w\n",  # a log key is not a witness key
        "log {x0}\nquorum none\n",  # nor a witness key a log key
        "log {log}\nlog {log}\nquorum none\n",
        "witness w {x0}\nquorum w\nfrobnicate\n",
        "quorum none\n\x0b\n",  # control characters other than tab and newline
    ],
)
def test_malformed_policies_are_refused(text: str) -> None:
    filled = text.format(x0=X[0].key.to_string(), x1=X[1].key.to_string(), log=LOG.verifier().to_string())
    with pytest.raises(MalformedInput, match=r"BAD_POLICY|UNSUPPORTED_KEY_TYPE|BAD_VERIFIER_KEY"):
        Policy.parse(filled)


def test_a_policy_without_logs_takes_the_log_key_from_the_caller() -> None:
    policy = Policy.parse(f"witness a {X[0].key.to_string()}\nquorum a\n")
    with pytest.raises(MalformedInput, match="NO_LOG_KEY"):
        policy.verify(note_cosigned_by(X[0]))
    assert policy.verify(note_cosigned_by(X[0]), log_keys=[LOG.verifier()]).cosigned_by == {"a": 1_700_000_000}
