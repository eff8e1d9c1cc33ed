"""The fuzzer's targets on its own seed corpus, once each, in every run of the suite: a target
that no longer fits the library (a renamed call) or a seed that breaks a decoder with anything
but a ``DlmsError`` fails here, not only when someone fuzzes."""

from __future__ import annotations

from tests.fuzz.fuzz_decoders import load_targets, run_one, seeds


def test_every_target_takes_every_seed() -> None:
    targets = load_targets()
    corpus = seeds()
    assert len(corpus) > 100
    outcomes: set[str] = set()
    for data in corpus:
        # Anything but a DlmsError (a crash, a call the library no longer has) raises here.
        outcomes |= run_one(targets, data, timeout=None)
    assert {outcome.split("|")[0] for outcome in outcomes} == set(targets)
    # The state machines and the translator take real traffic through to the end.
    succeeded = {outcome.split("|")[0] for outcome in outcomes if outcome.endswith("|ok")}
    assert {"session.HdlcLink", "session.Association", "translator.describe"} <= succeeded
